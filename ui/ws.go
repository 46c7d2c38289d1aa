package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/ui/wire"
)

// WebSocket timing and limits, as in gorilla/websocket's chat example.
const (
	// writeWait is the time allowed to write one frame to the browser.
	writeWait = 10 * time.Second
	// pongWait is the time allowed between pongs from the browser.
	pongWait = 60 * time.Second
	// pingPeriod must be shorter than pongWait.
	pingPeriod = (pongWait * 9) / 10
	// maxClientFrame is the largest frame a browser may send; browsers only
	// send small control requests on the socket (messages go through the
	// JSON API), so anything larger is abuse.
	maxClientFrame = 4096
	// replayBatch is how many journal events are read per query when a
	// browser resumes.
	replayBatch = 500
)

// Journal is what the drill room reads of the drills' journals: the durable
// events after a sequence number, in order (to replay a drill's history to a
// browser that connects or reconnects, and to build records), and the list
// of drills (for the history and the program's report). control.Store
// satisfies it.
type Journal interface {
	record.Store
}

// frame is what the server sends on the socket.
type frame struct {
	Kind  string          `json:"kind"` // wire.FrameEvent or wire.FrameReady
	Event json.RawMessage `json:"event,omitempty"`
	// Seq is the journal head when Kind is "ready": the browser has every
	// event it may see up to it.
	Seq int64 `json:"seq,omitempty"`
	// Epoch, when Kind is "ready", names the stream the browser's
	// numbers belong to: it resumes with ?after=N&epoch=E, and starts
	// over (wire.CloseReset) when the stream's epoch changed.
	Epoch string `json:"epoch,omitempty"`
}

// eventFramePrefix is how an event frame starts, before its event.
const eventFramePrefix = `{"kind":"` + wire.FrameEvent + `","event":`

// encodeEventFrame returns the frame of w: what json.Marshal(frame{Kind:
// wire.FrameEvent, Event: <w encoded>}) would make, with the event encoded
// once, in place, and no copy of it.
func encodeEventFrame(w wire.Event) ([]byte, error) {
	return json.Marshal(eventFrame{Kind: wire.FrameEvent, Event: w})
}

// eventFrame is an event frame as encodeEventFrame makes it.
type eventFrame struct {
	Kind  string     `json:"kind"`
	Event wire.Event `json:"event"`
}

// eventFrameSeq is how an event frame starts, up to its event's number.
const eventFrameSeq = eventFramePrefix + `{"seq":`

// renumberedFrame returns the frame of to, made from the frame of from
// when the two differ only by their number (a participant's copy of a
// plain chat message, say) instead of encoding to again; nil when they
// differ otherwise.
func renumberedFrame(frame []byte, from, to wire.Event) []byte {
	if from.Type != to.Type || from.Time != to.Time || from.DrillTimeMS != to.DrillTimeMS || from.Actor != to.Actor || !bytes.Equal(from.Payload, to.Payload) {
		return nil
	}
	head := len(eventFrameSeq)
	var digits [20]byte
	n := strconv.AppendInt(digits[:0], from.Seq, 10)
	if len(frame) < head+len(n) || string(frame[:head]) != eventFrameSeq || !bytes.Equal(frame[head:head+len(n)], n) {
		return nil
	}
	rest := frame[head+len(n):]
	b := make([]byte, 0, len(frame)+20)
	b = append(b, eventFrameSeq...)
	b = strconv.AppendInt(b, to.Seq, 10)
	return append(b, rest...)
}

