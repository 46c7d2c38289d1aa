package record_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/injectors"
)

// A kept record is untrusted input: whatever the file holds, reading and
// verifying it gives a verification or an EINVALID error, never a crash.
func FuzzVerify(f *testing.F) {
	golden, err := os.ReadFile("testdata/record.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add(bytes.Replace(golden, []byte(`"seq": 2,`), []byte(`"seq": 3,`), 1))
	f.Add([]byte(`{"$schema": "https://firedrill.dev/schemas/record/v1", "chain": {"events": [{"seq": 1, "type": "drill.created"}], "count": 1}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := record.ReadJSON(bytes.NewReader(b))
		if err != nil {
			return
		}
		if _, err := record.Verify(r); err != nil && injectors.ErrorCode(err) != injectors.EINVALID {
			t.Fatalf("verify failed with %v, expected EINVALID", err)
		}
	})
}
