package record_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/injectors"
)

// Records kept across versions: testdata/verify holds exports as they were
// written, never regenerated. unversioned-074eb19.json is the golden JSON
// export of the played drill at commit 074eb19, before the timeline said
// "runbook / guide" and before records stated their sectionsVersion;
// sections-v2.json is the same drill exported by sections version 2. When
// SectionsVersion is bumped, keep sections-v2.json and add the new
// version's export beside it.
func TestVerify_AcrossVersions(t *testing.T) {
	const (
		unversioned = "unversioned-074eb19.json"
		current     = "sections-v2.json"
	)
	// inChain replaces the last old by new: in the chain (the journal comes last in
	// the export), leaving the derived sections as they are.
	inChain := func(old, new string) func(string) string {
		return func(s string) string {
			i := strings.LastIndex(s, old)
			if i < 0 {
				return s
			}
			return s[:i] + new + s[i+len(old):]
		}
	}
	replace := func(old, new string) func(string) string {
		return func(s string) string { return strings.Replace(s, old, new, 1) }
	}
	version := func(v string) func(string) string {
		return replace(`"sectionsVersion": 2,`, `"sectionsVersion": `+v+`,`)
	}
	tests := []struct {
		name string
		file string
		edit func(string) string // nil: as kept
		// compared: the sections were compared; notCompared: the reason
		// says this; err: Verify refuses with this.
		compared    bool
		notCompared string
		err         string
	}{
		{name: "this version's export verifies with its sections compared", file: current, compared: true},
		{name: "an export before the version verifies by its chain and says its sections were not compared", file: unversioned,
			notCompared: "states no sectionsVersion: it was exported by a firedrill older than sections version 2"},
		{name: "an export of an older version verifies by its chain and says so", file: current, edit: version("1"),
			notCompared: "derived by sections version 1, whose wording differs from this firedrill's 2"},
		{name: "an export of a newer version verifies by its chain and says so", file: current, edit: version("3"),
			notCompared: "derived by sections version 3, newer than this firedrill's 2"},
		{name: "an unversioned export with an edited journal event is refused", file: unversioned,
			edit: inChain("We are on it, back in ~20 min", "We are on it, back in ~5 min"), err: "event #"},
		{name: "an unversioned export with an edited head is refused", file: unversioned,
			edit: replace(`"head": "6cfa0d13`, `"head": "0cfa0d13`), err: "but the record states head"},
		{name: "an unversioned export with a removed event is refused", file: unversioned,
			edit: replace(`"count": 72`, `"count": 71`), err: "record states 71 events but carries 72"},
		{name: "this version's export with an edited timeline line names the section", file: current,
			edit: replace("Action proposed (runbook / guide)", "Action proposed (process)"), err: "record section timeline[58].summary was altered"},
		{name: "this version's export with an edited metric names the section", file: current,
			edit: replace(`"timeToIncidentNoticeMs": 360000`, `"timeToIncidentNoticeMs": 60000`), err: "record section metrics.timeToIncidentNoticeMs was altered"},
		{name: "this version's export with an edited journal event is refused", file: current,
			edit: inChain("We are on it, back in ~20 min", "We are on it, back in ~5 min"), err: "event #"},
		{name: "a negative version is refused", file: current, edit: version("-1"), err: "sectionsVersion is -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "verify", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			kept := string(b)
			if tt.edit != nil {
				if kept = tt.edit(kept); kept == string(b) {
					t.Fatal("the edit did not apply; the test data changed")
				}
			}
			r, err := record.ReadJSON(strings.NewReader(kept))
			if err != nil {
				t.Fatal(err)
			}
			v, err := record.Verify(r)
			if tt.err != "" {
				if injectors.ErrorCode(err) != injectors.EINVALID || !strings.Contains(injectors.ErrorMessage(err), tt.err) {
					t.Fatalf("error %v, expected EINVALID %q", err, tt.err)
				}
				return
			}
			if err != nil {
				if tt.compared {
					t.Fatalf("%v: this version's export no longer re-derives from its journal; if the sections' wording or layout changed on purpose, bump record.SectionsVersion and keep this file as the previous version's export", err)
				}
				t.Fatal(err)
			}
			if v.Events != len(r.Chain.Events) || v.Head != r.Chain.Head {
				t.Fatalf("verification %+v", v)
			}
			if tt.compared {
				if v.NotCompared != "" || len(v.Sections) < 10 {
					t.Fatalf("sections compared %v, not compared %q", v.Sections, v.NotCompared)
				}
				return
			}
			if len(v.Sections) != 0 || !strings.Contains(v.NotCompared, tt.notCompared) || !strings.Contains(v.NotCompared, "journal and hash chain were verified") {
				t.Fatalf("sections compared %v, not compared %q, expected %q", v.Sections, v.NotCompared, tt.notCompared)
			}
		})
	}
}

// The record exported today states the version that derived its sections.
func TestRecord_StatesItsSectionsVersion(t *testing.T) {
	_, r := played(t)
	if r.SectionsVersion != record.SectionsVersion || record.SectionsVersion < 2 {
		t.Fatalf("record states sections version %d, expected %d", r.SectionsVersion, record.SectionsVersion)
	}
}
