package ui

import (
	"sync"
	"time"

	"k8s.io/utils/clock"
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
