package ui

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/retro"
	"github.com/firedrill/firedrill/injectors"
)

// RateLimit is a token bucket: Burst messages at once, refilled at one
// message per Every.
type RateLimit struct {
	Burst int
	Every time.Duration
}

// DefaultRateLimit lets a person post 10 messages at once and one a second
// after that: far above anyone typing, far below a script flooding a channel.
var DefaultRateLimit = RateLimit{Burst: 10, Every: time.Second}

// DefaultDrillQuota is the most journal entries a drill may hold before
// people's writes are refused: a 90-minute drill of six people writes a few
// thousand; a script flooding it is stopped long before every browser's
// replay becomes megabytes.
const DefaultDrillQuota = 20000

// DefaultTypeQuotas are the most entries of one kind a drill may hold, so
// that one kind of write (role claims, say) cannot fill the drill's whole
// quota and crowd out the others (the chat). A drill of a dozen people uses
// a small part of each; drafts, saved as people type, get half the drill's
// quota.
var DefaultTypeQuotas = map[string]int64{
	control.EventRoleClaim:    500,
	control.EventObserverNote: 2000,
	control.EventNoticePosted: 500,
	retro.EventDraft:          10000,
	retro.EventSubmitted:      1000,
	retro.EventQuestion:       500,
	retro.EventActionProposed: 500,
}

// routeTypes are the entries each write route of people's content appends.
var routeTypes = map[string][]string{
	"/api/drills/{id}/claims": {control.EventRoleClaim}, "/api/drills/{id}/notes": {control.EventObserverNote},
	"/api/drills/{id}/notices": {control.EventNoticePosted}, "/api/drills/{id}/retro/answers": {retro.EventDraft},
	"/api/drills/{id}/retro/submit": {retro.EventSubmitted}, "/api/drills/{id}/retro/questions": {retro.EventQuestion},
	"/api/drills/{id}/retro/actions": {retro.EventActionProposed},
}

// peopleWrites are the write routes of people's content, which the drill
// quota applies to; the facilitator's control of the drill (lifecycle,
// faults, hints, people) only has the rate limit, so a full drill can
// still be ended and its faults reverted.
var peopleWrites = map[string]bool{
	"/api/drills/{id}/messages": true, "/api/drills/{id}/notes": true, "/api/drills/{id}/notices": true,
	"/api/drills/{id}/claims": true, "/api/drills/{id}/retro/answers": true, "/api/drills/{id}/retro/submit": true,
	"/api/drills/{id}/retro/questions": true, "/api/drills/{id}/retro/actions": true,
}

// writeBudget charges a write to a drill against the writer's rate limit
// and, for people's content, the drill's quota.
func (s *Server) writeBudget(r *http.Request, rt route, sess *Session) error {
	id := r.PathValue("id")
	if strings.HasPrefix(rt.Pattern, "/api/studio/") {
		return s.studioWriteBudget(rt, sess)
	}
	if id == "" {
		return s.programWriteBudget(r, rt, sess)
	}
	if sess == nil {
		return nil
	}
	lim := s.writes
	if sess.Admin || sess.Role == control.RoleFacilitator {
		lim = s.facWrites
	}
	if !lim.allow("write:" + id + ":" + sess.actor()) {
		return injectors.Errorf(injectors.ECONFLICT, "You are doing that too fast; wait a moment.")
	}
	if !peopleWrites[rt.Pattern] {
		return nil
	}
	var seq int64
	if err := s.engine.View(r.Context(), id, func(d *control.Drill) error { seq = d.Seq; return nil }); err != nil {
		return nil // the handler reports the drill's own error
	}
	if seq >= s.quota {
		return injectors.Errorf(injectors.ECONFLICT, "This drill holds %d entries, its quota: nothing more can be added.", seq)
	}
	types := routeTypes[rt.Pattern]
	if len(types) == 0 {
		return nil
	}
	st, err := s.rooms.state(r.Context(), id)
	if err != nil {
		return nil // the handler reports the drill's own error
	}
	for _, typ := range types {
		if q, ok := s.typeQuotas[typ]; ok && st.counts[typ] >= q {
			return injectors.Errorf(injectors.ECONFLICT, "This drill holds %d entries of this kind (%s), its quota: no more can be added.", st.counts[typ], typ)
		}
	}
	return nil
}

// limiter keeps one token bucket per key (a person or the facilitator).
type limiter struct {
	clock clock.PassiveClock
	rate  RateLimit
	mu    sync.Mutex
	b     map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(c clock.PassiveClock, r RateLimit) *limiter {
	return &limiter{clock: c, rate: r, b: make(map[string]*bucket)}
}

// allow takes one token from key's bucket and reports whether there was one.
func (l *limiter) allow(key string) bool {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.b[key]
	if !ok {
		b = &bucket{tokens: float64(l.rate.Burst), at: now}
		l.b[key] = b
	}
	if l.rate.Every > 0 {
		b.tokens += float64(now.Sub(b.at)) / float64(l.rate.Every)
		if b.tokens > float64(l.rate.Burst) {
			b.tokens = float64(l.rate.Burst)
		}
	}
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// typeQuotas returns the per-type quotas: the configured ones over the
// defaults.
func typeQuotas(cfg map[string]int64) map[string]int64 {
	q := make(map[string]int64, len(DefaultTypeQuotas))
	for k, v := range DefaultTypeQuotas {
		q[k] = v
	}
	for k, v := range cfg {
		q[k] = v
	}
	return q
}
