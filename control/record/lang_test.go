package record_test

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/control/retro"
	"github.com/firedrill/firedrill/injectors"
)

func hangul(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Hangul, r) {
			return true
		}
	}
	return false
}

// words reads words.json as the browser gets it.
func words(t *testing.T) map[string]map[string]string {
	t.Helper()
	var w map[string]json.RawMessage
	if err := json.Unmarshal(record.WordsJSON(), &w); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, l := range []string{"en", "ko"} {
		var m map[string]string
		if err := json.Unmarshal(w[l], &m); err != nil {
			t.Fatal(err)
		}
		out[l] = m
	}
	return out
}

// sameInBothLanguages are the words that are the same in English and
// Korean: they hold only placeholders and punctuation.
var sameInBothLanguages = map[string]bool{"raw": true, "chat": true, "notice.form": true, "notice.posted": true, "rec.noticeLine": true}

// TestWords_EveryKeyHasKorean: every English word of words.json has its
// Korean, written in Hangul, with the same placeholders.
func TestWords_EveryKeyHasKorean(t *testing.T) {
	w := words(t)
	ph := regexp.MustCompile(`\{\w+\}`)
	for key, en := range w["en"] {
		ko, ok := w["ko"][key]
		switch {
		case !ok:
			t.Errorf("%s has no Korean", key)
		case !sameInBothLanguages[key] && !hangul(ko):
			t.Errorf("%s is not Korean: %q", key, ko)
		}
		got, want := ph.FindAllString(ko, -1), ph.FindAllString(en, -1)
		if strings.Join(sortStrings(got), ",") != strings.Join(sortStrings(want), ",") {
			t.Errorf("%s: Korean placeholders %v, English %v", key, got, want)
		}
	}
	for key := range w["ko"] {
		if _, ok := w["en"][key]; !ok {
			t.Errorf("%s is Korean only", key)
		}
	}
	if w["en"]["rec.blameless"] != retro.Blameless {
		t.Errorf("the record's blameless copy %q is not the retro's %q", w["en"]["rec.blameless"], retro.Blameless)
	}
}

func sortStrings(s []string) []string {
	out := append([]string(nil), s...)
	slices.Sort(out)
	return out
}

