-- The journal: every drill's events, hash-chained, gapless per drill. Times
-- are Unix nanoseconds (timestamptz keeps microseconds only, and the hash
-- covers nanoseconds); the payload is the exact compact JSON text the hash
-- was computed over (jsonb would reorder its keys).
CREATE TABLE events (
	drill_id   TEXT   NOT NULL,
	seq        BIGINT NOT NULL CHECK (seq >= 1),
	type       TEXT   NOT NULL,
	time_ns    BIGINT NOT NULL,
	drill_time BIGINT NOT NULL, -- nanoseconds on the drill clock
	actor      TEXT   NOT NULL,
	payload    TEXT,
	prev_hash  TEXT   NOT NULL,
	hash       TEXT   NOT NULL,
	PRIMARY KEY (drill_id, seq)
);

-- One summary row per drill, written in the same transaction as its events.
CREATE TABLE drills (
	id         TEXT PRIMARY KEY,
	title      TEXT   NOT NULL,
	scenario   TEXT   NOT NULL,
	state      TEXT   NOT NULL,
	seq        BIGINT NOT NULL,
	head       TEXT   NOT NULL,
	created_ns BIGINT NOT NULL,
	updated_ns BIGINT NOT NULL
);

-- Restart loads every open drill.
CREATE INDEX drills_by_state ON drills (state, created_ns);
