-- The drill program (#19): one row per season plan, its teams as a JSON
-- document with an optimistic version, and the plan's append-only journal
-- of changes (applications, scheduling, rescheduling and cancelling with
-- their reasons).
CREATE TABLE program_plans (
	season     TEXT PRIMARY KEY,
	version    INTEGER NOT NULL,
	doc        TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

CREATE TABLE program_journal (
	season TEXT NOT NULL REFERENCES program_plans (season),
	seq    INTEGER NOT NULL,
	at     TEXT NOT NULL,
	actor  TEXT NOT NULL,
	team   TEXT NOT NULL,
	action TEXT NOT NULL,
	detail TEXT NOT NULL,
	reason TEXT NOT NULL,
	PRIMARY KEY (season, seq)
);
