package ui_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"

	"github.com/firedrill/firedrill/internal/groupcommit"
)

// durableHub is the fan-out benchmark's durable floor: the bare hub's very
// fan-out (the same frame, encoded once; the same writer goroutine per
// socket; the same drop policy), but a post is first made durable by a
// group-commit writer (durableLog) — one write and one fdatasync for all
// the posts waiting — and only after that sync is its frame handed to the
// sockets and the post answered. It is the least a hub can do that streams
// nothing it has not made durable: no database, no engine, no hash chain,
// just the bytes of the frames on the disk the journal uses.
type durableHub struct {
	bare *bareHub
	log  *durableLog
}

// durableLogSize is how far the durable floor's file goes before its writes
// wrap to the start. SQLite's write-ahead log, which the room's journal
// syncs, starts over from its beginning once a checkpoint copied it all
// (the journal checkpoints every 256 commits of three or four pages, about
// 1,000 pages: 4 MiB), so its commits write over blocks it wrote before;
// so do these.
const durableLogSize = 4 << 20

func newDurableHub(b *testing.B) *durableHub {
	f, err := openLogFile(b.TempDir(), durableLogSize)
	if err != nil {
		b.Fatal(err)
	}
	l := startDurableLog(dataFile{f}, durableLogSize)
	b.Cleanup(func() {
		l.close()
		f.Close()
	})
	return &durableHub{bare: newBareHub(b), log: l}
}

func (h *durableHub) handedOff() *handoffs { return &h.bare.handoff }

func (h *durableHub) open(n, k int) [][]*websocket.Conn { return h.bare.open(n, k) }

// post encodes the message as the bare hub does and hands it to the
// sockets once it is durable. Like the bare hub it numbers a drill's
// messages in the order their posts started, so two posts to one drill at
// once could be written and streamed out of order; the benchmark's drills
// post one message at a time.
func (h *durableHub) post(ctx context.Context, i int, text string) error {
	msg, subs, err := h.bare.frame(i, text)
	if err != nil {
		return err
	}
	return h.log.commit(msg, func() { h.bare.deliver(subs, msg) })
}

// logFile is what a durableLog writes: a file written in place and synced.
type logFile interface {
	WriteAt(p []byte, off int64) (int, error)
	Sync() error
}

// dataFile is a file whose Sync is fdatasync: it syncs the data written
// and not the inode's times, as the best durable log would (SQLite, as
// modernc.org/sqlite builds it for Linux, calls fsync).
type dataFile struct{ *os.File }

func (f dataFile) Sync() error {
	if err := syscall.Fdatasync(int(f.Fd())); err != nil {
		return fmt.Errorf("fdatasync %s: %w", f.Name(), err)
	}
	return nil
}

