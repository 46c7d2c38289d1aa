// Package seal encrypts revert records before the engine journals them.
//
// A revert record holds what a fault changed, including the previous value
// of a Kubernetes Secret's key. The journal is read by the drill room (the
// stream, the record exports) and kept for years, so revert records are
// sealed with AES-256-GCM under a key only the engine holds: the journal, its
// exports and every stream carry ciphertext, while the hash chain covers the
// ciphertext, so `firedrill verify` checks an exported record without the
// key.
//
// A Keyring holds one or more keys. The first seals; all of them open, so a
// key is rotated by putting a new key first and keeping the old one until no
// open drill holds a record sealed with it (records are only read to revert
// faults of drills that are not closed).
package seal

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"strings"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
)

// KeySize is the size of a record key in bytes (AES-256).
const KeySize = 32

// prefix starts every sealed record: the format version, then the id of the
// key that sealed it.
const prefix = "fdseal1:"

// Keyring seals and opens revert records.
type Keyring struct {
	ids   []string
	aeads map[string]cipher.AEAD
	// nonces is where sealing nonces come from: crypto/rand unless a
	// test made sealing reproducible with WithNonces.
	nonces io.Reader
}

// ParseKeys returns a keyring from key specs "id:base64-of-32-bytes"; the
// first spec is the sealing key. Blank specs are skipped.
func ParseKeys(specs []string) (*Keyring, error) {
	k := &Keyring{aeads: map[string]cipher.AEAD{}, nonces: rand.Reader}
	for i, s := range specs {
		s = strings.TrimSpace(s)
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		id, enc, ok := strings.Cut(s, ":")
		if !ok || id == "" || strings.ContainsAny(id, ": \t") {
			return nil, injectors.Errorf(injectors.EINVALID, "record key %d: expected \"id:base64 of %d random bytes\" (make one with `firedrill config record-key`)", i+1, KeySize)
		}
		raw, err := base64.StdEncoding.DecodeString(enc)
		if err != nil || len(raw) != KeySize {
			return nil, injectors.Errorf(injectors.EINVALID, "record key %q: expected the base64 of %d random bytes", id, KeySize)
		}
		if _, dup := k.aeads[id]; dup {
			return nil, injectors.Errorf(injectors.EINVALID, "record key %q is listed twice", id)
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, fmt.Errorf("record key %q: %w", id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("record key %q: %w", id, err)
		}
		k.ids = append(k.ids, id)
		k.aeads[id] = aead
	}
	if len(k.ids) == 0 {
		return nil, injectors.Errorf(injectors.EINVALID, "no record key: expected at least one \"id:base64\" key")
	}
	return k, nil
}

// WithNonces returns a copy of the keyring that draws its nonces from r.
// It is for tests that compare sealed journals byte for byte (golden
// records): a nonce repeated under one key breaks AES-GCM, so production
// keyrings keep crypto/rand.
func (k *Keyring) WithNonces(r io.Reader) *Keyring {
	c := *k
	c.nonces = r
	return &c
}

// NewKeySpec returns a new random key spec with the given id.
func NewKeySpec(id string) (string, error) {
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("new record key: %w", err)
	}
	return id + ":" + base64.StdEncoding.EncodeToString(raw), nil
}

// IsSealed reports whether b is a sealed record.
func IsSealed(b []byte) bool { return bytes.HasPrefix(b, []byte(prefix)) }

// Seal encrypts a record with the first key. An empty record stays empty.
func (k *Keyring) Seal(plain []byte) ([]byte, error) {
	if len(plain) == 0 {
		return plain, nil
	}
	id := k.ids[0]
	aead := k.aeads[id]
	nonce := make([]byte, aead.NonceSize())
	if _, err := io.ReadFull(k.nonces, nonce); err != nil {
		return nil, fmt.Errorf("seal record: %w", err)
	}
	ct := aead.Seal(nonce, nonce, plain, []byte(id))
	out := make([]byte, 0, len(prefix)+len(id)+1+base64.RawURLEncoding.EncodedLen(len(ct)))
	out = append(out, prefix...)
	out = append(out, id...)
	out = append(out, ':')
	return base64.RawURLEncoding.AppendEncode(out, ct), nil
}

// Open decrypts a sealed record. A record that is not sealed (journaled
// before sealing existed) is returned as it is, so its fault can still be
// reverted.
func (k *Keyring) Open(b []byte) ([]byte, error) {
	if !IsSealed(b) {
		return b, nil
	}
	id, enc, ok := strings.Cut(string(b[len(prefix):]), ":")
	if !ok {
		return nil, injectors.Errorf(injectors.EINVALID, "sealed record: no key id")
	}
	aead, ok := k.aeads[id]
	if !ok {
		return nil, injectors.Errorf(injectors.EINVALID, "sealed record: sealed with record key %q, which is not configured (records.keys): put it back to revert this fault", id)
	}
	ct, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || len(ct) < aead.NonceSize() {
		return nil, injectors.Errorf(injectors.EINVALID, "sealed record: not a sealed record")
	}
	plain, err := aead.Open(nil, ct[:aead.NonceSize()], ct[aead.NonceSize():], []byte(id))
	if err != nil {
		return nil, injectors.Errorf(injectors.EINVALID, "sealed record: record key %q does not open it (altered, or another key of the same id)", id)
	}
	return plain, nil
}

// Injector wraps an injector so that the records it returns are sealed and
// the records it is given are opened: the engine, and so the journal, only
// ever holds sealed records.
func Injector(inner control.Injector, k *Keyring) control.Injector {
	return &sealing{inner: inner, k: k}
}

type sealing struct {
	inner control.Injector
	k     *Keyring
}

func (s *sealing) Prepare(ctx context.Context, f control.FaultSpec) ([]byte, error) {
	rec, err := s.inner.Prepare(ctx, f)
	if err != nil {
		return nil, err
	}
	return s.k.Seal(rec)
}

func (s *sealing) Inject(ctx context.Context, f control.FaultSpec, record []byte) ([]byte, error) {
	plain, err := s.k.Open(record)
	if err != nil {
		return nil, fmt.Errorf("inject %s: %w", f.FaultID, err)
	}
	rec, err := s.inner.Inject(ctx, f, plain)
	if err != nil {
		return nil, err
	}
	return s.k.Seal(rec)
}

func (s *sealing) Status(ctx context.Context, f control.FaultSpec, record []byte) (injectors.Status, error) {
	plain, err := s.k.Open(record)
	if err != nil {
		return injectors.Status{}, fmt.Errorf("status %s: %w", f.FaultID, err)
	}
	return s.inner.Status(ctx, f, plain)
}

func (s *sealing) Revert(ctx context.Context, plugin string, record []byte) error {
	plain, err := s.k.Open(record)
	if err != nil {
		return fmt.Errorf("revert: %w", err)
	}
	return s.inner.Revert(ctx, plugin, plain)
}

func (s *sealing) Probe(ctx context.Context, p control.ProbeSpec) (injectors.ProbeResult, error) {
	return s.inner.Probe(ctx, p)
}
