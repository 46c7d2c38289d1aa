package record

// faultRow is one row of the record's faults table: one injection of a
// fault, or a fault that never fired.
type faultRow struct {
	Fault FaultMetrics
	// Span is how many rows the fault takes, on its first row; 0 on the
	// rows of its later injections.
	Span int
	// In is the injection; nil for a fault that never fired. Of is how
	// many injections the fault had.
	In *Injection
	Of int
}

// faultRows lays the faults out one row per injection, in the drill's
// fault order.
func faultRows(faults []FaultMetrics) []faultRow {
	var out []faultRow
	for _, f := range faults {
		each := f.Each()
		if len(each) == 0 {
			out = append(out, faultRow{Fault: f, Span: 1})
			continue
		}
		for i := range each {
			row := faultRow{Fault: f, In: &each[i], Of: len(each)}
			if i == 0 {
				row.Span = len(each)
			}
			out = append(out, row)
		}
	}
	return out
}

// Injected says when a row's injection happened, and which of the fault's
// injections it was when the fault came back.
func (s says) Injected(row faultRow) string {
	if row.In == nil {
		return "—"
	}
	at := Clock(row.In.InjectedAtMs)
	if row.Of > 1 {
		return at + " (" + s.F("rec.injectionOf", "n", row.In.N, "m", row.Of) + ")"
	}
	return at
}

// Detected says how long after its injection a row's injection was
// detected, and by whom.
func (s says) Detected(row faultRow) string {
	switch in := row.In; {
	case in == nil:
		return "—"
	case in.TimeToDetectMs == nil:
		return s.T("rec.notDetected")
	case in.DetectedBy != "":
		return Clock(*in.TimeToDetectMs) + " · " + in.DetectedBy
	default:
		return Clock(*in.TimeToDetectMs)
	}
}

// Resolved says how long after its injection a row's injection was
// resolved, how, and by whom when a person marked or confirmed it.
func (s says) Resolved(row faultRow) string {
	in := row.In
	if in == nil || in.TimeToResolveMs == nil {
		return "—"
	}
	out := Clock(*in.TimeToResolveMs)
	how := ""
	if in.ResolvedBy != "" {
		how = s.l.word("by.", in.ResolvedBy)
	}
	who := in.Resolver
	if who == "" {
		who = in.ConfirmedBy
	}
	switch {
	case who != "" && how != "":
		return out + " · " + who + ", " + how
	case who != "" || how != "":
		return out + " · " + who + how
	}
	return out
}

// CameBack says when the fault came back after a row's injection, or "—".
func (s says) CameBack(row faultRow) string {
	if row.In == nil || row.In.CameBackAtMs == nil {
		return "—"
	}
	return Clock(*row.In.CameBackAtMs)
}

// MeanOf says a mean time over the injections it counts: "2:30 (2 of 3
// injections)".
func (s says) MeanOf(mean *int64, n, of int) string {
	return s.F("rec.meanOf", "mean", ClockPtr(mean), "n", n, "m", of)
}