// openLogFile creates a file of size bytes in dir, written (not only
// allocated: the first write to an allocated but unwritten block of ext4
// also changes the file's extent tree) and synced, for a durableLog to
// write over.
func openLogFile(dir string, size int64) (*os.File, error) {
	f, err := os.Create(filepath.Join(dir, "floor.log"))
	if err != nil {
		return nil, err
	}
	zeros := make([]byte, 64<<10)
	for off := int64(0); off < size; off += int64(len(zeros)) {
		if _, err := f.WriteAt(zeros[:min(int64(len(zeros)), size-off)], off); err != nil {
			f.Close()
			return nil, fmt.Errorf("write %s: %w", f.Name(), err)
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("sync %s: %w", f.Name(), err)
	}
	return f, nil
}

// durableLog is a group-commit writer on the journal's own queue
// (groupcommit.Queue): its writer goroutine takes every post waiting, up to
// durableLogMaxGroup, writes their frames with one write after the
// previous group's (back at the start of the file when they do not fit
// before size, so the file never grows), syncs the file once, and then —
// only if both worked — runs each post's then (its hand-off to the
// sockets) in the order they came, before it answers any of them
// (groupcommit.Queue.DoThen): no wake-up of each post's goroutine stands
// between the sync and the sockets.
type durableLog struct {
	q    *groupcommit.Queue[[]byte]
	f    logFile
	size int64

	// off is where the next group is written and buf the group's frames;
	// only the writer uses them.
	off int64
	buf []byte
	// groups are the groups written so far.
	groupsMu sync.Mutex
	groups   []logGroup
}

// durableLogMaxGroup bounds a group's posts, as the journal's maxGroup
// does (128): the benchmark's drills post one message at a time, so the
// up to 100 posts waiting all go in the next group.
const durableLogMaxGroup = 128

// logGroup is one group the writer wrote and synced: how many posts, how
// long the sync took, and the arrival model of its measured messages
// (measured is false for a group of warm-up messages only).
type logGroup struct {
	posts    int
	sync     time.Duration
	model    arrivalModel
	measured bool
}

func startDurableLog(f logFile, size int64) *durableLog {
	l := &durableLog{f: f, size: size}
	l.q = groupcommit.Start(durableLogMaxGroup, l.write)
	return l
}

// commit makes frame durable and runs then on the writer once it is; it
// returns when the frame's group was synced and handed off, or with the
// error that kept the group from being durable (then did not run). No
// context drops a post: it waits for its group's answer whatever its
// caller's context.
func (l *durableLog) commit(frame []byte, then func()) error {
	return l.q.DoThen(context.Background(), "post to the durable floor", frame, then)
}

// close stops the writer after the group it is writing; the posts still
// waiting, and those after, are refused (groupcommit.ErrClosed, as an
// internal error naming the post): neither written nor handed off.
func (l *durableLog) close() { l.q.Close() }

// write writes and syncs one group of frames, on the writer.
func (l *durableLog) write(posts []groupcommit.Item[[]byte]) []error {
	l.buf = l.buf[:0]
	g := logGroup{posts: len(posts)}
	for _, p := range posts {
		l.buf = append(l.buf, p.Req...)
		if m, _, ok := measuredSent(p.Req); ok && !g.measured {
			g.model, g.measured = m, true
		}
	}
	if l.off+int64(len(l.buf)) > l.size {
		l.off = 0 // as SQLite's log starts over after a checkpoint
	}
	_, err := l.f.WriteAt(l.buf, l.off)
	if err == nil {
		l.off += int64(len(l.buf))
		start := time.Now()
		err = l.f.Sync()
		g.sync = time.Since(start)
	}
	if err == nil {
		l.groupsMu.Lock()
		l.groups = append(l.groups, g)
		l.groupsMu.Unlock()
	}
	errs := make([]error, len(posts))
	for i := range errs {
		errs[i] = err
	}
	return errs
}

// groupStats are the synced groups of one arrival model's measured
// seconds: how many, their posts (mean and largest), and the sync's p50
// and p99 in milliseconds.
type groupStats struct {
	groups, posts, maxPosts int
	meanPosts               float64
	syncP50, syncP99        float64
}

// stats returns the groups of model m.
func (l *durableLog) stats(m arrivalModel) groupStats {
	l.groupsMu.Lock()
	defer l.groupsMu.Unlock()
	var s groupStats
	var syncs []time.Duration
	for _, g := range l.groups {
		if !g.measured || g.model != m {
			continue
		}
		s.groups++
		s.posts += g.posts
		s.maxPosts = max(s.maxPosts, g.posts)
		syncs = append(syncs, g.sync)
	}
	if s.groups == 0 {
		return s
	}
	s.meanPosts = float64(s.posts) / float64(s.groups)
	slices.Sort(syncs)
	ms := func(p float64) float64 {
		return float64(syncs[int(p*float64(len(syncs)-1))]) / float64(time.Millisecond)
	}
	s.syncP50, s.syncP99 = ms(0.50), ms(0.99)
	return s
}

// printFloor writes the durable floor's table under title: row(i) is the
// size, the three sides' results and the floor's groups of the i-th of n
// rows.
func printFloor(out *strings.Builder, title string, row func(i int) (n int, room, floor, bare fanoutResult, g groupStats), n int) {
	out.WriteString(title)
	const format = "%-7s %-24s %-16s %-16s %-14s %-26s %-22s %-26s %-24s %-12s %s\n"
	fmt.Fprintf(out, format, "drills", "durable floor p50 / p99", "room/floor p99", "floor/bare p99", "room/bare p99", "fdatasync p50/p99 /group", "posts/group mean/max", "to the sockets p50/p99", "posted (floor / due)", "delivered", "CPU/message")
	for i := range n {
		drills, room, floor, bare, g := row(i)
		fmt.Fprintf(out, format, fmt.Sprint(drills),
			fmt.Sprintf("%.1f / %.1f ms", floor.p50, floor.p99),
			fmt.Sprintf("%.2fx", room.p99/floor.p99), fmt.Sprintf("%.2fx", floor.p99/bare.p99), fmt.Sprintf("%.2fx", room.p99/bare.p99),
			fmt.Sprintf("%.2f/%.2f ms", g.syncP50, g.syncP99),
			fmt.Sprintf("%.1f / %d", g.meanPosts, g.maxPosts),
			fmt.Sprintf("%.2f/%.2f ms", floor.toHub[0], floor.toHub[1]),
			fmt.Sprintf("%d / %d", floor.posted, floor.due),
			fmt.Sprint(floor.delivered),
			fmt.Sprintf("%.0f µs", floor.cpu))
	}
	out.WriteString("(durable floor: the bare hub, but each group of waiting posts is written to a preallocated file beside the journal's with one write and one fdatasync before its frames go to the sockets; to the sockets: from the post until the frame was handed to the sockets' writers, the write and sync included)\n")
}

// recordingFile is a real log file that notes its writes and syncs, and
// holds each sync until the test allows it.
type recordingFile struct {
	f     logFile
	allow chan struct{}
	mu    sync.Mutex
	log   []string
}

func (r *recordingFile) note(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, s)
}

func (r *recordingFile) notes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.log)
}

func (r *recordingFile) WriteAt(p []byte, off int64) (int, error) {
	r.note(fmt.Sprintf("write %q", p))
	return r.f.WriteAt(p, off)
}

func (r *recordingFile) Sync() error {
	r.note("sync")
	<-r.allow
	err := r.f.Sync()
	r.note("synced")
	return err
}

