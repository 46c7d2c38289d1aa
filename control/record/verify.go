package record

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/firedrill/firedrill/injectors"
)

// Verification is what Verify proved about a kept record.
type Verification struct {
	DrillID string `json:"drillId"`
	Head    string `json:"head"`
	Events  int    `json:"events"`
	// Sections are the derived sections re-computed from the journal and
	// found equal; none when they were not compared.
	Sections []string `json:"sections"`
	// SectionsVersion is the version that derived the record's sections,
	// 0 when the record does not state one.
	SectionsVersion int `json:"sectionsVersion"`
	// NotCompared says why the derived sections were not compared (the
	// record was written by another version of their wording); empty when
	// they were.
	NotCompared string `json:"notCompared,omitempty"`
}

// Verify proves a kept record unaltered: the journal it carries is a valid
// hash chain from event #1 to the head it states, and, when the record was
// derived by this SectionsVersion or an older one it still derives (from
// ComparedSince), every other section (metrics, timeline, notices, retro,
// …) is exactly what that journal gives as that version derives it. A
// record of another version (or of none, exported before the version was
// recorded) is verified by its chain alone, and the Verification says why its
// sections were not compared: the same journal is worded differently by
// another version. A failure is an EINVALID error naming the altered event
// or section.
//
// The chain proves the record matches the journal whose head it names;
// comparing that head with the one the controller's database holds (or one
// written down when the drill closed) proves it is the journal that was
// kept.
func Verify(r *Record) (*Verification, error) {
	if r.Schema != Schema {
		return nil, injectors.Errorf(injectors.EINVALID, "record $schema is %q, expected %q", r.Schema, Schema)
	}
	if r.SectionsVersion < 0 {
		return nil, injectors.Errorf(injectors.EINVALID, "record sectionsVersion is %d, expected a positive version", r.SectionsVersion)
	}
	evs := r.Chain.Events
	if len(evs) == 0 {
		return nil, injectors.Errorf(injectors.EINVALID, "record of drill %s carries no journal", r.DrillID)
	}
	if r.Chain.Count != len(evs) {
		return nil, injectors.Errorf(injectors.EINVALID, "record states %d events but carries %d", r.Chain.Count, len(evs))
	}
	prevSeq, prev := int64(0), ""
	for i := range evs {
		e := &evs[i]
		if e.DrillID != r.DrillID {
			return nil, injectors.Errorf(injectors.EINVALID, "event #%d belongs to drill %q, not %q", e.Seq, e.DrillID, r.DrillID)
		}
		if e.Seq != prevSeq+1 {
			return nil, injectors.Errorf(injectors.EINVALID, "event #%d follows #%d: events were removed or reordered", e.Seq, prevSeq)
		}
		if e.PrevHash != prev {
			return nil, injectors.Errorf(injectors.EINVALID, "event #%d (%s) does not link to event #%d: its prevHash was altered", e.Seq, e.Type, prevSeq)
		}
		h, err := e.ComputeHash(prev)
		if err != nil {
			return nil, injectors.Errorf(injectors.EINVALID, "event #%d (%s): %v", e.Seq, e.Type, err)
		}
		if h != e.Hash {
			return nil, injectors.Errorf(injectors.EINVALID, "event #%d (%s at %s) was altered: its content does not match its hash", e.Seq, e.Type, Clock(e.DrillTime.Milliseconds()))
		}
		prevSeq, prev = e.Seq, e.Hash
	}
	if prev != r.Chain.Head {
		return nil, injectors.Errorf(injectors.EINVALID, "the chain ends at %s but the record states head %s", prev, r.Chain.Head)
	}
	version := SectionsVersion
	if r.SectionsVersion >= ComparedSince && r.SectionsVersion < SectionsVersion {
		version = r.SectionsVersion
	}
	again, err := assemble(evs, version)
	if err != nil {
		if injectors.ErrorCode(err) == injectors.EINVALID {
			return nil, err
		}
		return nil, injectors.Errorf(injectors.EINVALID, "the journal of drill %s is a valid chain but cannot be replayed: %v", r.DrillID, err)
	}
	v := &Verification{DrillID: r.DrillID, Head: prev, Events: len(evs), SectionsVersion: r.SectionsVersion}
	if v.NotCompared = notCompared(r.SectionsVersion); v.NotCompared != "" {
		return v, nil
	}
	if v.Sections, err = compareSections(r, again); err != nil {
		return nil, err
	}
	return v, nil
}

// notCompared says why the sections of a record of version v are not
// compared with this version's, or "" when they are.
func notCompared(v int) string {
	switch {
	case v >= ComparedSince && v <= SectionsVersion:
		return ""
	case v == 0:
		return fmt.Sprintf("the record states no sectionsVersion: it was exported by a firedrill older than sections version %d, whose wording of the derived sections (timeline, responses, …) may differ, so they were not compared; its journal and hash chain were verified", SectionsVersion)
	case v > SectionsVersion:
		return fmt.Sprintf("the record's sections were derived by sections version %d, newer than this firedrill's %d, so they were not compared; its journal and hash chain were verified", v, SectionsVersion)
	}
	return fmt.Sprintf("the record's sections were derived by sections version %d, whose wording differs from this firedrill's %d (it re-derives versions %d to %d), so they were not compared; its journal and hash chain were verified", v, SectionsVersion, ComparedSince, SectionsVersion)
}

// compareSections compares every top-level field of two records but the
// chain, and names the first difference down to the array index.
func compareSections(kept, fresh *Record) ([]string, error) {
	a, err := toMap(kept)
	if err != nil {
		return nil, err
	}
	b, err := toMap(fresh)
	if err != nil {
		return nil, err
	}
	var names []string
	for k := range b {
		names = append(names, k)
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var checked []string
	for _, k := range names {
		if k == "chain" {
			continue
		}
		if path, ok := firstDiff(k, a[k], b[k]); !ok {
			return nil, injectors.Errorf(injectors.EINVALID, "record section %s was altered: it differs from what the journal gives", path)
		}
		checked = append(checked, k)
	}
	return checked, nil
}

func toMap(r *Record) (map[string]json.RawMessage, error) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		return nil, err
	}
	return m, nil
}

// firstDiff compares two JSON values and returns the path of the first
// difference.
func firstDiff(path string, a, b json.RawMessage) (string, bool) {
	var av, bv any
	_ = json.Unmarshal(a, &av)
	_ = json.Unmarshal(b, &bv)
	return diffValue(path, av, bv)
}

func diffValue(path string, a, b any) (string, bool) {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return path, false
		}
		var keys []string
		for k := range x {
			keys = append(keys, k)
		}
		for k := range y {
			if _, ok := x[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			if p, ok := diffValue(path+"."+k, x[k], y[k]); !ok {
				return p, false
			}
		}
		return "", true
	case []any:
		y, ok := b.([]any)
		if !ok {
			return path, false
		}
		n := len(x)
		if len(y) > n {
			n = len(y)
		}
		for i := 0; i < n; i++ {
			if i >= len(x) || i >= len(y) {
				return path + "[" + strconv.Itoa(i) + "]", false
			}
			if p, ok := diffValue(path+"["+strconv.Itoa(i)+"]", x[i], y[i]); !ok {
				return p, false
			}
		}
		return "", true
	}
	if a != b {
		return path, false
	}
	return "", true
}

func signed(v float64) string { return fmt.Sprintf("%+.0f", v) }

func trimFloat(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(s, "0")
	if strings.HasSuffix(s, ".") {
		s += "0"
	}
	return s
}
