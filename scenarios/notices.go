package scenarios

// DefaultGrades are the internal incident grades offered when a scenario
// does not list its own: SEV1 is the most severe.
var DefaultGrades = []string{"SEV1", "SEV2", "SEV3", "SEV4"}

// NoticeStatuses are the statuses an incident moves through, in order.
var NoticeStatuses = []string{"investigating", "identified", "monitoring", "resolved"}

// DefaultIncidentNotice returns the built-in incident notice: a fire alarm
// posted at once with the minimum known, completed later.
func DefaultIncidentNotice() *NoticeTemplate {
	return &NoticeTemplate{
		Title: "Incident notice",
		Fields: []NoticeField{
			{ID: "started", Label: "Start time", Type: FieldTime, Required: true, Help: "When users started to be affected, as far as known (e.g. 14:05)."},
			{ID: "impact", Label: "Impact scope", Type: FieldTextarea, Required: true, Help: "What users cannot do, in their words: \"customers cannot pay\", not \"latency high on A\"."},
			{ID: "channel", Label: "Response channel", Type: FieldText, Required: true, Help: "Where the response happens and questions go."},
			{ID: "grade", Label: "Internal grade", Type: FieldSelect, Required: true},
			{ID: "status", Label: "Status", Type: FieldSelect, Required: true, Options: append([]string(nil), NoticeStatuses...)},
			{ID: "nextUpdate", Label: "Next update", Type: FieldTime, Help: "When the next status update will be posted."},
		},
	}
}

// DefaultStatusUpdateNotice returns the built-in status update: current
// status, expected recovery time and follow-up, the three things customers
// need.
func DefaultStatusUpdateNotice() *NoticeTemplate {
	return &NoticeTemplate{
		Title: "Status update",
		Fields: []NoticeField{
			{ID: "status", Label: "Status", Type: FieldSelect, Required: true, Options: append([]string(nil), NoticeStatuses...)},
			{ID: "impact", Label: "Current impact", Type: FieldTextarea, Required: true},
			{ID: "progress", Label: "What we are doing", Type: FieldTextarea, Required: true},
			{ID: "expectedRecovery", Label: "Expected recovery time", Type: FieldTime, Help: "Best estimate as a clock time (e.g. 14:30); write \"unknown\" when it is not known yet."},
			{ID: "followUp", Label: "Follow-up for customers", Type: FieldTextarea},
			{ID: "nextUpdate", Label: "Next update", Type: FieldTime},
		},
	}
}

// DefaultResolutionNotice returns the built-in resolution notice, posted
// after stabilisation monitoring.
func DefaultResolutionNotice() *NoticeTemplate {
	return &NoticeTemplate{
		Title: "Resolution notice",
		Fields: []NoticeField{
			{ID: "started", Label: "Start time", Type: FieldTime, Required: true},
			{ID: "ended", Label: "End time", Type: FieldTime, Required: true},
			{ID: "impact", Label: "Impact", Type: FieldTextarea, Required: true},
			{ID: "cause", Label: "Cause", Type: FieldTextarea, Required: true, Help: "Verified facts only; the full 5 whys go into the incident report."},
			{ID: "recovery", Label: "Recovery", Type: FieldTextarea, Required: true},
			{ID: "affectedCustomers", Label: "Affected customers", Type: FieldTextarea, Required: true, Help: "How many, and how they are extracted for after-care."},
			{ID: "followUp", Label: "Follow-up", Type: FieldTextarea},
		},
	}
}
