-- The journal: every drill's events, hash-chained, gapless per drill.
CREATE TABLE events (
	drill_id   TEXT    NOT NULL,
	seq        INTEGER NOT NULL CHECK (seq >= 1),
	type       TEXT    NOT NULL,
	time       TEXT    NOT NULL, -- RFC 3339 with nanoseconds, UTC
	drill_time INTEGER NOT NULL, -- nanoseconds on the drill clock
	actor      TEXT    NOT NULL,
	payload    TEXT,             -- compact JSON
	prev_hash  TEXT    NOT NULL,
	hash       TEXT    NOT NULL,
	PRIMARY KEY (drill_id, seq)
) WITHOUT ROWID;

-- One summary row per drill, written in the same transaction as its events.
CREATE TABLE drills (
	id         TEXT PRIMARY KEY,
	title      TEXT    NOT NULL,
	scenario   TEXT    NOT NULL,
	state      TEXT    NOT NULL,
	seq        INTEGER NOT NULL,
	head       TEXT    NOT NULL,
	created_at TEXT    NOT NULL,
	updated_at TEXT    NOT NULL
) WITHOUT ROWID;
