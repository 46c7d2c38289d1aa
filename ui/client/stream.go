package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/firedrill/firedrill/ui/wire"
	"github.com/gorilla/websocket"
)

// Frame kinds the server sends on a drill's stream.
const (
	// FrameEvent carries one journal event the person may see.
	FrameEvent = wire.FrameEvent
	// FrameReady says the replay is done: the person has every event they
	// may see up to Frame.Seq; live events follow.
	FrameReady = wire.FrameReady
)

// Frame is one message of a drill's stream.
type Frame struct {
	Kind  string     `json:"kind"`
	Event wire.Event `json:"event"`
	Seq   int64      `json:"seq,omitempty"`
	// Epoch, on a ready frame, names the stream the numbers belong to
	// (see Client.Resume).
	Epoch string `json:"epoch,omitempty"`
}

// Stream is a live WebSocket stream of a drill's events: first the replay of
// the journal after a sequence number, then live events.
type Stream struct {
	conn  *websocket.Conn
	last  int64
	epoch string
}

// Stream opens the drill's event stream, replaying from after the given
// sequence number.
func (c *Client) Stream(ctx context.Context, drillID string, after int64) (*Stream, error) {
	return c.Resume(ctx, drillID, after, "")
}

// Resume opens the drill's event stream after the given sequence number,
// received on a stream of the given epoch (Stream.Epoch; "" for none). If
// the server's stream is of another epoch now (it restarted, or withdrew a
// chat message whose commit failed), the numbers may name other events:
// the server closes the stream with wire.CloseReset, and the caller
// starts over from 0 without an epoch.
func (c *Client) Resume(ctx context.Context, drillID string, after int64, epoch string) (*Stream, error) {
	u := *c.base
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	u.Path = "/api/drills/" + drillID + "/ws"
	q := url.Values{"after": {strconv.FormatInt(after, 10)}}
	if epoch != "" {
		q.Set("epoch", epoch)
	}
	u.RawQuery = q.Encode()
	d := websocket.Dialer{Jar: c.hc.Jar, HandshakeTimeout: 30 * time.Second, NetDialContext: c.DialStream}
	h := http.Header{"Origin": {c.base.Scheme + "://" + c.base.Host}}
	conn, resp, err := d.DialContext(ctx, u.String(), h)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("stream of drill %s: HTTP %d: %w", drillID, resp.StatusCode, err)
		}
		return nil, fmt.Errorf("stream of drill %s: %w", drillID, err)
	}
	return &Stream{conn: conn, last: after}, nil
}

// NextFrame reads the next frame, event or ready marker.
func (s *Stream) NextFrame() (Frame, error) {
	var f Frame
	_, b, err := s.conn.ReadMessage()
	if err != nil {
		return f, err
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("stream: frame %.200q: %w", b, err)
	}
	switch f.Kind {
	case FrameEvent:
		s.last = f.Event.Seq
	case FrameReady:
		s.last = max(s.last, f.Seq)
		s.epoch = f.Epoch
	default:
		return f, fmt.Errorf("stream: frame of unknown kind %q", f.Kind)
	}
	return f, nil
}

// Next returns the next event, passing over the ready marker.
func (s *Stream) Next() (wire.Event, error) {
	for {
		f, err := s.NextFrame()
		if err != nil {
			return wire.Event{}, err
		}
		if f.Kind == FrameEvent {
			return f.Event, nil
		}
	}
}

// Last returns the sequence number the stream has seen up to: resume a
// dropped stream after it.
func (s *Stream) Last() int64 { return s.last }

// Epoch returns the epoch of the stream's ready frame ("" before it):
// resume with it (Client.Resume).
func (s *Stream) Epoch() string { return s.epoch }

// SetReadDeadline makes Next fail once t has passed without a frame.
func (s *Stream) SetReadDeadline(t time.Time) error { return s.conn.SetReadDeadline(t) }

// Close closes the stream.
func (s *Stream) Close() error { return s.conn.Close() }

// ErrReset is what Follow returns when the server reset the stream
// (wire.CloseReset): an event fn saw may not be in the journal (a chat
// message whose commit failed, streamed while it was committed), or the
// numbers held name other events (the server restarted or another replica
// leads). Start over from the start, forgetting what fn saw.
var ErrReset = errors.New("stream: the server reset the stream; what was received may not be the drill's events, start over from 0")

// Cursor is where a follower is in a drill's stream: the last sequence
// number it received and the epoch of the stream it received it on. The
// zero Cursor is the start.
type Cursor struct {
	Seq   int64
	Epoch string
}

// Follow calls fn with every event of the drill the person may see after
// sequence number after, in order, until ctx ends (it then returns
// ctx.Err()), fn returns an error (returned as it is), or the stream fails.
// A stream the server drops because the reader fell behind
// (wire.CloseSlowConsumer) is resumed where it stopped, so fn sees every
// event once. A stream the server resets ends Follow with ErrReset.
func (c *Client) Follow(ctx context.Context, drillID string, after int64, fn func(wire.Event) error) error {
	return c.FollowCursor(ctx, drillID, &Cursor{Seq: after}, fn)
}

// FollowCursor is Follow from cur, which it moves as events arrive, so
// that a caller whose stream broke (its replica died) follows again from
// where it was, as the drill room's pages do. On ErrReset, cur is back at
// the start.
func (c *Client) FollowCursor(ctx context.Context, drillID string, cur *Cursor, fn func(wire.Event) error) error {
	for {
		s, err := c.Resume(ctx, drillID, cur.Seq, cur.Epoch)
		if err != nil {
			return err
		}
		stop := context.AfterFunc(ctx, func() { s.Close() })
		for err == nil {
			var f Frame
			if f, err = s.NextFrame(); err != nil {
				break
			}
			if f.Kind == FrameReady {
				cur.Seq, cur.Epoch = s.Last(), s.Epoch()
				continue
			}
			if err = fn(f.Event); err == nil {
				cur.Seq = s.Last()
			}
		}
		stop()
		s.Close()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			switch ce.Code {
			case wire.CloseSlowConsumer:
				continue
			case wire.CloseReset:
				*cur = Cursor{}
				return fmt.Errorf("%w (%s)", ErrReset, ce.Text)
			}
		}
		return err
	}
}