// TestLang: a ?lang= choice is en or ko; a scenario's BCP 47 tag picks
// Korean for ko and its regions, English for anything else.
func TestLang(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want record.Lang
		bad  bool
	}{{"", "", false}, {"en", record.English, false}, {"ko", record.Korean, false}, {"KO", record.Korean, false}, {"ja", "", true}, {"ko-KR", "", true}} {
		t.Run("lang="+tc.in, func(t *testing.T) {
			got, err := record.ParseLang(tc.in)
			if tc.bad {
				if injectors.ErrorCode(err) != injectors.EINVALID || !strings.Contains(injectors.ErrorMessage(err), "expected en or ko") {
					t.Fatalf("ParseLang(%q) = %q, %v; want an EINVALID error", tc.in, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseLang(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
	for tag, want := range map[string]record.Lang{"": record.English, "en": record.English, "en-GB": record.English, "ko": record.Korean,
		"ko-KR": record.Korean, "ko-Kore-KR": record.Korean, "KO": record.Korean, "ja": record.English} {
		if got := record.LangOf(tag); got != want {
			t.Errorf("LangOf(%q) = %q, want %q", tag, got, want)
		}
	}
}

// TestRecord_DrillLanguageIsTheDefault: a drill of a Korean scenario
// (metadata.language ko-KR) has a Korean record unless English is asked
// for.
func TestRecord_DrillLanguageIsTheDefault(t *testing.T) {
	h := controltest.NewHarness(t)
	sc := controltest.PaymentScenario()
	sc.Metadata.Language = "ko-KR"
	if _, err := h.Engine.CreateDrill(h.Ctx, control.DrillRequest{ID: "drill-ko", Scenario: sc, Actor: "fiona"}); err != nil {
		t.Fatal(err)
	}
	r, err := record.Load(h.Ctx, h.DB, "drill-ko")
	if err != nil {
		t.Fatal(err)
	}
	if r.Language() != record.Korean {
		t.Fatalf("language %q, want ko", r.Language())
	}
	for _, tc := range []struct {
		lang       record.Lang
		want, not  string
		htmlLangIs string
	}{{"", "<h2>지표</h2>", "<h2>Metrics</h2>", `<html lang="ko">`}, {record.English, "<h2>Metrics</h2>", "<h2>지표</h2>", `<html lang="en">`}} {
		var b bytes.Buffer
		if err := record.Export(&b, r, record.FormatHTML, tc.lang); err != nil {
			t.Fatal(err)
		}
		if out := b.String(); !strings.Contains(out, tc.want) || strings.Contains(out, tc.not) || !strings.Contains(out, tc.htmlLangIs) {
			t.Errorf("lang %q: the record lacks %q or %q, or has %q", tc.lang, tc.want, tc.htmlLangIs, tc.not)
		}
	}
}

// TestDescribe_KoreanWordsNotCodes: every event the journal holds is said
// in Korean words, with no English left and no event type or id.
func TestDescribe_KoreanWordsNotCodes(t *testing.T) {
	_, rec := played(t)
	seen := map[string]bool{}
	for _, e := range rec.Timeline {
		seen[e.Type] = true
		ko := e.Phrase.Say(record.Korean)
		t.Run(e.Type+" is said in Korean", func(t *testing.T) {
			if ko == "" {
				t.Fatalf("entry %d (%s) says nothing in Korean; English: %s", e.Seq, e.Type, e.Summary)
			}
			if e.Kind != record.KindChat && !hangul(ko) {
				t.Fatalf("entry %d (%s) is not Korean: %q", e.Seq, e.Type, ko)
			}
			if e.Kind != record.KindChat && ko == e.Summary {
				t.Fatalf("entry %d (%s) is the English: %q", e.Seq, e.Type, ko)
			}
			for _, leak := range []string{e.Type, "{", "}", "[", "lifecycle", "runbook", "strength", "weakness", "incident-commander", "probe", "manual", "resolved", "recovering"} {
				if e.Kind != record.KindChat && strings.Contains(ko, leak) {
					t.Fatalf("entry %d (%s) says %q: %q", e.Seq, e.Type, leak, ko)
				}
			}
		})
	}
	// The played drill has the events of every kind a drill day has.
	for _, typ := range []string{control.EventDrillStarted, control.EventFaultInjected, control.EventFaultResolved, control.EventNoticePosted,
		control.EventObserverNote, control.EventInjectPosted, control.EventAlertFiring, retro.EventActionProposed, retro.EventActionDecided, retro.EventClosed} {
		if !seen[typ] {
			t.Errorf("the played drill has no %s: the table misses it", typ)
		}
	}
}

// TestDescribe_KoreanTable: each event said in Korean, as the room says it.
func TestDescribe_KoreanTable(t *testing.T) {
	names := map[string]string{"p-1": "Kim", "p-2": "Lee"}
	for _, tc := range []struct {
		typ     string
		payload any
		want    string
	}{
		{control.EventDrillTimeScaleSet, control.TimeScaleSet{TimeScale: 60}, "훈련 시계를 리허설 ×60(으)로 설정"},
		{control.EventDrillTimeScaleSet, control.TimeScaleSet{TimeScale: 1}, "훈련 시계를 실제 시간(으)로 설정"},
		{control.EventDrillEnded, control.StateChange{Reason: "cap", Why: "the time cap was reached"}, "훈련 종료 (제한 시간 도달)"},
		{control.EventDrillAborted, control.StateChange{Reason: "facilitator", Why: "a real incident"}, "훈련 중단 (진행자가 종료): a real incident"},
		{control.EventPersonAdded, control.Person{Name: "Kim", Role: control.RoleParticipant}, "Kim 님이 참여자(으)로 참여"},
		{control.EventPersonRemoved, control.PersonRemoved{PersonID: "p-1", Reason: "left early"}, "Kim 님이 훈련에서 제외됨: left early"},
		{"survey.link", map[string]string{"url": "https://forms.example.com/x"}, "훈련 후 설문 링크 공유"},
		{control.EventRoleClaim, map[string]any{"personId": "p-1", "role": "incident-commander"}, "Kim 님이 장애 대응 리더 역할을 맡음"},
		{control.EventRoleClaim, map[string]any{"personId": "p-1", "role": "propagation", "release": true}, "Kim 님이 전파 역할을 내려놓음"},
		{control.EventRoleClaim, map[string]any{"personId": "p-1", "role": "incident-commander", "takeOverFrom": "p-2"}, "Kim 님이 Lee 님에게서 장애 대응 리더 역할을 넘겨받음"},
		{control.EventNudge, map[string]string{"kind": "no-incident-notice"}, "훈련 봇 알림: 장애 공지가 게시되지 않았음"},
		{control.EventObserverNote, map[string]string{"tag": "strength", "text": "fast"}, "관찰자 메모 (잘한 점): fast"},
		{control.EventFaultResolved, control.FaultEvent{FaultID: "db-config", By: "manual"}, "장애 db-config 해결 (수동 표시)"},
		{control.EventInjectPosted, control.InjectEvent{InjectID: "cc-inquiry"}, "스크립트 메시지"},
		{control.EventHintSkipped, control.HintEvent{HintID: "h-1", Reason: "too early"}, "힌트 건너뜀 (too early)"},
		{retro.EventActionProposed, retro.Action{Kind: retro.KindRunbook, Title: "Write it down"}, "후속 조치 제안 (가이드 문서): Write it down"},
		{control.EventFaultSkipped, control.FaultEvent{FaultID: "cache", Detail: "the drill stopped before it fired"}, "장애 cache 건너뜀 (발생하기 전에 훈련이 멈춤)"},
		{control.EventFaultSkipped, control.FaultEvent{FaultID: "cache", Detail: "skipped by the facilitator: no time"}, "장애 cache 건너뜀 (진행자가 건너뜀: no time)"},
		{control.EventFaultSkipped, control.FaultEvent{FaultID: "cache", Detail: "its predecessor db-config never ran"}, "장애 cache 건너뜀 (발생 조건이 맞지 않음)"},
		{control.EventHintSkipped, control.HintEvent{HintID: "h-1", Reason: "every fault it is about is resolved"}, "힌트 건너뜀 (관련된 장애가 모두 해결됨)"},
		{control.EventFaultRecurred, control.FaultEvent{FaultID: "cascade", Cause: "leak", Recurrence: 1, Times: 3, Detail: "came back because leak is still active (1 of 3)"}, "장애 cascade 재발: leak 장애가 아직 해결되지 않았기 때문 (1/3번째)"},
		{control.EventFaultStaysFixed, control.FaultEvent{FaultID: "cascade", Cause: "leak", Detail: "leak is no longer active"}, "장애 cascade 더 이상 재발하지 않음: leak 장애가 해결됨"},
		{control.EventFaultStaysFixed, control.FaultEvent{FaultID: "cascade", Times: 3, Detail: "it came back 3 times, the most recurs.times allows"}, "장애 cascade 더 이상 재발하지 않음: 허용된 3번을 모두 재발함"},
		{control.EventHintGiven, control.HintEvent{HintID: "h-1", Reason: "given early by the facilitator"}, "힌트 제공 (진행자가 일찍 제공)"},
		{retro.EventActionDecided, retro.Decision{ID: "a71", Accepted: true}, "후속 조치 채택"},
		{control.EventNoticePosted, control.NoticePosted{Kind: "incident", AuthorID: "p-1", Fields: map[string]string{"impact": "x"}}, "장애 공지 — Kim: impact=x"},
		{"room.something-new", map[string]string{}, "기타 이벤트"},
	} {
		t.Run(tc.typ+" is said in Korean", func(t *testing.T) {
			b, err := json.Marshal(tc.payload)
			if err != nil {
				t.Fatal(err)
			}
			if _, got := record.DescribeIn(control.Event{Type: tc.typ, Payload: b}, names, record.Korean); got != tc.want {
				t.Fatalf("%s in Korean = %q, want %q", tc.typ, got, tc.want)
			}
		})
	}
}

// TestExport_Korean: the printable record and the Markdown export in
// Korean: headings, table headers, the chart's legend and the notices'
// labels in Korean, no English heading left, no code shown; the golden
// files keep the whole text for review.
func TestExport_Korean(t *testing.T) {
	_, rec := played(t)
	for _, format := range []string{record.FormatHTML, record.FormatMarkdown} {
		t.Run(format+" is Korean", func(t *testing.T) {
			var b bytes.Buffer
			if err := record.Export(&b, rec, format, record.Korean); err != nil {
				t.Fatal(err)
			}
			golden(t, "record.ko."+format, b.Bytes())
			out := b.String()
			for _, want := range []string{"훈련 기록", "참여자", "지표", "응답 시간", "타임라인", "회고", "잘한 점", "부족했던 점과 개선 방법", "후속 조치 (채택됨)",
				"게시된 공지", "관찰자 메모", "장애 공지", "해소 공지", "원인: pool size", "스크립트 메시지", "닫힘 (모든 장애 해결)", "가이드 문서", "훈련 엔진"} {
				if !strings.Contains(out, want) {
					t.Errorf("the Korean %s record lacks %q", format, want)
				}
			}
			if format == record.FormatHTML && (!strings.Contains(out, "<h2>전체 타임라인</h2>") || !strings.Contains(out, `<html lang="ko">`)) {
				t.Errorf("the Korean printable record lacks its full timeline or its lang")
			}
			for _, english := range []string{"Metrics", "Response times", "Full timeline", "What went well", "Notices as posted", "Observer notes", "Drill record",
				"People", "Duration", "Outcome", "Incident notice", "Scripted message", "lifecycle", ">broken<", "| engine |", ">engine<", "runbook /", "(strength)", "every fault is resolved"} {
				if strings.Contains(out, english) {
					t.Errorf("the Korean %s record says %q", format, english)
				}
			}
		})
	}
	t.Run("the timeline chart's legend is Korean", func(t *testing.T) {
		svg := record.TimelineSVG(rec, record.Korean)
		for _, want := range []string{">장애 중<", ">복구 중<", ">해결, 원복 전까지<", ">70분 힌트<", ">90분 제한<", ">10분<", `aria-label="훈련 타임라인"`} {
			if !strings.Contains(svg, want) {
				t.Errorf("the Korean chart lacks %s", want)
			}
		}
		for _, english := range []string{">broken<", ">recovering<", ">70m hints<", ">notices<", ">10m<"} {
			if strings.Contains(svg, english) {
				t.Errorf("the Korean chart says %s", english)
			}
		}
	})
	t.Run("the ratings chart is Korean", func(t *testing.T) {
		svg := record.RatingsSVG(rec.Retro.Ratings, record.Korean)
		if !strings.Contains(svg, ">전<") || !strings.Contains(svg, ">후<") || !strings.Contains(svg, "평균 1.7 → 3.3 (+100%), 응답 3개") {
			t.Errorf("the Korean ratings chart:\n%s", svg)
		}
	})
}

// jsWords reads the {key: "text"} pairs of one language's block of a
// browser dictionary (i18n.js, retro-i18n.js).
func jsWords(t *testing.T, path, lang string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	start := strings.Index(src, "\n  "+lang+": {")
	if start < 0 {
		t.Fatalf("%s has no %s block", path, lang)
	}
	end := strings.Index(src[start:], "\n  },")
	block := src[start : start+end]
	pair := regexp.MustCompile(`(?:"([^"]+)"|([A-Za-z]\w*)):\s*"((?:[^"\\]|\\.)*)"`)
	out := map[string]string{}
	for _, m := range pair.FindAllStringSubmatch(block, -1) {
		k := m[1] + m[2]
		out[k] = strings.ReplaceAll(m[3], `\"`, `"`)
	}
	return out
}

// TestWords_AgreeWithTheRoom: the record's words for what the room and the
// retro page also say (roles, notice titles, timeline kinds, action kinds,
// drill states, section headings) are the room's, in both languages, so
// that the room and the record agree.
func TestWords_AgreeWithTheRoom(t *testing.T) {
	w := words(t)
	shared := []struct {
		file, recordKey, roomKey string
	}{
		{"i18n.js", "claim.incident-commander", "incident-commander"}, {"i18n.js", "claim.recovery", "recovery"},
		{"i18n.js", "claim.customer-liaison", "customer-liaison"},
		{"i18n.js", "nt.incident", "incidentNotice"}, {"i18n.js", "nt.status-update", "statusNotice"}, {"i18n.js", "nt.resolution", "resolutionNotice"},
		{"i18n.js", "tag.strength", "strength"}, {"i18n.js", "tag.weakness", "weakness"}, {"i18n.js", "rec.title", "recordLink"},
		{"i18n.js", "variant.hard", "hard"}, {"i18n.js", "variant.medium", "medium"}, {"i18n.js", "variant.easy", "easy"},
		{"i18n.js", "rec.clock", "clock"},
	}
	for _, st := range []string{"draft", "scheduled", "briefing", "running", "ended", "aborted", "retro", "closed"} {
		shared = append(shared, struct{ file, recordKey, roomKey string }{"i18n.js", "state." + st, st})
	}
	for _, k := range []string{"lifecycle", "fault", "probe", "inject", "hint", "alert", "notice", "chat", "note", "retro", "role", "nudge", "other"} {
		shared = append(shared, struct{ file, recordKey, roomKey string }{"retro-i18n.js", "kind." + k, "kind." + k})
	}
	for _, k := range retro.ActionKinds {
		shared = append(shared, struct{ file, recordKey, roomKey string }{"retro-i18n.js", "actkind." + string(k), string(k)})
	}
	for _, r := range []string{"participant", "designer", "observer", "facilitator"} {
		shared = append(shared, struct{ file, recordKey, roomKey string }{"retro-i18n.js", "role." + r, "role." + r})
	}
	for rk, k := range map[string]string{"rec.solution": "solution", "rec.questions": "questions", "rec.actOwner": "actOwner", "rec.actDue": "actDue",
		"rec.actKind": "actKind", "rec.team": "team", "rec.date": "date", "rec.outcome": "outcome", "rec.timeline": "timeline"} {
		shared = append(shared, struct{ file, recordKey, roomKey string }{"retro-i18n.js", rk, k})
	}
	room := map[string]map[string]string{}
	for _, f := range []string{"i18n.js", "retro-i18n.js"} {
		for _, l := range []string{"en", "ko"} {
			room[f+l] = jsWords(t, "../../ui/web/static/"+f, l)
		}
	}
	// The Korean blameless copy is the retro page's.
	if got, want := w["ko"]["rec.blameless"], room["retro-i18n.jsko"]["blameless"]; got != want {
		t.Errorf("rec.blameless: record %q, retro page %q", got, want)
	}
	for _, s := range shared {
		// The record's English keeps a few shorter forms of its own
		// ("propagation" in a sentence, "Title" for the action); the
		// Korean is always the room's.
		for _, l := range []string{"ko"} {
			got, want := w[l][s.recordKey], room[s.file+l][s.roomKey]
			if want == "" {
				t.Errorf("%s has no %s word %s", s.file, l, s.roomKey)
				continue
			}
			if got != want {
				t.Errorf("%s in %s: the record says %q, the room (%s %s) %q", s.recordKey, l, got, s.file, s.roomKey, want)
			}
		}
	}
}
