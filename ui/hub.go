package ui

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui/wire"
)

// Audience says who may see an event in the drill room. It is computed once
// per event by Visibility and compared against each subscriber's role.
type Audience int

// Audiences, from widest to narrowest. AudienceNone events are never sent to
// browsers (for example journal entries that only carry secrets).
const (
	AudienceEveryone Audience = iota // participants and staff
	AudienceStaff                    // facilitator, designer, observer
	AudiencePrivate                  // staff and the participants it is addressed to (see Recipients)
	AudienceNone
)

// outEvent is an event as the hub fans it out: encoded once, with its audience.
type outEvent struct {
	drillID string
	// seq is the journal's number of the event; pseq is its number among
	// the events participants see (see publicSeqs).
	seq, pseq int64
	audience  Audience
	// data is the frame staff get; public the frame participants get
	// (see Server.participantEvent), nil when they do not see the event.
	data, public []byte
	// personal are the frames of the participants who were sent private
	// messages (they number events on their own), and of a private
	// message's recipients; nobody else gets a private message.
	personal map[string]personalFrame
	// resync, set when the event could not be numbered for participants,
	// drops the drill's participant subscribers: their browsers resume
	// from the journal instead of missing the event.
	resync bool
	// unnumbered marks a streamed event not yet durable whose form for
	// participants (or for one of them) is missing: a participant who
	// subscribes before its commit answers is dropped and resumes from
	// the journal.
	unnumbered bool
}

// personalFrame is an event as one participant sees it, in their numbering.
type personalFrame struct {
	seq  int64
	data []byte
}

// frameFor returns the frame a subscriber receives and its number.
func (e *outEvent) frameFor(s *subscriber) (int64, []byte) {
	if s.staff {
		return e.seq, e.data
	}
	if f, ok := e.personal[s.personID]; ok {
		return f.seq, f.data
	}
	return e.pseq, e.public
}

// subscriber is one WebSocket connection registered with the hub.
type subscriber struct {
	drillID string
	staff   bool
	// personID is the joined person the stream belongs to, empty for the
	// facilitator signed in with the admin credential.
	personID string
	// ended is set by the hub when the person's access ended (link revoked,
	// person removed, drill closed).
	ended bool
	// send is the bounded buffer between the hub and the connection's write
	// pump. The hub closes it when the subscriber is dropped.
	send chan *outEvent
	// dropped is set by the hub when the buffer overflowed.
	dropped bool
	// reset is set by the hub when the subscriber was sent an event that
	// was then withdrawn (its commit failed), or resumes from a stream of
	// another epoch: its browser discards what it has and starts over.
	reset bool
	// epoch is the drill's stream epoch when the subscriber registered
	// (see Hub.epoch).
	epoch string
}

func (s *subscriber) sees(e *outEvent) bool {
	_, personal := e.personal[s.personID]
	switch e.audience {
	case AudienceEveryone:
		return s.staff || e.public != nil || personal
	case AudienceStaff:
		return s.staff
	case AudiencePrivate:
		return s.staff || personal && s.personID != ""
	}
	return false
}

// Hub fans journal events out to the WebSocket subscribers of each drill.
// There is no hub goroutine between a drill's pump and its sockets'
// writers: Publish hands the event to each subscriber's buffer itself,
// under the lock of the drill's shard, so an event costs one goroutine
// hand-over (to each socket's write pump) after the pump, and drills of
// other shards never wait for it. A subscriber whose bounded buffer is full
// is dropped instead of blocking the others; its browser reconnects and
// resumes from the last sequence number it saw.
type Hub struct {
	shards [hubShards]hubShard
	// boot tells this hub's streams from those of the hub before a
	// restart (see epoch).
	boot string
	// bufferSize is the number of events a subscriber may lag behind
	// before it is dropped.
	bufferSize int

	subscribers, dropped, delivered atomic.Int64
	// streaming, when set, is told when the number of subscribers may
	// have gone from none to some or back (see Config.Streaming).
	streaming func(subscribers func() int)
}

// hubShards is the number of locks drills are spread over.
const hubShards = 32

// hubShard is the subscribers of the drills whose id hashes to it.
type hubShard struct {
	mu   sync.Mutex
	subs map[string]map[*subscriber]struct{}
	// pending are, per drill, the events streamed before they are durable
	// (chat messages; see control.Engine.FollowStreamed) whose commit has
	// not answered yet: a subscriber that registers meanwhile gets them,
	// since its replay of the journal may not find them.
	pending map[string][]*outEvent
	// withdrawals counts, per drill, the commits that failed after their
	// events were streamed (see epoch).
	withdrawals map[string]int
	closed      bool
}

