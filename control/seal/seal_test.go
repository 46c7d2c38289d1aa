package seal_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/seal"
	"github.com/firedrill/firedrill/injectors"
)

func keyring(t *testing.T, ids ...string) (*seal.Keyring, []string) {
	t.Helper()
	var specs []string
	for _, id := range ids {
		s, err := seal.NewKeySpec(id)
		if err != nil {
			t.Fatal(err)
		}
		specs = append(specs, s)
	}
	k, err := seal.ParseKeys(specs)
	if err != nil {
		t.Fatal(err)
	}
	return k, specs
}

const secretRecord = `{"v":1,"objects":[{"kind":"Secret","changes":[{"path":["data","DB_PASSWORD"],"before":"aHVudGVyMg=="}]}]}`

func TestSealHidesTheRecordAndOpensIt(t *testing.T) {
	k, _ := keyring(t, "k1")
	sealed, err := k.Seal([]byte(secretRecord))
	if err != nil {
		t.Fatal(err)
	}
	if !seal.IsSealed(sealed) || bytes.Contains(sealed, []byte("aHVudGVyMg")) || bytes.Contains(sealed, []byte("DB_PASSWORD")) {
		t.Fatalf("sealed record %q shows its content", sealed)
	}
	again, _ := k.Seal([]byte(secretRecord))
	if bytes.Equal(sealed, again) {
		t.Fatalf("two seals of one record are equal: the nonce is not random")
	}
	plain, err := k.Open(sealed)
	if err != nil || string(plain) != secretRecord {
		t.Fatalf("Open = %q, %v; want the record", plain, err)
	}
}

func TestRotation(t *testing.T) {
	old, oldSpecs := keyring(t, "old")
	sealedOld, _ := old.Seal([]byte(secretRecord))
	newSpec, _ := seal.NewKeySpec("new")
	rotated, err := seal.ParseKeys([]string{newSpec, oldSpecs[0]})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("a record sealed with the old key still opens", func(t *testing.T) {
		if plain, err := rotated.Open(sealedOld); err != nil || string(plain) != secretRecord {
			t.Fatalf("Open = %q, %v", plain, err)
		}
	})
	t.Run("new records are sealed with the first key", func(t *testing.T) {
		s, _ := rotated.Seal([]byte(secretRecord))
		if !strings.HasPrefix(string(s), "fdseal1:new:") {
			t.Fatalf("sealed with %q, want the new key", s[:16])
		}
	})
	t.Run("once the old key is dropped its records name the missing key", func(t *testing.T) {
		onlyNew, _ := seal.ParseKeys([]string{newSpec})
		_, err := onlyNew.Open(sealedOld)
		if err == nil || !strings.Contains(err.Error(), `"old"`) || injectors.ErrorCode(err) != injectors.EINVALID {
			t.Fatalf("Open = %v; want EINVALID naming key old", err)
		}
	})
}

func TestOpenRefuses(t *testing.T) {
	k, _ := keyring(t, "k1")
	sealed, _ := k.Seal([]byte(secretRecord))
	other, _ := keyring(t, "k1")
	tampered := append([]byte(nil), sealed...)
	tampered[len(tampered)-3] ^= 1
	for name, tc := range map[string]struct {
		k *seal.Keyring
		b []byte
	}{
		"a record altered after sealing":  {k, tampered},
		"a record sealed by another key":  {other, sealed},
		"a sealed record without key id":  {k, []byte("fdseal1:abc")},
		"a sealed record that is garbage": {k, []byte("fdseal1:k1:!!")},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := tc.k.Open(tc.b); err == nil {
				t.Fatal("Open succeeded")
			}
		})
	}
	t.Run("a record journaled before sealing is returned as it is", func(t *testing.T) {
		if plain, err := k.Open([]byte(secretRecord)); err != nil || string(plain) != secretRecord {
			t.Fatalf("Open = %q, %v", plain, err)
		}
	})
}

func TestParseKeysRefuses(t *testing.T) {
	good, _ := seal.NewKeySpec("a")
	for name, specs := range map[string][]string{
		"no key":            nil,
		"only blank lines":  {"", "  ", "# comment"},
		"no id":             {":" + strings.SplitN(good, ":", 2)[1]},
		"not base64":        {"a:not base64!"},
		"a short key":       {"a:c2hvcnQ="},
		"the same id twice": {good, good},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := seal.ParseKeys(specs); err == nil || injectors.ErrorCode(err) != injectors.EINVALID {
				t.Fatalf("ParseKeys = %v, want EINVALID", err)
			}
		})
	}
}

// plainInjector records what it is given and returns a fixed record.
type plainInjector struct {
	control.Injector
	got [][]byte
}

func (p *plainInjector) Prepare(context.Context, control.FaultSpec) ([]byte, error) {
	return []byte(secretRecord), nil
}

func (p *plainInjector) Inject(_ context.Context, _ control.FaultSpec, rec []byte) ([]byte, error) {
	p.got = append(p.got, rec)
	return rec, nil
}

func (p *plainInjector) Revert(_ context.Context, _ string, rec []byte) error {
	p.got = append(p.got, rec)
	if len(rec) == 0 {
		return errors.New("empty")
	}
	return nil
}

func TestInjectorSealsWhatTheEngineKeepsAndOpensWhatThePluginGets(t *testing.T) {
	k, _ := keyring(t, "k1")
	inner := &plainInjector{}
	inj := seal.Injector(inner, k)
	ctx := context.Background()
	f := control.FaultSpec{Fault: injectors.Fault{FaultID: "f1"}}
	rec, err := inj.Prepare(ctx, f)
	if err != nil || !seal.IsSealed(rec) {
		t.Fatalf("Prepare = %q, %v; want a sealed record", rec, err)
	}
	rec2, err := inj.Inject(ctx, f, rec)
	if err != nil || !seal.IsSealed(rec2) {
		t.Fatalf("Inject = %q, %v; want a sealed record", rec2, err)
	}
	if err := inj.Revert(ctx, "kubernetes", rec2); err != nil {
		t.Fatal(err)
	}
	for i, g := range inner.got {
		if string(g) != secretRecord {
			t.Errorf("the plugin's call %d got %q, want the plain record", i, g)
		}
	}
}
