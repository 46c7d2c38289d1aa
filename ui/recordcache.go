package ui

import (
	"context"
	"fmt"
	"sync"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/injectors"
)

// maxCachedRecords bounds how many drills' records the room keeps in memory.
const maxCachedRecords = 32

// recordCache keeps the assembled record of the drills whose retro people
// have open: GET /retro is served from it, reading only the journal entries
// appended since, and assembling again only when there are some. The record
// is shared: callers must not change it.
type recordCache struct {
	journal Journal
	mu      sync.Mutex
	drills  map[string]*recordEntry
}

type recordEntry struct {
	mu     sync.Mutex
	events []control.Event
	rec    *record.Record
}

func newRecordCache(j Journal) *recordCache {
	return &recordCache{journal: j, drills: make(map[string]*recordEntry)}
}

// load returns the drill's record, caught up with the journal.
func (c *recordCache) load(ctx context.Context, drillID string) (*record.Record, error) {
	c.mu.Lock()
	e, ok := c.drills[drillID]
	if !ok {
		if len(c.drills) >= maxCachedRecords {
			for id := range c.drills {
				delete(c.drills, id)
				break
			}
		}
		e = &recordEntry{}
		c.drills[drillID] = e
	}
	c.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	var after int64
	if n := len(e.events); n > 0 {
		after = e.events[n-1].Seq
	}
	more, err := c.journal.Events(ctx, drillID, after, 0)
	if err != nil {
		return nil, fmt.Errorf("record of drill %s: %w", drillID, err)
	}
	if len(more) == 0 && e.rec != nil {
		return e.rec, nil
	}
	events := append(e.events, more...)
	if len(events) == 0 {
		return nil, injectors.Errorf(injectors.ENOTFOUND, "drill %s does not exist", drillID)
	}
	rec, err := record.Assemble(events)
	if err != nil {
		return nil, err
	}
	e.events, e.rec = events, rec
	return rec, nil
}