// HubStats are counters of the hub, for tests and metrics.
type HubStats struct {
	Subscribers int
	Dropped     int64
	Delivered   int64
}

// NewHub returns a hub whose subscribers may lag at most bufferSize
// events. Call Close to end every subscription.
func NewHub(bufferSize int) *Hub {
	if bufferSize < 1 {
		bufferSize = 1
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("ui: no randomness: " + err.Error())
	}
	h := &Hub{bufferSize: bufferSize, boot: hex.EncodeToString(b[:])}
	for i := range h.shards {
		h.shards[i].subs = make(map[string]map[*subscriber]struct{})
		h.shards[i].pending = make(map[string][]*outEvent)
		h.shards[i].withdrawals = make(map[string]int)
	}
	return h
}

// shard returns the shard of drillID's subscribers: the FNV-1a hash of
// the id, computed over the string itself (hash/fnv would allocate its
// state and a copy of the id on every event).
func (h *Hub) shard(drillID string) *hubShard {
	const offset32, prime32 = 2166136261, 16777619
	sum := uint32(offset32)
	for i := 0; i < len(drillID); i++ {
		sum ^= uint32(drillID[i])
		sum *= prime32
	}
	return &h.shards[sum%hubShards]
}

// count returns the number of subscribers.
func (h *Hub) count() int { return int(h.subscribers.Load()) }

// Close closes every subscriber's buffer; later subscriptions are refused
// and later events dropped.
func (h *Hub) Close() {
	for i := range h.shards {
		sh := &h.shards[i]
		sh.mu.Lock()
		if !sh.closed {
			sh.closed = true
			for _, set := range sh.subs {
				for s := range set {
					h.drop(sh, s)
				}
			}
		}
		sh.mu.Unlock()
	}
}

// drop removes s from its drill's set and closes its buffer. The caller
// holds sh.mu; s's flags (dropped, ended) are set before, so the write pump
// reads them after the buffer is closed.
func (h *Hub) drop(sh *hubShard, s *subscriber) {
	set := sh.subs[s.drillID]
	if _, ok := set[s]; !ok {
		return
	}
	delete(set, s)
	if len(set) == 0 {
		delete(sh.subs, s.drillID)
	}
	if h.subscribers.Add(-1) == 0 && h.streaming != nil {
		h.streaming(h.count)
	}
	close(s.send)
}

// deliver hands e to the subscribers of its drill that see it, without
// waiting: a subscriber whose buffer is full is dropped. A tentative e (a
// chat message not yet durable) is kept for the subscribers that register
// before its commit answers (see settle).
func (h *Hub) deliver(e *outEvent, tentative bool) {
	sh := h.shard(e.drillID)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if tentative {
		sh.pending[e.drillID] = append(sh.pending[e.drillID], e)
	}
	h.offer(sh, e)
}

// offer hands e to the subscribers of its drill that see it. The caller
// holds sh.mu.
func (h *Hub) offer(sh *hubShard, e *outEvent) {
	for s := range sh.subs[e.drillID] {
		if e.resync && !s.staff {
			s.dropped = true
			h.dropped.Add(1)
			h.drop(sh, s)
			continue
		}
		if !s.sees(e) {
			continue
		}
		h.send(sh, s, e)
	}
}

// send puts e in s's buffer, or drops s when the buffer is full, and
// reports whether s is still subscribed. The caller holds sh.mu.
func (h *Hub) send(sh *hubShard, s *subscriber, e *outEvent) bool {
	select {
	case s.send <- e:
		h.delivered.Add(1)
		return true
	default:
		s.dropped = true
		h.dropped.Add(1)
		h.drop(sh, s)
		return false
	}
}

// settle is told the answer of the commit of drillID's streamed events
// (one append's): once they are durable, nothing more is kept of them; when
// the commit failed, every subscriber of the drill that was sent one of
// them is reset (its browser discards what it has and replays the
// journal, which does not have them) and the drill's epoch changes, so
// that a browser that was away when they were withdrawn starts over as
// well when it resumes.
func (h *Hub) settle(drillID string, failed bool) {
	sh := h.shard(drillID)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if !failed {
		// Only one append of a drill is ever pending: the engine holds
		// the drill's lock from its publish until it is settled.
		delete(sh.pending, drillID)
		return
	}
	withdrawn := sh.pending[drillID]
	delete(sh.pending, drillID)
	sh.withdrawals[drillID]++
	for s := range sh.subs[drillID] {
		for _, e := range withdrawn {
			if s.sees(e) {
				s.reset = true
				h.drop(sh, s)
				break
			}
		}
	}
}

