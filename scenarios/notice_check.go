package scenarios

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Problems a notice field's value can have; the room words them in the
// viewer's language next to the field's label.
const (
	ProblemRequired = "required" // a required field is empty
	ProblemOption   = "option"   // not one of the select's options
	ProblemScale    = "scale"    // not a whole number from 1 to 5
	ProblemTime     = "time"     // not a clock time such as 14:05, nor "unknown"
	ProblemDuration = "duration" // not a duration such as 20m
	ProblemTooLong  = "too-long" // over MaxNoticeFieldRunes
	ProblemUnknown  = "unknown"  // not a field of the form
)

// MaxNoticeFieldRunes is the longest value a notice field takes.
const MaxNoticeFieldRunes = 4000

// UnknownTimes are the words a time field takes when the time is not known
// yet ("best estimate; say so when unknown"): English and Korean.
var UnknownTimes = []string{"unknown", "tbd", "미정", "모름", "알 수 없음"}

// Check returns the problem of a non-empty value v of the field, or "" when
// v is valid for the field's type.
func (f NoticeField) Check(v string) string {
	if len([]rune(v)) > MaxNoticeFieldRunes {
		return ProblemTooLong
	}
	switch f.Type {
	case FieldSelect:
		if !slices.Contains(f.Options, v) {
			return ProblemOption
		}
	case FieldScale:
		if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 5 {
			return ProblemScale
		}
	case FieldTime:
		if slices.Contains(UnknownTimes, strings.ToLower(strings.TrimSpace(v))) {
			return ""
		}
		if _, err := time.Parse("15:04", v); err != nil {
			return ProblemTime
		}
	case FieldDuration:
		if _, err := ParseDuration(v); err != nil {
			return ProblemDuration
		}
	}
	return ""
}
