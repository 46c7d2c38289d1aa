package record

import (
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/firedrill/firedrill/control/retro"
)

// Chart colours work on paper and on screen, light and dark.
const (
	colFault      = "#d9534f"
	colRecovering = "#f0ad4e"
	colResolved   = "#9aa4b2"
	colNotice     = "#2f6fdf"
	colHint       = "#8a5a00"
	colInject     = "#1f7a3f"
	colGrid       = "#c8ced8"
	colText       = "#1d2330"
	colCap        = "#b42318"
)

func esc(s string) string { return html.EscapeString(s) }

// chartRow is the least height of a row of the timeline chart; a fault's
// row grows with the lines of its label.
const chartRow = 26

// TimelineSVG draws the drill on its clock: one row per fault with a bar
// per injection (injected → recovering → resolved, until reverted; a fault
// that came back has one bar each time), notices, hints and injects as
// markers, and the 70-minute (hints) and 90-minute (cap) lines, labelled in
// l. A fault's title is wrapped to fit the label column, cut with "…" past
// three lines, and kept whole in the label's title. The picture is the
// same for the same record and language.
func TimelineSVG(r *Record, l Lang) string {
	l = l.Or(r.Language())
	const right, top, row, width = 20, 34, chartRow, 900
	span := r.Scenario.TimeCap
	if r.Metrics.DurationMs > span {
		span = r.Metrics.DurationMs
	}
	if span <= 0 {
		span = (90 * time.Minute).Milliseconds()
	}
	span += (5 * time.Minute).Milliseconds()
	faults := r.Metrics.Faults
	names, labels, left := faultLabels(faults, l)
	rowTop := make([]int, len(faults)+1)
	rowTop[0] = top
	for i := range faults {
		rowTop[i+1] = rowTop[i] + max(row, labelLine*len(labels[i])+8)
	}
	markerRows := 3
	bottom := rowTop[len(faults)] + row*markerRows
	height := bottom + 40
	plot := float64(width - left - right)
	x := func(msv int64) float64 { return float64(left) + plot*float64(msv)/float64(span) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" font-family="system-ui, sans-serif" font-size="12">`, width, height, width, height, esc(l.T("chart.timeline")))
	fmt.Fprintf(&b, `<title>%s: %s</title>`, esc(l.T("chart.timeline")), esc(r.Title))
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>`, width, height)
	// Minute grid every 10 minutes.
	for m := int64(0); m*60000 <= span; m += 10 {
		xv := x(m * 60000)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="1"/>`, xv, top-6, xv, bottom, colGrid)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="%s">%s</text>`, xv, bottom+16, colText, esc(l.F("chart.minute", "m", m)))
	}
	for _, ln := range []struct {
		at    int64
		label string
	}{{70, l.F("chart.hintsAt", "m", 70)}, {90, l.F("chart.capAt", "m", 90)}} {
		xv := x(ln.at * 60000)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="2" stroke-dasharray="6 4"/>`, xv, top-12, xv, bottom, colCap)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="%s" font-weight="bold">%s</text>`, xv, top-16, colCap, esc(ln.label))
	}
	end := r.Metrics.DurationMs
	for i, f := range faults {
		y, h := rowTop[i], rowTop[i+1]-rowTop[i]
		name := names[i]
		lines := labels[i]
		fmt.Fprintf(&b, `<g class="fault-label" data-fault="%s"><title>%s</title><text x="%d" y="%d" text-anchor="end" fill="%s">`, esc(f.ID), esc(name), left-8, y+(h-labelLine*len(lines))/2+labelLine-3, colText)
		for j, line := range lines {
			dy := 0
			if j > 0 {
				dy = labelLine
			}
			fmt.Fprintf(&b, `<tspan x="%d" dy="%d">%s</tspan>`, left-8, dy, esc(line))
		}
		b.WriteString(`</text></g>`)
		faultBars(&b, f, name, y, h, end, x, l)
	}
	markers := []struct {
		kind, label, col string
	}{{KindNotice, l.T("chart.notices"), colNotice}, {KindHint, l.T("chart.hints"), colHint}, {KindInject, l.T("chart.injects"), colInject}}
	for j, mk := range markers {
		y := rowTop[len(faults)] + row*j + row/2
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" fill="%s">%s</text>`, left-8, y+4, colText, esc(mk.label))
		for _, e := range r.Timeline {
			if e.Kind != mk.kind || (mk.kind == KindHint && !strings.HasSuffix(e.Type, "given")) {
				continue
			}
			xv := x(e.AtMs)
			said := esc(says{l}.Summary(e))
			switch mk.kind {
			case KindNotice:
				fmt.Fprintf(&b, `<path d="M%.1f %d l6 10 h-12 z" fill="%s"><title>%s %s</title></path>`, xv, y-6, mk.col, Clock(e.AtMs), said)
			case KindHint:
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%d" r="5" fill="%s"><title>%s %s</title></circle>`, xv, y, mk.col, Clock(e.AtMs), said)
			default:
				fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="3" height="12" fill="%s"><title>%s %s</title></rect>`, xv-1.5, y-6, mk.col, Clock(e.AtMs), said)
			}
		}
	}
	// Legend, from the label column's edge unless that runs it off the
	// chart.
	legend := []struct{ col, label string }{{colFault, l.T("chart.broken")}, {colRecovering, l.T("chart.recovering")},
		{colResolved, l.T("chart.untilReverted")}, {colNotice, l.T("chart.notice")}, {colHint, l.T("chart.hint")}, {colInject, l.T("chart.inject")}}
	lw := 0
	for _, lg := range legend {
		lw += 24 + textWidth(lg.label)
	}
	ly, lx := height-10, max(8, min(left, width-right-lw))
	for _, lg := range legend {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d" fill="%s">%s</text>`, lx, ly-9, lg.col, lx+14, ly, colText, esc(lg.label))
		lx += 24 + textWidth(lg.label)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// faultBars draws fault f's row, y to y+h: a bar per injection (broken,
// recovering, then resolved until reverted), a comeback marked where it
// starts, or "not fired".
func faultBars(b *strings.Builder, f FaultMetrics, name string, y, h int, end int64, x func(int64) float64, l Lang) {
	const row = chartRow
	each := f.Each()
	if len(each) == 0 {
		fmt.Fprintf(b, `<text x="%.1f" y="%d" fill="%s">%s</text>`, x(0)+4, y+h/2+4, colResolved, esc(l.T("chart.notFired")))
		return
	}
	for _, in := range each {
		what := name
		if len(each) > 1 {
			what += " (" + l.F("rec.injectionOf", "n", in.N, "m", len(each)) + ")"
		}
		stop := end
		if in.ResolvedAtMs != nil {
			stop = *in.ResolvedAtMs
		} else if in.CameBackAtMs != nil {
			stop = *in.CameBackAtMs
		}
		rec := stop
		if in.RecoveringAtMs != nil {
			rec = *in.RecoveringAtMs
		}
		seg := func(from, to int64, col, state string) {
			if to <= from {
				return
			}
			fmt.Fprintf(b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s" data-injection="%d"><title>%s %s %s–%s</title></rect>`,
				x(from), y+(h-row)/2+5, x(to)-x(from), row-10, col, in.N, esc(what), esc(state), Clock(from), Clock(to))
		}
		seg(in.InjectedAtMs, rec, colFault, l.T("chart.broken"))
		seg(rec, stop, colRecovering, l.T("chart.recovering"))
		if in.ResolvedAtMs != nil && in.RevertedAtMs != nil {
			seg(stop, *in.RevertedAtMs, colResolved, l.T("chart.resolved"))
		}
		if in.N > 1 {
			// A comeback starts with a mark over the bars, so that its bar reads apart
			// from the one before it.
			xv := x(in.InjectedAtMs)
			fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="2" data-came-back="%d"><title>%s: %s %s</title></line>`,
				xv, y+(h-row)/2+2, xv, y+(h+row)/2-2, colText, in.N, esc(what), esc(l.T("rec.cameBack")), Clock(in.InjectedAtMs))
		}
	}
}

// RatingsSVG draws the before/after self-ratings: one line per answer set
// from its before to its after rating (no names), and the averages as a
// thick line. It is labelled in l (English when empty).
func RatingsSVG(rt retro.Ratings, l Lang) string {
	l = l.Or(English)
	const width, height, top, bottom, xl, xr = 420, 300, 40, 250, 110, 310
	y := func(v float64) float64 { return float64(bottom) - (v-1)*float64(bottom-top)/4 }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" font-family="system-ui, sans-serif" font-size="12">`, width, height, width, height, esc(l.T("chart.ratings")))
	fmt.Fprintf(&b, `<title>%s</title>`, esc(l.T("chart.ratingsTitle")))
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>`, width, height)
	for v := 1; v <= 5; v++ {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s"/>`, xl-20, y(float64(v)), xr+20, y(float64(v)), colGrid)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" fill="%s">%d</text>`, xl-26, y(float64(v))+4, colText, v)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="%s" font-weight="bold">%s</text>`, xl, bottom+26, colText, esc(l.T("chart.before")))
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="%s" font-weight="bold">%s</text>`, xr, bottom+26, colText, esc(l.T("chart.after")))
	// Count identical pairs so overlapping lines show their weight.
	counts := map[[2]int]int{}
	var order [][2]int
	for _, p := range rt.Pairs {
		if counts[p] == 0 {
			order = append(order, p)
		}
		counts[p]++
	}
	for _, p := range order {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" stroke-width="%d" stroke-opacity="0.6"><title>%d → %d (%d)</title></line>`,
			xl, y(float64(p[0])), xr, y(float64(p[1])), colNotice, 1+counts[p], p[0], p[1], counts[p])
	}
	if rt.Count > 0 {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" stroke-width="5"/>`, xl, y(rt.Before), xr, y(rt.After), colCap)
		fmt.Fprintf(&b, `<circle cx="%d" cy="%.1f" r="6" fill="%s"/><circle cx="%d" cy="%.1f" r="6" fill="%s"/>`, xl, y(rt.Before), colCap, xr, y(rt.After), colCap)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="%s" font-size="14" font-weight="bold">%s</text>`, width/2, 22, colText,
			esc(l.F(countKey("chart.average", rt.Count), "before", fmt.Sprintf("%.1f", rt.Before), "after", fmt.Sprintf("%.1f", rt.After), "change", fmt.Sprintf("%+.0f%%", rt.ChangePct), "count", rt.Count)))
	} else {
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="%s">%s</text>`, width/2, 22, colText, esc(l.T("chart.noRatings")))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// textWidth estimates how wide a label is at the charts' 12px font: a
// wide (CJK) character takes about twice a Latin one.
func textWidth(s string) int {
	w := 0
	for _, r := range s {
		if r >= 0x1100 {
			w += 12
		} else {
			w += 7
		}
	}
	return w
}

// Clock formats milliseconds of drill time as m:ss (h:mm:ss past an hour).
func Clock(msv int64) string {
	neg := msv < 0
	if neg {
		msv = -msv
	}
	s := msv / 1000
	h, m, sec := s/3600, (s%3600)/60, s%60
	out := fmt.Sprintf("%d:%02d", m, sec)
	if h > 0 {
		out = fmt.Sprintf("%d:%02d:%02d", h, m, sec)
	}
	if neg {
		return "-" + out
	}
	return out
}

// ClockPtr formats an optional time, "—" when absent.
func ClockPtr(msv *int64) string {
	if msv == nil {
		return "—"
	}
	return Clock(*msv)
}