// apiWS upgrades GET /api/drills/{id}/ws?after=N&epoch=E to a WebSocket
// that streams the drill's events the caller may see, starting after
// sequence number N: first the missed history from the journal, then live
// events from the hub, with nothing lost and nothing sent twice.
// Participants number the events they see on their own (see publicSeqs), so
// N is in their numbering. E is the epoch of the ready frame N was
// received after; if the stream's epoch is another now (see Hub.epoch),
// the socket is closed with wire.CloseReset before anything is sent.
func (s *Server) apiWS(w http.ResponseWriter, r *http.Request, sess *Session) {
	resume := r.URL.Query().Get("epoch")
	if len(resume) > 64 {
		s.writeError(w, r, injectors.Errorf(injectors.EINVALID, "epoch: at most 64 characters, the epoch of the stream's ready frame"))
		return
	}
	after := int64(0)
	if v := r.URL.Query().Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			s.writeError(w, r, injectors.Errorf(injectors.EINVALID, "after: %q is not a sequence number, expected a whole number of zero or more", v))
			return
		}
		after = n
	}
	drillID := r.PathValue("id")
	if resume != "" && !s.hub.current(drillID, resume) {
		// The numbers the browser holds may name other events: it
		// starts over, whatever after says.
		s.resetWS(w, r)
		return
	}
	var head int64
	if err := s.engine.View(r.Context(), drillID, func(d *control.Drill) error { head = d.Seq; return nil }); err != nil {
		s.writeError(w, r, err)
		return
	}
	staff := sess.staff()
	if staff && after > head {
		// Resuming past the head would silently drop the events up to
		// after once they are appended.
		s.writeError(w, r, injectors.Errorf(injectors.EINVALID, "after: #%d is past the drill's last event #%d; resume from a sequence number you received", after, head))
		return
	}
	if !staff {
		n, err := s.publicSeqs.journalSeq(r.Context(), drillID, sess.PersonID, after, head)
		if err != nil {
			s.writeError(w, r, fmt.Errorf("after: %w; resume from a sequence number you received", err))
			return
		}
		after = n
	}
	if err := s.ensurePump(drillID); err != nil {
		s.writeError(w, r, err)
		return
	}
	conn, err := s.upgrader().Upgrade(w, r, nil)
	if err != nil {
		// Upgrade has already written the HTTP error.
		return
	}
	personID := sess.PersonID
	if sess.Admin {
		personID = ""
	}
	sub := s.hub.subscribe(drillID, personID, staff, resume)
	if sub == nil {
		conn.Close()
		return
	}
	if resume != "" && sub.epoch != resume {
		// Withdrawn since the check above.
		writeClose(conn, s.netClock.Now(), wire.CloseReset, resetText)
		return
	}
	s.conns.Add(1)
	go s.readPump(conn, sub)
	go s.writePump(conn, sub, drillID, after)
}

// upgrader upgrades the drill room's WebSocket requests.
func (s *Server) upgrader() *websocket.Upgrader {
	return &websocket.Upgrader{
		ReadBufferSize:  1024,
		WriteBufferSize: 4096,
		CheckOrigin:     s.sameOrigin,
	}
}

// resetText is the reason of a wire.CloseReset.
const resetText = "the stream started over: discard your events and reconnect from 0"

// resetWS upgrades r and closes the socket at once with wire.CloseReset:
// a browser cannot read the status of a refused upgrade, but reads a
// close code.
func (s *Server) resetWS(w http.ResponseWriter, r *http.Request) {
	conn, err := s.upgrader().Upgrade(w, r, nil)
	if err != nil {
		return
	}
	writeClose(conn, s.netClock.Now(), wire.CloseReset, resetText)
}

// writeClose sends a close frame with code and text and closes conn.
func writeClose(conn *websocket.Conn, now time.Time, code int, text string) {
	_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), now.Add(writeWait))
	conn.Close()
}

// readPump reads from the browser so that pongs and close frames are
// processed, and ends the connection when it goes quiet. The socket is
// receive-only (messages are posted through the JSON API, which checks CSRF
// and the rate limit), so a data frame from the browser ends the connection.
func (s *Server) readPump(conn *websocket.Conn, sub *subscriber) {
	defer func() {
		s.hub.unsubscribe(sub)
		conn.Close()
	}()
	conn.SetReadLimit(maxClientFrame)
	_ = conn.SetReadDeadline(s.netClock.Now().Add(pongWait))
	conn.SetPongHandler(func(string) error {
		return conn.SetReadDeadline(s.netClock.Now().Add(pongWait))
	})
	// ReadMessage returns on the first data frame, on a close frame, on a
	// frame over maxClientFrame, or when pongs stop: every case ends the
	// connection.
	_, _, _ = conn.ReadMessage()
}