func TestDurableLog(t *testing.T) {
	t.Run("a post is handed off after its group's sync returned and answered after its hand-off; posts waiting during a sync share the next group's write and sync", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f, err := openLogFile(t.TempDir(), 1<<16)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			// Each sync and each hand-off waits for a step of the test.
			rec := &recordingFile{f: dataFile{f}, allow: make(chan struct{})}
			l := startDurableLog(rec, 1<<16)
			defer l.close()
			defer close(rec.allow) // a test that failed midway lets the writer finish
			var answered []string  // by the posts' goroutines, when their commit returned
			var mu sync.Mutex
			post := func(frame string) {
				go func() {
					err := l.commit([]byte(frame), func() { rec.note("hand off " + frame); <-rec.allow })
					mu.Lock()
					defer mu.Unlock()
					answered = append(answered, fmt.Sprintf("%s (%v)", frame, err))
				}()
				synctest.Wait() // written and waiting for its sync, or waiting for its group
			}
			post("A")
			post("B")
			post("C")
			post("D")
			steps := []struct {
				notes    []string // what the writer did by then
				answered []string
			}{
				{[]string{`write "A"`, "sync"}, nil},
				{[]string{`write "A"`, "sync", "synced", "hand off A"}, nil},
				{[]string{`write "A"`, "sync", "synced", "hand off A", `write "BCD"`, "sync"}, []string{"A (<nil>)"}},
				{[]string{`write "A"`, "sync", "synced", "hand off A", `write "BCD"`, "sync", "synced", "hand off B"}, []string{"A (<nil>)"}},
				{[]string{`write "A"`, "sync", "synced", "hand off A", `write "BCD"`, "sync", "synced", "hand off B", "hand off C"}, []string{"A (<nil>)"}},
				{[]string{`write "A"`, "sync", "synced", "hand off A", `write "BCD"`, "sync", "synced", "hand off B", "hand off C", "hand off D"}, []string{"A (<nil>)"}},
				{[]string{`write "A"`, "sync", "synced", "hand off A", `write "BCD"`, "sync", "synced", "hand off B", "hand off C", "hand off D"}, []string{"A (<nil>)", "B (<nil>)", "C (<nil>)", "D (<nil>)"}},
			}
			for i, step := range steps {
				if i > 0 {
					rec.allow <- struct{}{}
					synctest.Wait()
				}
				mu.Lock()
				got := slices.Clone(answered)
				mu.Unlock()
				slices.Sort(got)
				if notes := rec.notes(); !slices.Equal(notes, step.notes) || !slices.Equal(got, step.answered) {
					t.Fatalf("step %d: the writer did\n%q\nand these posts were answered: %q\nwant\n%q\nand %q", i, notes, got, step.notes, step.answered)
				}
			}
			if data, err := os.ReadFile(f.Name()); err != nil || !bytes.HasPrefix(data, []byte("ABCD\x00")) {
				t.Errorf("the file starts with %q (%v), want ABCD then the zeros written before", data[:min(len(data), 8)], err)
			}
		})
	})
	t.Run("a group whose write fails is handed to no socket and its post gets the error", func(t *testing.T) {
		f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		l := startDurableLog(dataFile{f}, 1<<16)
		defer l.close()
		handed := false
		err = l.commit([]byte("A"), func() { handed = true })
		if !errors.Is(err, syscall.ENOSPC) || handed {
			t.Errorf("commit to /dev/full: err %v, handed off %v; want ENOSPC and no hand-off", err, handed)
		}
	})
	t.Run("a post after close is refused: neither written nor handed to any socket", func(t *testing.T) {
		f, err := openLogFile(t.TempDir(), 4096)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		l := startDurableLog(dataFile{f}, 4096)
		l.close()
		handed := false
		err = l.commit([]byte("A"), func() { handed = true })
		if data, rerr := os.ReadFile(f.Name()); err == nil || handed || rerr != nil || data[0] != 0 {
			t.Errorf("commit after close: err %v, handed off %v, the file starts with %q (%v); want an error, no hand-off and the file as it was", err, handed, data[:min(len(data), 4)], rerr)
		}
	})
	t.Run("a group that does not fit before the end of the file is written at its start, so the file does not grow", func(t *testing.T) {
		f, err := openLogFile(t.TempDir(), 4096)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		l := startDurableLog(dataFile{f}, 4096)
		defer l.close()
		frames := [][]byte{bytes.Repeat([]byte("a"), 1500), bytes.Repeat([]byte("b"), 1500), bytes.Repeat([]byte("c"), 1500)}
		for _, fr := range frames {
			if err := l.commit(fr, func() {}); err != nil {
				t.Fatal(err)
			}
		}
		data, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		if len(data) != 4096 || !bytes.Equal(data[:1500], frames[2]) || !bytes.Equal(data[1500:3000], frames[1]) {
			t.Errorf("the file is %d bytes, starting %q and %q at 1500; want 4096 bytes, c's then b's", len(data), data[:min(len(data), 4)], data[min(len(data), 1500):min(len(data), 1504)])
		}
	})
}
