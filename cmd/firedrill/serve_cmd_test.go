package main_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/internal/lowprio"
)

// syncBuffer is a bytes.Buffer safe for the program and the test at once.
type syncBuffer = controltest.SyncBuffer

// browser is a minimal HTTP client that behaves like the drill room's pages:
// cookies, the Origin header and the CSRF token.
type browser struct {
	t    *testing.T
	base string
	hc   *http.Client
	csrf string
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, hc: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) call(method, path string, body any, out any) int {
	b.t.Helper()
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, b.base+path, rd)
	req.Header.Set("Origin", b.base)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", b.csrf)
	res, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			b.t.Fatalf("%s %s: %s: %v", method, path, data, err)
		}
	}
	return res.StatusCode
}

func TestServe(t *testing.T) {
	t.Run("without an admin credential the room does not open", func(t *testing.T) {
		code, _, stderr := runFiredrill(t, "listen: 127.0.0.1:0\ndataDir: "+t.TempDir()+"\n", "serve")
		if code != 2 || !strings.Contains(stderr, "auth.adminToken") {
			t.Fatalf("exit %d, stderr %q; want 2 and a hint at auth.adminToken", code, stderr)
		}
	})

	t.Run("serves a drill end to end with a real plugin and shuts down on cancel", func(t *testing.T) {
		const token = "serve-test-admin-token-123"
		room := newFlagsRoom(t, token, "")
		flags, scDir := room.flags, room.scenarios
		sc, _ := os.ReadFile("testdata/serve/flags.yaml")
		base, stop, stdout, stderr := serveFor(t, room.env)
		defer stop()

		fac := signIn(t, base, token)
		var list []struct {
			Name string `json:"name"`
		}
		fac.call("GET", "/api/scenarios", nil, &list)
		if len(list) != 1 || list[0].Name != "serve-flags" {
			t.Fatalf("scenarios %v, want serve-flags; stderr %q", list, stderr.String())
		}
		// A scenario file added while serve runs is read without a
		// restart; a broken one is reported and hides nothing.
		more := bytes.Replace(bytes.ReplaceAll(sc, []byte("FLAGS_FILE"), []byte(flags)), []byte("name: serve-flags"), []byte("name: serve-flags-2"), 1)
		if err := os.WriteFile(filepath.Join(scDir, "more.yaml"), more, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(scDir, "broken.yaml"), []byte("apiVersion: firedrill/v1\nkind: [\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		var lib struct {
			Scenarios []struct {
				Name string `json:"name"`
			} `json:"scenarios"`
			Problems []string `json:"problems"`
		}
		for deadline := time.Now().Add(15 * time.Second); ; {
			fac.call("GET", "/api/studio/scenarios", nil, &lib)
			if len(lib.Scenarios) == 2 && len(lib.Problems) > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after adding more.yaml and broken.yaml: %+v", lib)
			}
			time.Sleep(200 * time.Millisecond)
		}
		if lib.Scenarios[1].Name != "serve-flags-2" || !strings.Contains(lib.Problems[0], "broken.yaml:2:") {
			t.Fatalf("library %+v, want serve-flags-2 and broken.yaml reported at its line", lib)
		}
		fac.call("GET", "/api/scenarios", nil, &list)
		if len(list) != 2 {
			t.Fatalf("new-drill list %v, want both scenarios", list)
		}
		var d struct {
			ID string `json:"id"`
		}
		if st := fac.call("POST", "/api/drills", map[string]string{"scenario": "serve-flags"}, &d); st != 201 {
			t.Fatalf("create drill: %d", st)
		}
		var link struct {
			URL string `json:"url"`
		}
		if st := fac.call("POST", "/api/drills/"+d.ID+"/people", map[string]string{"name": "Kim", "role": "participant"}, &link); st != 201 || !strings.HasPrefix(link.URL, base+"/join#") {
			t.Fatalf("add person: %d %q", st, link.URL)
		}
		if st := fac.call("POST", "/api/drills/"+d.ID+"/start", nil, nil); st != 200 {
			t.Fatalf("start: %d", st)
		}
		// The real plugin flips the flag in the file.
		for deadline := time.Now().Add(20 * time.Second); ; {
			b, _ := os.ReadFile(flags)
			if strings.Contains(string(b), `"off"`) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("fault not injected: flags %s; stderr %q", b, stderr.String())
			}
			time.Sleep(50 * time.Millisecond)
		}

		p := newBrowser(t, base)
		_, tok, _ := strings.Cut(link.URL, "#")
		var sess struct {
			CSRF string `json:"csrf"`
		}
		if st := p.call("POST", "/api/join", map[string]string{"token": tok}, &sess); st != 200 {
			t.Fatalf("join: %d", st)
		}
		p.csrf = sess.CSRF
		if st := p.call("POST", "/api/drills/"+d.ID+"/messages", map[string]string{"channel": "incident", "text": "payments are down, looking"}, nil); st != 201 {
			t.Fatalf("participant message: %d", st)
		}
		if st := p.call("GET", "/console", nil, nil); st != 403 {
			t.Fatalf("participant opened the console: %d", st)
		}

		stop()
		if !strings.Contains(stdout.String(), "stopping") {
			t.Fatalf("stdout %q does not say it stopped", stdout.String())
		}
		// serve says which garbage collector targets it runs with
		// (internal/gctune; they depend on GOGC in the test's own
		// environment, which the runtime read).
		if want := "firedrill: garbage collector target GOGC="; !strings.Contains(stdout.String(), want) {
			t.Fatalf("stdout %q does not say %q", stdout.String(), want)
		}
		// and how many processors the Go runtime has: one more than Go's
		// default for the SQLite journal's lowered commits
		// (internal/lowprio), unless the environment sets GOMAXPROCS or
		// a CPU limit holds Go's default below the machine's CPUs.
		procs := lowprio.Processors(os.Getenv) // what serve applied, once per process
		if want := "firedrill: " + procs.String() + "\n"; !strings.Contains(stdout.String(), want) {
			t.Fatalf("stdout %q does not say %q", stdout.String(), want)
		}
		if os.Getenv("GOMAXPROCS") == "" && procs.Default == runtime.NumCPU() && lowprio.Supported && (!procs.Added || runtime.GOMAXPROCS(0) != runtime.NumCPU()+1) {
			t.Fatalf("serve runs with GOMAXPROCS %d on %d CPUs (%s), want one processor more for the journal's lowered commits", runtime.GOMAXPROCS(0), runtime.NumCPU(), procs)
		}
	})
}

