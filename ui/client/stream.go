package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
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
}

// Stream is a live WebSocket stream of a drill's events: first the replay of
// the journal after a sequence number, then live events.
type Stream struct {
	conn *websocket.Conn
	last int64
}

// Stream opens the drill's event stream, replaying from after the given
// sequence number.
func (c *Client) Stream(ctx context.Context, drillID string, after int64) (*Stream, error) {
	u := *c.base
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	u.Path = "/api/drills/" + drillID + "/ws"
	u.RawQuery = fmt.Sprintf("after=%d", after)
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

// SetReadDeadline makes Next fail once t has passed without a frame.
func (s *Stream) SetReadDeadline(t time.Time) error { return s.conn.SetReadDeadline(t) }

// Close closes the stream.
func (s *Stream) Close() error { return s.conn.Close() }

// Follow calls fn with every event of the drill the person may see after
// sequence number after, in order, until ctx ends (it then returns
// ctx.Err()), fn returns an error (returned as it is), or the stream fails.
// A stream the server drops because the reader fell behind
// (wire.CloseSlowConsumer) is resumed where it stopped, so fn sees every
// event once.
func (c *Client) Follow(ctx context.Context, drillID string, after int64, fn func(wire.Event) error) error {
	for {
		s, err := c.Stream(ctx, drillID, after)
		if err != nil {
			return err
		}
		stop := context.AfterFunc(ctx, func() { s.Close() })
		for err == nil {
			var e wire.Event
			if e, err = s.Next(); err == nil {
				err = fn(e)
				after = s.Last()
			}
		}
		stop()
		s.Close()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) && ce.Code == wire.CloseSlowConsumer {
			continue
		}
		return err
	}
}
