-- Every version of the scenarios written in the studio; a version is never
-- updated or deleted (a drill records the hash of the text it ran).
CREATE TABLE scenario_versions (
	name    TEXT NOT NULL,
	version INTEGER NOT NULL,
	hash    TEXT NOT NULL,
	yaml    TEXT NOT NULL,
	author  TEXT NOT NULL,
	saved   TIMESTAMPTZ NOT NULL,
	title   TEXT NOT NULL,
	team    TEXT NOT NULL,
	PRIMARY KEY (name, version)
);
