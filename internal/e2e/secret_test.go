package e2e_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/firedrill/firedrill/control"
	csqlite "github.com/firedrill/firedrill/control/sqlite"
	"github.com/firedrill/firedrill/ui/client"
)

// TestSecretValuesStayInTheBackRoom injects and reverts a real Secret fault
// (the chained example at difficulty hard removes order-api-db's
// DB_PASSWORD) and looks for the password everywhere a person or an
// operator can read: every route each role can open, every WebSocket frame
// each role receives live and on a replay of the closed drill, every export,
// the server's log, the exported record that `firedrill verify` checks, and
// the drill database on disk. The revert record is the engine's business:
// it is sealed in the journal and stripped from the stream.
func TestSecretValuesStayInTheBackRoom(t *testing.T) {
	sh := sharedShop(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	sec, err := sh.cs.CoreV1().Secrets(ns).Get(ctx, "order-api-db", metav1.GetOptions{})
	must(t, "get the order-api-db Secret", err)
	password := string(sec.Data["DB_PASSWORD"])
	if len(password) < 6 {
		t.Fatalf("the shop's DB_PASSWORD is %q; the test needs a value that cannot appear by chance", password)
	}

	srv := startServer(t, sh.urls)
	d := newDrill(t, ctx, srv, sh, "chained-order-api", "hard")
	l, err := d.fac.c.AddPerson(ctx, d.id, "Dana", control.RoleDesigner)
	must(t, "add the designer", err)
	dc, err := client.New(srv.URL)
	must(t, "designer client", err)
	must(t, "the designer joins", dc.Join(ctx, l.URL))
	designer := &person{name: "Dana", id: l.Person.ID, c: dc}
	designer.f = startFollowing(ctx, dc, d.id)
	d.begin(t, ctx)

	d.fac.waitFor(t, "order-api-down injected", eventWait, isFault(control.EventFaultInjected, "order-api-down"))
	now, err := sh.cs.CoreV1().Secrets(ns).Get(ctx, "order-api-db", metav1.GetOptions{})
	must(t, "get the order-api-db Secret", err)
	if _, ok := now.Data["DB_PASSWORD"]; ok {
		t.Fatal("DB_PASSWORD is still in order-api-db: the fault did not change the Secret")
	}
	people := append(d.people(), designer)
	corpus := map[string][]byte{}
	grab := func(who *person, when string) {
		for _, path := range []string{"/api/drills/" + d.id, "/api/drills/" + d.id + "/retro", "/room/" + d.id, "/console/drills/" + d.id} {
			b, _, err := who.c.Get(ctx, path)
			if err != nil {
				b = []byte(err.Error())
			}
			corpus[fmt.Sprintf("%s: GET %s (%s)", who.name, path, when)] = b
		}
	}
	for _, p := range people {
		grab(p, "running")
	}

	must(t, "abort", d.fac.c.Lifecycle(ctx, d.id, "abort", "the test checks the revert"))
	d.fac.waitFor(t, "order-api-down reverted", endWait, isFault(control.EventFaultReverted, "order-api-down"))
	now, err = sh.cs.CoreV1().Secrets(ns).Get(ctx, "order-api-db", metav1.GetOptions{})
	must(t, "get the order-api-db Secret", err)
	if string(now.Data["DB_PASSWORD"]) != password {
		t.Fatalf("DB_PASSWORD after the revert is %q, want the original back", now.Data["DB_PASSWORD"])
	}
	for _, p := range people {
		p.waitFor(t, "the abort", endWait, ofType(control.EventDrillAborted))
	}
	must(t, "close the retro", d.fac.c.CloseRetro(ctx, d.id))

	paths := []string{"/api/drills/" + d.id, "/api/drills/" + d.id + "/retro", "/room/" + d.id + "/record", "/room/" + d.id + "/retro",
		"/api/drills/" + d.id + "/charts/timeline.svg", "/api/drills/" + d.id + "/charts/ratings.svg", "/api/history", "/api/drills"}
	for _, f := range []string{"md", "html", "csv", "github.json", "json"} {
		paths = append(paths, "/api/drills/"+d.id+"/record."+f)
	}
	var recordJSON []byte
	for _, p := range people {
		for _, path := range paths {
			b, _, err := p.c.Get(ctx, path)
			if err != nil {
				b = []byte(err.Error())
			} else if p == d.fac && strings.HasSuffix(path, "record.json") {
				recordJSON = b
			}
			corpus[fmt.Sprintf("%s: GET %s (closed)", p.name, path)] = b
		}
		// Every frame the person's stream delivered live, and a replay of
		// the whole closed drill from the start.
		var live bytes.Buffer
		for _, e := range p.f.snapshot() {
			b, _ := json.Marshal(e)
			live.Write(b)
			live.WriteByte('\n')
		}
		corpus[p.name+": live stream"] = live.Bytes()
		corpus[p.name+": replay of the closed drill"] = replayAll(t, ctx, p.c, d.id)
	}
	if len(recordJSON) == 0 {
		t.Fatal("the facilitator could not export record.json")
	}
	if !bytes.Contains(recordJSON, []byte(`"fault.prepared"`)) {
		t.Fatal("record.json has no fault.prepared event: the test would not see a leak of the revert record")
	}
	recordPath := filepath.Join(t.TempDir(), d.id+".json")
	must(t, "write record.json", os.WriteFile(recordPath, recordJSON, 0o600))

	srv.stop(t)
	verify(t, ctx, srv, recordPath, d.id)
	code, out := run(t, ctx, "export", "--config", srv.Config, "--format", "md", d.id)
	corpus[fmt.Sprintf("firedrill export --format md (exit %d)", code)] = []byte(out)
	corpus["firedrill serve stdout"] = []byte(srv.stdout.String())
	corpus["firedrill serve stderr"] = []byte(srv.stderr.String())
	// The journal at rest, read back through SQLite (a long payload spans
	// pages in the file, so the raw bytes alone could hide it).
	db, err := csqlite.Open(ctx, filepath.Join(srv.DataDir, "firedrill.db"))
	must(t, "open the drill database", err)
	evs, err := db.Events(ctx, d.id, 0, 0)
	must(t, "read the journal", err)
	db.Close()
	journal, _ := json.Marshal(evs)
	corpus["the journal in the drill database"] = journal
	files, err := filepath.Glob(filepath.Join(srv.DataDir, "*"))
	must(t, "list the data directory", err)
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			corpus["the data directory's "+filepath.Base(f)] = b
		}
	}

	for where, b := range corpus {
		if leak := findValue(b, password, 3); leak != "" {
			t.Errorf("%s carries the Secret's value (%s)", where, leak)
		}
	}
	t.Logf("looked for the Secret's value in %d responses, streams, exports, logs and files", len(corpus))
}

