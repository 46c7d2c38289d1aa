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
// sections-v2.json is the same drill exported by sections version 2, and
// sections-v3.json by version 3. sections-v2-recurs.json is version 2's
// export of a drill whose fault came back after a fix (which version 2
// recorded by its latest injection only). sections-v2-recurs-gap.json is
// version 2's export of a drill where a participant wrote after the fault
// came back and before it was injected again (its re-injection failed
// once): version 2 took that message for the comeback's detection
// (timeToDetectMs -5000), and must go on deriving it so after the engine
// stopped doing so. sections-v2-first-came-back.json is version 2's export
// of a drill whose first-injected fault came back while a later fault was
// active: version 2 took the earliest of the faults' latest injections for
// the first injection (firstInjectedMs 5m, after the 3m acknowledgement:
// timeToAckMs -120000), and must go on deriving it so after the engine
// kept the drill's true first injection. When SectionsVersion is bumped,
// keep these files and add the new version's export beside them.
func TestVerify_AcrossVersions(t *testing.T) {
	const (
		unversioned = "unversioned-074eb19.json"
		v2          = "sections-v2.json"
		v2Recurs    = "sections-v2-recurs.json"
		v2Gap       = "sections-v2-recurs-gap.json"
		v2FirstBack = "sections-v2-first-came-back.json"
		current     = "sections-v3.json"
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
	version := func(from, to string) func(string) string {
		return replace(`"sectionsVersion": `+from+`,`, `"sectionsVersion": `+to+`,`)
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
		{name: "a version 2 export verifies with its sections compared as version 2 derives them", file: v2, compared: true},
		{name: "a version 2 export of a fault that came back verifies with its sections compared as version 2 derives them", file: v2Recurs, compared: true},
		{name: "a version 2 export of a fault that came back with an edited detection names the section", file: v2Recurs,
			edit: replace(`"timeToDetectMs": 110000`, `"timeToDetectMs": 60000`), err: "record section metrics.faults[0].timeToDetectMs was altered"},
		{name: "a version 2 export with a message before the comeback was injected verifies with version 2's detection of it", file: v2Gap, compared: true},
		{name: "a version 2 export with a message before the comeback was injected refuses a detection edited to today's", file: v2Gap,
			edit: replace(`"timeToDetectMs": -5000`, `"timeToDetectMs": 100000`), err: "record section metrics.faults[0].timeToDetectMs was altered"},
		{name: "a version 2 export whose first-injected fault came back verifies with version 2's first injection", file: v2FirstBack, compared: true},
		{name: "a version 2 export whose first-injected fault came back refuses a first injection edited to the true one", file: v2FirstBack,
			edit: replace(`"firstInjectedMs": 300000,`, `"firstInjectedMs": 0,`), err: "record section metrics.firstInjectedMs was altered"},
		{name: "a version 2 export whose first-injected fault came back refuses a time to acknowledge edited to the true one", file: v2FirstBack,
			edit: replace(`"timeToAckMs": -120000,`, `"timeToAckMs": 180000,`), err: "record section metrics.timeToAckMs was altered"},
		{name: "this version's export stated as version 2 is refused: version 2 keeps no injections", file: current, edit: version("3", "2"),
			err: "record section metrics.faults[0].injections was altered"},
		{name: "this version's export with an injection removed names the section", file: current,
			edit: replace(`"injections": 4,`, `"injections": 3,`), err: "record section metrics.injections.injections was altered"},
		{name: "an export before the version verifies by its chain and says its sections were not compared", file: unversioned,
			notCompared: "states no sectionsVersion: it was exported by a firedrill older than sections version 3"},
		{name: "an export of an older version verifies by its chain and says so", file: v2, edit: version("2", "1"),
			notCompared: "derived by sections version 1, whose wording differs from this firedrill's 3 (it re-derives versions 2 to 3)"},
		{name: "an export of a newer version verifies by its chain and says so", file: current, edit: version("3", "4"),
			notCompared: "derived by sections version 4, newer than this firedrill's 3"},
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
		{name: "a negative version is refused", file: current, edit: version("3", "-1"), err: "sectionsVersion is -1"},
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
	if r.SectionsVersion != record.SectionsVersion || record.SectionsVersion < 3 {
		t.Fatalf("record states sections version %d, expected %d", r.SectionsVersion, record.SectionsVersion)
	}
}