// current reports whether epoch is the epoch of drillID's stream now.
func (h *Hub) current(drillID, epoch string) bool {
	sh := h.shard(drillID)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return h.epoch(sh, drillID) == epoch
}

// epoch names the stream of drillID a subscriber registering now joins:
// this hub's boot and the drill's withdrawals. A browser resumes after its
// last sequence number only within the epoch it saw that number in: after
// a restart (the events streamed before their commit may have been lost
// with the process) or a withdrawal, the numbers it holds may name other
// events, so it starts over. The caller holds sh.mu.
func (h *Hub) epoch(sh *hubShard, drillID string) string {
	return h.boot + "." + strconv.Itoa(sh.withdrawals[drillID])
}

// Subscriber is one registered receiver of a drill's events.
type Subscriber struct{ s *subscriber }

// Subscribe registers a receiver of drillID's events; staff receivers also
// get staff-only events. It returns nil when the hub is closed.
func (h *Hub) Subscribe(drillID string, staff bool) *Subscriber {
	s := h.subscribe(drillID, "", staff, "")
	if s == nil {
		return nil
	}
	return &Subscriber{s}
}

// Unsubscribe removes the receiver; it is safe after it was dropped.
func (h *Hub) Unsubscribe(s *Subscriber) { h.unsubscribe(s.s) }

// Next waits for the next event frame (the JSON the browser receives) and
// its sequence number as the receiver sees it. ok is false once the
// receiver was dropped or the hub closed.
func (s *Subscriber) Next() (seq int64, frame []byte, ok bool) {
	e, ok := <-s.s.send
	if !ok {
		return 0, nil, false
	}
	seq, frame = e.frameFor(s.s)
	return seq, frame, true
}

// Dropped reports whether the hub dropped the receiver because its buffer
// was full. It is meaningful once Next has returned ok == false.
func (s *Subscriber) Dropped() bool { return s.s.dropped }

// subscribe registers a new subscriber for drillID. It returns nil when the
// hub is closed. resume is the epoch the browser's last sequence number
// belongs to ("" for none): from another epoch, the subscriber is reset
// at once. Events streamed and not yet durable are in its buffer first.
func (h *Hub) subscribe(drillID, personID string, staff bool, resume string) *subscriber {
	s := &subscriber{drillID: drillID, personID: personID, staff: staff, send: make(chan *outEvent, h.bufferSize)}
	sh := h.shard(drillID)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.closed {
		return nil
	}
	s.epoch = h.epoch(sh, drillID)
	if resume != "" && resume != s.epoch {
		s.reset = true
		close(s.send)
		return s
	}
	set := sh.subs[drillID]
	if set == nil {
		set = make(map[*subscriber]struct{})
		sh.subs[drillID] = set
	}
	set[s] = struct{}{}
	if h.subscribers.Add(1) == 1 && h.streaming != nil {
		h.streaming(h.count)
	}
	for _, e := range sh.pending[drillID] {
		if e.unnumbered && !s.staff && e.audience != AudienceStaff {
			// The participants' form of e is missing: resume once it is
			// in the journal rather than miss it.
			s.dropped = true
			h.dropped.Add(1)
			h.drop(sh, s)
			break
		}
		if s.sees(e) && !h.send(sh, s, e) {
			break
		}
	}
	return s
}

// kick ends the streams of personID in drillID (every joined person's when
// personID is empty) once their access ended. It returns when they are
// dropped.
func (h *Hub) kick(drillID, personID string) {
	sh := h.shard(drillID)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for s := range sh.subs[drillID] {
		if s.personID != "" && (personID == "" || s.personID == personID) {
			s.ended = true
			h.drop(sh, s)
		}
	}
}

// unsubscribe removes s; it is safe to call after s was dropped.
func (h *Hub) unsubscribe(s *subscriber) {
	sh := h.shard(s.drillID)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	h.drop(sh, s)
}

// Publish hands a journal event to the hub, with public, the event as
// participants see it (numbered among the events they see; see
// Server.participantEvent), or nil when they do not see it, and personal,
// the event as each participant who numbers events on their own sees it
// (the recipients of private messages). Events of one drill must be
// published in sequence order, after they are durable in the journal.
func (h *Hub) Publish(e control.Event, public *wire.Event, personal ...map[string]wire.Event) {
	h.publishFrame(e, prepareEvent(e), durable, public, personal...)
}

// publishMode says how an event reaches publishFrame.
type publishMode int

