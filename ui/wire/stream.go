package wire

import "encoding/json"

// Event is an event as browsers receive it: the journal entry without its
// hash chain, with the drill clock in milliseconds.
type Event struct {
	Seq         int64           `json:"seq"`
	Type        string          `json:"type"`
	Time        string          `json:"time"`
	DrillTimeMS int64           `json:"drillTimeMs"`
	Actor       string          `json:"actor"`
	Payload     json.RawMessage `json:"payload,omitempty"`
}

// Close codes the server uses; browsers reconnect and resume on both.
const (
	// CloseSlowConsumer tells a browser it fell too far behind and was
	// dropped; it reconnects with its last sequence number.
	CloseSlowConsumer = 4000
	// CloseShutdown tells a browser the server is stopping.
	CloseShutdown = 4001
	// CloseAccessEnded tells a browser its person's access to the drill
	// ended (link replaced or revoked, person removed, drill closed); it
	// does not reconnect with the same session.
	CloseAccessEnded = 4003
	// CloseReset tells a browser that events it received may not be
	// events of the drill: a chat message is streamed while it is
	// committed, and its commit failed, or the server restarted (or
	// another replica took over) since the browser's last event, so the
	// numbers it holds may name other events. It discards what it has and
	// reconnects from sequence number 0, without an epoch.
	CloseReset = 4009
)

// Frame kinds the server sends on a drill's stream.
const (
	// FrameEvent carries one journal event the person may see.
	FrameEvent = "event"
	// FrameReady says the replay is done: the person has every event they
	// may see up to the frame's seq; live events follow.
	FrameReady = "ready"
)
