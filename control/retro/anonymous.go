package retro

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// AnonymousActor is the actor of every anonymous save in the journal. An
// anonymous save never names its author: its answers, person id included,
// are sealed (encrypted) with the record keys, so the journal, the record
// built from it, its exports and every stream show only that somebody saved
// anonymous answers, not who or what. The service, which holds the keys,
// opens them to show each person their own answers; the answers themselves
// are published, without their authors and ordered per section, when the
// retro closes (see Closing).
const AnonymousActor = "anonymous"

// Sealer seals and opens anonymous answers; *seal.Keyring implements it.
// Only the server holds it: nothing it seals can be read, or told apart by
// author, without it.
type Sealer interface {
	Seal(plain []byte) ([]byte, error)
	Open(sealed []byte) ([]byte, error)
}

// sealedAnswers is the journal payload of an anonymous save.
type sealedAnswers struct {
	Sealed string `json:"sealed"`
}

// Closing is the payload of EventClosed: the anonymous answers submitted
// by then, without their authors, each section ordered on its own (see
// Unlink). They are published once, as a batch, so that no view taken
// while the retro was open can be compared with a later one to tell whose
// answer appeared when.
type Closing struct {
	Anonymous []Answers `json:"anonymous,omitempty"`
}

// padTo is the size sealed answers are padded to a multiple of, so that the
// length of the ciphertext in the journal says little about the answers.
const padTo = 512

// sealAnswers returns the journal payload of anonymous answers.
func sealAnswers(s Sealer, a Answers) (sealedAnswers, error) {
	b, err := json.Marshal(a)
	if err != nil {
		return sealedAnswers{}, fmt.Errorf("seal anonymous answers: %w", err)
	}
	// JSON ignores trailing white space: pad to the next multiple of padTo.
	b = append(b, bytes.Repeat([]byte(" "), padTo-len(b)%padTo)...)
	ct, err := s.Seal(b)
	if err != nil {
		return sealedAnswers{}, fmt.Errorf("seal anonymous answers: %w", err)
	}
	return sealedAnswers{Sealed: string(ct)}, nil
}

// openAnswers opens the payload of an anonymous save.
func openAnswers(s Sealer, payload []byte) (Answers, error) {
	var p sealedAnswers
	if err := json.Unmarshal(payload, &p); err != nil || p.Sealed == "" {
		return Answers{}, fmt.Errorf("anonymous answers are not sealed")
	}
	plain, err := s.Open([]byte(p.Sealed))
	if err != nil {
		return Answers{}, fmt.Errorf("open anonymous answers: %w", err)
	}
	var a Answers
	if err := json.Unmarshal(plain, &a); err != nil {
		return Answers{}, fmt.Errorf("open anonymous answers: %w", err)
	}
	if a.PersonID == "" || !a.Anonymous {
		return Answers{}, fmt.Errorf("sealed answers name no person or are not anonymous")
	}
	return a, nil
}

// Unlink returns anonymous answer sets without their authors, each section
// ordered on its own (texts by text, before/after pairs by value, pairs kept
// together as the change is the point of asking), so that neither an
// answer's position nor its row ties what one person wrote in one section to
// what they wrote in another, or to who they are. The order depends on the
// answers alone, so a record re-derived from its journal is the same.
func Unlink(in []Answers) []Answers {
	out := make([]Answers, len(in))
	keys := map[string]bool{}
	for i, a := range in {
		out[i] = Answers{WentWell: a.WentWell, Lacking: a.Lacking, Better: a.Better, Before: a.Before, After: a.After, Anonymous: true}
		for k := range a.Extra {
			keys[k] = true
		}
	}
	column := func(get func(a *Answers) *string) {
		vals := make([]string, len(out))
		for i := range out {
			vals[i] = *get(&out[i])
		}
		sort.Strings(vals)
		for i := range out {
			*get(&out[i]) = vals[i]
		}
	}
	column(func(a *Answers) *string { return &a.WentWell })
	column(func(a *Answers) *string { return &a.Lacking })
	column(func(a *Answers) *string { return &a.Better })
	for k := range keys {
		vals := make([]string, len(in))
		for i := range in {
			vals[i] = in[i].Extra[k]
		}
		sort.Strings(vals)
		for i := range out {
			if vals[i] == "" {
				continue
			}
			if out[i].Extra == nil {
				out[i].Extra = map[string]string{}
			}
			out[i].Extra[k] = vals[i]
		}
	}
	pairs := make([][2]int, len(in))
	for i := range in {
		pairs[i] = [2]int{in[i].Before, in[i].After}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i][0] != pairs[j][0] {
			return pairs[i][0] < pairs[j][0]
		}
		return pairs[i][1] < pairs[j][1]
	})
	for i := range out {
		out[i].Before, out[i].After = pairs[i][0], pairs[i][1]
	}
	return out
}
