-- Participants who linked a drill they joined to their identity, for
-- their own before/after history ("my drills").
CREATE TABLE identity_links (
	subject   TEXT NOT NULL,
	drill_id  TEXT NOT NULL,
	person_id TEXT NOT NULL,
	PRIMARY KEY (subject, drill_id, person_id)
);