// TestServeReadyzSaysWhenTheJournalCannotSync breaks the SQLite journal's
// log under a running serve: the write that hits it fails, and /readyz,
// which a load balancer or Kubernetes probes, says the room is not ready
// (without the file's path, which the log gets), so that it stops sending
// work to a controller that takes none until it restarts.
func TestServeReadyzSaysWhenTheJournalCannotSync(t *testing.T) {
	const token = "serve-test-admin-token-123"
	room := newFlagsRoom(t, token, "")
	data := room.data
	base, stop, _, stderr := serveFor(t, room.env)
	defer stop()
	fac := signIn(t, base, token)
	readyz := func() (int, string) {
		res, err := http.Get(base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if st := fac.call("POST", "/api/drills", map[string]string{"scenario": "serve-flags"}, nil); st != 201 {
		t.Fatalf("create a drill: %d", st)
	}
	if st, body := readyz(); st != 200 {
		t.Fatalf("/readyz with a healthy journal: %d %q, want 200", st, body)
	}
	// The log's name no longer leads to the log SQLite writes: the next
	// commit's sync fails.
	wal := filepath.Join(data, "firedrill.db-wal")
	if err := os.Rename(wal, wal+".moved"); err != nil {
		t.Fatal(err)
	}
	if st := fac.call("POST", "/api/drills", map[string]string{"scenario": "serve-flags"}, nil); st != 500 {
		t.Fatalf("create a drill on a journal that cannot sync: %d, want 500", st)
	}
	st, body := readyz()
	if st != 503 || !strings.Contains(body, "could not be synced") || strings.Contains(body, data) {
		t.Fatalf("/readyz after the failed sync: %d %q, want 503 saying the journal could not be synced, without its path", st, body)
	}
	if !strings.Contains(stderr.String(), "firedrill.db") || !strings.Contains(stderr.String(), "takes no appends") {
		t.Fatalf("the log does not say which journal failed: %q", stderr.String())
	}
	_ = os.Rename(wal+".moved", wal)
}

// flagsRoom is a drill room to serve in a test: the serve-flags scenario,
// whose fault flips a flag in a file, with the flagfile plugin.
type flagsRoom struct {
	// env is serve's environment; data its data directory, scenarios
	// its scenario directory and flags the flag file its fault changes.
	env                    map[string]string
	data, scenarios, flags string
}

// newFlagsRoom writes a flagsRoom in a temporary directory, its
// facilitator signing in with token; extra is added to its config.
func newFlagsRoom(t *testing.T, token, extra string) flagsRoom {
	t.Helper()
	dir := t.TempDir()
	pluginDir := buildFlagfile(t)
	r := flagsRoom{data: filepath.Join(dir, "data"), scenarios: filepath.Join(dir, "scenarios"), flags: filepath.Join(dir, "flags.json")}
	if err := os.WriteFile(r.flags, []byte(`{"payments":"on"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := os.ReadFile("testdata/serve/flags.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_ = os.MkdirAll(r.scenarios, 0o755)
	if err := os.WriteFile(filepath.Join(r.scenarios, "flags.yaml"), bytes.ReplaceAll(sc, []byte("FLAGS_FILE"), []byte(r.flags)), 0o644); err != nil {
		t.Fatal(err)
	}
	config := "listen: 127.0.0.1:0\ndataDir: " + r.data + "\n" +
		"auth:\n  adminToken: " + token + "\n" +
		"plugins:\n  dir: " + pluginDir + "\n" +
		"scenarios:\n  dirs: [" + r.scenarios + "]\n" + extra
	cfgPath := filepath.Join(dir, "firedrill.yaml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	r.env = map[string]string{"HOME": dir, "XDG_CONFIG_HOME": dir, "FIREDRILL_CONFIG": cfgPath}
	return r
}

// signIn signs the facilitator in to the room at base with token and
// returns their browser, its CSRF token set.
func signIn(t *testing.T, base, token string) *browser {
	t.Helper()
	fac := newBrowser(t, base)
	var sess struct {
		CSRF string `json:"csrf"`
	}
	if st := fac.call("POST", "/api/login", map[string]string{"secret": token}, &sess); st != 200 {
		t.Fatalf("login: %d", st)
	}
	fac.csrf = sess.CSRF
	return fac
}
