package controltest

import (
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

func dur(d time.Duration) *scenarios.Duration { v := scenarios.Duration(d); return &v }

func probe(fault string) scenarios.Probe {
	return scenarios.Probe{Name: fault + "-healthy", Probe: scenarios.InjectorRef{Plugin: "fake", Type: "healthy"}, Params: map[string]any{"fault": fault}, Interval: scenarios.Duration(10 * time.Second)}
}

// PaymentScenario is a drill in the shape the practice uses, for the fake
// Injector (probes name their fault in params):
//
//   - layered at 0m: db-config (an infrastructure fault, probed, 2m
//     stabilisation) and coupon-flag (a user mistake left in a business
//     setting, resolved by the facilitator's manual mark);
//   - chained: cache-evict fires 2m after db-config is resolved;
//   - extension: late-batch fires 1m after cache-evict is resolved, only if
//     that happens before 60m;
//   - an alert on db-config firing after 1m, a customer-center inquiry at 5m
//     with a follow-up after 5m of silence, an emergency-committee nudge
//     when no incident notice is posted by 15m, a CTO question 1m after the
//     first resolution, hints at 70m, 75m and 80m, the 90m cap.
func PaymentScenario() *scenarios.Scenario {
	return &scenarios.Scenario{
		APIVersion: scenarios.APIVersion, Kind: scenarios.Kind,
		Metadata:   scenarios.Metadata{Name: "payment-db-config", Title: "Payments fail after a quiet config change", Team: "payments"},
		TimeLimit:  scenarios.Duration(90 * time.Minute),
		Difficulty: scenarios.Medium,
		Personas: []scenarios.Persona{
			{ID: "cc", Name: "Customer Center", Kind: scenarios.PersonaCustomerCenter},
			{ID: "cto", Name: "CTO", Kind: scenarios.PersonaExecutive},
			{ID: "ec", Name: "Emergency Committee", Kind: scenarios.PersonaEmergencyCommittee},
			{ID: "mon", Name: "Monitoring", Kind: scenarios.PersonaAlerting},
		},
		Channels: []scenarios.Channel{{ID: "incident", Incident: true}, {ID: "cs"}, {ID: "alerts"}},
		Faults: []scenarios.Fault{
			{ID: "db-config", Title: "Payment DB pool size set to 1", Impact: "payments time out", Injector: scenarios.InjectorRef{Plugin: "fake", Type: "break"},
				Params: map[string]any{"pool": 1},
				Variants: map[scenarios.Difficulty]scenarios.FaultVariant{
					scenarios.Easy: {Title: "Payment DB pool size set to 0", Params: map[string]any{"pool": 0}},
				},
				At: dur(0), ResolvedWhen: scenarios.ResolvedWhen{Probes: []scenarios.Probe{probe("db-config")}, StableFor: scenarios.Duration(2 * time.Minute)}},
			{ID: "coupon-flag", Title: "Coupon discount flag left on", Impact: "orders get a 100% discount", Injector: scenarios.InjectorRef{Plugin: "fake", Type: "break"},
				At: dur(0), ResolvedWhen: scenarios.ResolvedWhen{Manual: true}},
			{ID: "cache-evict", Title: "Menu cache evicted every minute", Impact: "store pages load slowly", Injector: scenarios.InjectorRef{Plugin: "fake", Type: "break"},
				After:        &scenarios.Chain{Fault: "db-config", Event: scenarios.ChainResolved, Delay: scenarios.Duration(2 * time.Minute)},
				ResolvedWhen: scenarios.ResolvedWhen{Probes: []scenarios.Probe{probe("cache-evict")}, StableFor: scenarios.Duration(time.Minute)}},
			{ID: "late-batch", Title: "Settlement batch stuck", Impact: "shops are not paid", Injector: scenarios.InjectorRef{Plugin: "fake", Type: "break"},
				After:            &scenarios.Chain{Fault: "cache-evict", Event: scenarios.ChainResolved, Delay: scenarios.Duration(time.Minute)},
				IfResolvedBefore: dur(60 * time.Minute),
				ResolvedWhen:     scenarios.ResolvedWhen{Probes: []scenarios.Probe{probe("late-batch")}}},
		},
		Alerts: []scenarios.Alert{
			{ID: "payment-5xx", Title: "Payment API 5xx rate above 5%", Severity: "critical", Persona: "mon", Channel: "alerts", Probe: probe("db-config"), For: scenarios.Duration(time.Minute)},
		},
		Injects: []scenarios.Inject{
			{ID: "cc-inquiry", At: dur(5 * time.Minute), Persona: "cc", Channel: "cs", Text: "Customers say payments fail ({{.Elapsed}} in). When will it be fixed?",
				FollowUp: &scenarios.FollowUp{After: scenarios.Duration(5 * time.Minute), Text: "We have 30 more complaints. Any update?"}},
			{ID: "ec-scope", On: &scenarios.EventTrigger{Event: scenarios.OnNoticeMissing, Notice: scenarios.NoticeIncident, By: dur(15 * time.Minute)}, Persona: "ec", Channel: "incident", Text: "No incident notice yet. What is the scope?"},
			{ID: "cto-ask", On: &scenarios.EventTrigger{Event: scenarios.OnFaultResolved, Fault: "db-config", Delay: scenarios.Duration(time.Minute)}, Persona: "cto", Channel: "incident", Text: "{{.Fault.Title}} is fixed? How many customers were affected?"},
		},
		Hints: []scenarios.HintStage{
			{ID: "h1", At: scenarios.Duration(70 * time.Minute), Persona: "cc", Channel: "cs", Text: "A shop owner says it started right after the morning config rollout."},
			{ID: "h2", At: scenarios.Duration(75 * time.Minute), Persona: "cc", Channel: "cs", Text: "Another says the discount looks wrong too."},
			{ID: "h3", At: scenarios.Duration(80 * time.Minute), Persona: "cto", Channel: "incident", Text: "Did anyone check the DB pool settings?"},
		},
		Notices: scenarios.Notices{
			Incident: &scenarios.NoticeTemplate{Title: "Incident notice", Fields: []scenarios.NoticeField{
				{ID: "start", Label: "Start time", Type: scenarios.FieldTime, Required: true},
				{ID: "impact", Label: "Impact", Required: true},
				{ID: "grade", Label: "Grade", Type: scenarios.FieldSelect, Options: []string{"P1", "P2", "P3"}, Required: true},
			}},
			StatusUpdate: &scenarios.NoticeTemplate{Title: "Status update", Fields: []scenarios.NoticeField{{ID: "status", Label: "Status", Required: true}, {ID: "eta", Label: "ETA", Type: scenarios.FieldDuration}}},
			Resolution: &scenarios.NoticeTemplate{Title: "Resolution notice", Fields: []scenarios.NoticeField{
				{ID: "end", Label: "End time", Type: scenarios.FieldTime, Required: true},
				{ID: "cause", Label: "Cause", Required: true},
			}},
		},
	}
}