// replayAll reads a fresh stream of the drill from sequence number 0 up to
// the ready frame and returns every frame as it came.
func replayAll(t *testing.T, ctx context.Context, c *client.Client, drillID string) []byte {
	t.Helper()
	s, err := c.Stream(ctx, drillID, 0)
	if err != nil {
		return []byte(err.Error())
	}
	defer s.Close()
	var out bytes.Buffer
	for {
		_ = s.SetReadDeadline(time.Now().Add(20 * time.Second))
		f, err := s.NextFrame()
		if err != nil {
			t.Fatalf("replay of drill %s: %v", drillID, err)
		}
		b, _ := json.Marshal(f)
		out.Write(b)
		out.WriteByte('\n')
		if f.Kind == "ready" {
			return out.Bytes()
		}
	}
}

// base64ish finds tokens that may be base64 of something.
var base64ish = regexp.MustCompile(`[A-Za-z0-9+/_-]{12,}={0,2}`)

// findValue reports how b carries value: as it is, JSON-escaped, or inside
// base64 (standard or URL alphabet, nested up to depth times, as a revert
// record in a JSON payload is). It returns "" when it does not.
func findValue(b []byte, value string, depth int) string {
	js, _ := json.Marshal(value)
	for _, v := range []string{value, string(js[1 : len(js)-1])} {
		if bytes.Contains(b, []byte(v)) {
			return "in clear"
		}
	}
	if depth == 0 {
		return ""
	}
	for _, tok := range base64ish.FindAll(b, -1) {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			dec, err := enc.DecodeString(string(tok))
			if err != nil {
				continue
			}
			if how := findValue(dec, value, depth-1); how != "" {
				return "base64 of " + how
			}
		}
	}
	return ""
}