const (
	// durable is an event in the journal.
	durable publishMode = iota
	// tentative is a chat message streamed while committed: settle is
	// told how its commit ended.
	tentative
	// tentativeUnnumbered is tentative without its form for every
	// participant (numbering them failed).
	tentativeUnnumbered
)

// publishFrame is Publish given e prepared for the hub (prepareEvent),
// which the server's follower does before e is durable.
func (h *Hub) publishFrame(e control.Event, p preparedEvent, mode publishMode, public *wire.Event, personal ...map[string]wire.Event) {
	a, w, data := p.audience, p.staff, p.frame
	if a == AudienceNone || p.err != nil {
		// Payloads come from the journal, which only holds valid JSON.
		return
	}
	out := &outEvent{drillID: e.DrillID, seq: e.Seq, audience: a, data: data, unnumbered: mode == tentativeUnnumbered}
	var err error
	if public != nil && a == AudienceEveryone {
		if out.public = renumberedFrame(data, w, *public); out.public == nil {
			if out.public, err = encodeEventFrame(*public); err != nil {
				return
			}
		}
		out.pseq = public.Seq
	}
	if len(personal) > 0 && (a == AudienceEveryone || a == AudiencePrivate) {
		for id, w := range personal[0] {
			b, err := encodeEventFrame(w)
			if err != nil {
				return
			}
			if out.personal == nil {
				out.personal = make(map[string]personalFrame, len(personal[0]))
			}
			out.personal[id] = personalFrame{seq: w.Seq, data: b}
		}
	}
	h.deliver(out, mode != durable)
}

// resync drops the participants following drillID, so that their browsers
// resume from the journal.
func (h *Hub) resync(drillID string) {
	h.deliver(&outEvent{drillID: drillID, resync: true}, false)
}

// Stats returns the hub's counters.
func (h *Hub) Stats() HubStats {
	return HubStats{Subscribers: int(h.subscribers.Load()), Dropped: h.dropped.Load(), Delivered: h.delivered.Load()}
}

// EventRetroChanged is what the stream says of a retro entry: that the
// retro changed, with neither its author nor its content, so that retro
// pages refetch their view instead of polling.
const EventRetroChanged = "retro.changed"

// withoutSource drops the source of a chat message's payload m, which
// names the inject, follow-up or hint a persona's message was scripted from
// (alerts keep "alert:" only): a participant sees a scripted message
// exactly as the facilitator's live one.
func withoutSource(m map[string]json.RawMessage) {
	var src string
	_ = json.Unmarshal(m["source"], &src)
	delete(m, "source")
	if strings.HasPrefix(src, "alert:") {
		// Monitoring alerts are automated in a real incident too: the room
		// shows them as alerts, without the scenario's alert id.
		m["source"] = json.RawMessage(`"alert:"`)
	}
}

// audienceOf returns who sees e on the stream.
func audienceOf(e control.Event) Audience {
	if control.InNamespace(e.Type, control.NamespaceRetro) {
		return AudienceEveryone
	}
	return Visibility(e)
}

// streamed returns who sees e on the stream and in what form (the staff's).
// It reads a chat message's payload (see Visibility): the server's
// publisher calls it once per event and hands both on.
func streamed(e control.Event) (Audience, wire.Event) {
	if control.InNamespace(e.Type, control.NamespaceRetro) {
		w := wireEvent(e)
		w.Type, w.Actor, w.Payload = EventRetroChanged, "", nil
		return AudienceEveryone, w
	}
	return Visibility(e), wireEvent(e)
}

func wireEvent(e control.Event) wire.Event {
	var t [len(wireTimeLayout) + 8]byte
	return wire.Event{
		Seq:         e.Seq,
		Type:        e.Type,
		Time:        string(e.Time.UTC().AppendFormat(t[:0], wireTimeLayout)),
		DrillTimeMS: e.DrillTime.Milliseconds(),
		Actor:       e.Actor,
		Payload:     withoutRecord(e),
	}
}

// wireTimeLayout is how the stream writes an event's time.
const wireTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// withoutRecord returns e's payload without the revert record of a fault
// event. Revert records are the engine's business (they hold the previous
// values of what a fault changed, Secret values included, sealed): nobody in
// the drill room receives one, whatever their role.
func withoutRecord(e control.Event) json.RawMessage {
	if !control.InNamespace(e.Type, control.NamespaceFault) || !bytes.Contains(e.Payload, []byte(`"record"`)) {
		return e.Payload
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(e.Payload, &m); err != nil {
		return nil
	}
	delete(m, "record")
	b, err := json.Marshal(m)
	if err != nil {
		return nil
	}
	return b
}
