package record_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/control/retro"
)

// One self-rating is "1 answer", in the ratings chart and the record's
// ratings line; the retro showed "1 answers".
func TestRatings_oneAnswerIsSingular(t *testing.T) {
	one := retro.RatingsOf([][2]int{{2, 4}})
	two := retro.RatingsOf([][2]int{{2, 4}, {3, 4}})
	tests := []struct {
		lang      record.Lang
		want, not string
		r         retro.Ratings
	}{
		{record.English, "1 answer<", "1 answers", one},
		{record.English, "2 answers<", "2 answer<", two},
		{record.Korean, "응답 1개", "answer", one},
	}
	for _, tt := range tests {
		svg := record.RatingsSVG(tt.r, tt.lang)
		if !strings.Contains(svg, tt.want) || strings.Contains(svg, tt.not) {
			t.Errorf("%s chart of %d answers: want %q and no %q in\n%s", tt.lang, tt.r.Count, tt.want, tt.not, svg)
		}
	}
	kim := []record.Person{{ID: "kim", Name: "Kim", Role: control.RoleParticipant}}
	r := rec("one", "payments", "2026-10-02", "resolved", 0, 30, kim, record.Answer{Name: "Kim", Before: 2, After: 4})
	var b bytes.Buffer
	if err := record.WriteMarkdown(&b, r, record.English); err != nil {
		t.Fatal(err)
	}
	if md := b.String(); !strings.Contains(md, "from one answer.") || strings.Contains(md, "1 answers") {
		t.Errorf("the record's ratings line of one answer:\n%s", md)
	}
}