// writePump is the only writer of conn. It replays the journal after the
// browser's last sequence number, then forwards live events from the hub,
// skipping any it already replayed. Live events buffer in the subscriber
// while the replay runs; if the buffer overflows the hub drops the
// subscriber and the browser resumes again.
func (s *Server) writePump(conn *websocket.Conn, sub *subscriber, drillID string, after int64) {
	ticker := s.netClock.NewTicker(pingPeriod)
	defer func() {
		ticker.Stop()
		conn.Close()
		s.conns.Done()
	}()
	// Each frame gets between writeWait-time.Second and writeWait to be
	// written: the deadline is moved at most once a second, as moving it
	// costs a timer update on every frame otherwise.
	var deadline time.Time
	write := func(kind int, data []byte) error {
		if now := s.netClock.Now(); deadline.Sub(now) < writeWait-time.Second {
			deadline = now.Add(writeWait)
			_ = conn.SetWriteDeadline(deadline)
		}
		return conn.WriteMessage(kind, data)
	}
	last, err := s.replay(drillID, after, sub.staff, sub.personID, func(data []byte) error {
		return write(websocket.TextMessage, data)
	})
	seen := last
	if err == nil && !sub.staff {
		seen, err = s.publicSeqs.upTo(s.ctx, drillID, sub.personID, last)
	}
	if err != nil {
		if isGone(err) {
			// The browser left during the replay: nothing went wrong here.
			s.logger.Debug(fmt.Sprintf("replay drill %s after #%d: the browser left: %v", drillID, after, err))
			return
		}
		s.logf("replay drill %s after #%d: %v", drillID, after, err)
		_ = write(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseInternalServerErr, "replay failed"))
		return
	}
	ready, err := json.Marshal(frame{Kind: wire.FrameReady, Seq: seen, Epoch: sub.epoch})
	if err != nil {
		s.logf("drill %s: ready frame: %v", drillID, err)
		return
	}
	if err := write(websocket.TextMessage, ready); err != nil {
		return
	}
	for {
		select {
		case e, ok := <-sub.send:
			if !ok {
				code, text := wire.CloseShutdown, "server stopping"
				if sub.dropped {
					code, text = wire.CloseSlowConsumer, "too slow; resume from your last sequence number"
				}
				if sub.ended {
					code, text = wire.CloseAccessEnded, "your access to this drill ended"
				}
				if sub.reset {
					code, text = wire.CloseReset, resetText
				}
				_ = write(websocket.CloseMessage, websocket.FormatCloseMessage(code, text))
				return
			}
			if e.seq <= last {
				continue
			}
			last = e.seq
			if _, data := e.frameFor(sub); write(websocket.TextMessage, data) != nil {
				return
			}
		case <-ticker.C():
			if err := write(websocket.PingMessage, nil); err != nil {
				return
			}
		}
	}
}

// replay sends the drill's journal events after seq that the subscriber may
// see (numbered for participants as they see them), and returns the journal
// sequence number of the last event read (seen or not).
func (s *Server) replay(drillID string, after int64, staff bool, person string, send func([]byte) error) (int64, error) {
	last := after
	for {
		events, err := s.journal.Events(s.ctx, drillID, last, replayBatch)
		if err != nil {
			return last, err
		}
		for _, e := range events {
			last = e.Seq
			a, w := streamed(e)
			if a == AudienceNone || (a == AudienceStaff && !staff) {
				continue
			}
			if !staff {
				n, seen, err := s.publicSeqs.of(s.ctx, drillID, person, e.Seq)
				if err != nil {
					return last, err
				}
				if !seen {
					continue // a private message to someone else
				}
				if w, err = s.participantEvent(s.ctx, e, w, n, person); err != nil {
					return last, err
				}
			}
			data, err := encodeEventFrame(w)
			if err != nil {
				return last, err
			}
			if err := send(data); err != nil {
				return last, err
			}
		}
		if len(events) < replayBatch {
			return last, nil
		}
	}
}

// isGone reports whether err says the other end of a connection went away
// (closed, reset, broken pipe, timed out), which a browser does whenever it
// reloads or closes a page, or that the server is stopping.
func isGone(err error) bool {
	var ne net.Error
	if errors.Is(err, context.Canceled) || errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) ||
		(errors.As(err, &ne) && ne.Timeout()) || errors.Is(err, websocket.ErrCloseSent) {
		return true
	}
	return false
}
