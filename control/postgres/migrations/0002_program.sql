-- The drill program: one row per season plan, its teams as a JSON document
-- with an optimistic version, and the plan's append-only journal of changes.
CREATE TABLE program_plans (
	season     TEXT PRIMARY KEY,
	version    BIGINT NOT NULL,
	doc        TEXT   NOT NULL,
	updated_ns BIGINT NOT NULL
);

CREATE TABLE program_journal (
	season TEXT   NOT NULL REFERENCES program_plans (season),
	seq    BIGINT NOT NULL,
	at_ns  BIGINT NOT NULL,
	actor  TEXT   NOT NULL,
	team   TEXT   NOT NULL,
	action TEXT   NOT NULL,
	detail TEXT   NOT NULL,
	reason TEXT   NOT NULL,
	PRIMARY KEY (season, seq)
);
