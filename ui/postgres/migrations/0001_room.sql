-- The drill room's own data: hashed join tokens and sessions.
CREATE TABLE join_tokens (
	token_hash TEXT PRIMARY KEY,
	drill_id   TEXT NOT NULL,
	person_id  TEXT NOT NULL,
	name       TEXT NOT NULL,
	role       TEXT NOT NULL,
	UNIQUE (drill_id, person_id)
);

CREATE TABLE sessions (
	id_hash   TEXT PRIMARY KEY,
	csrf      TEXT    NOT NULL,
	admin     BOOLEAN NOT NULL,
	drill_id  TEXT    NOT NULL,
	person_id TEXT    NOT NULL,
	name      TEXT    NOT NULL,
	role      TEXT    NOT NULL,
	expires_ns BIGINT NOT NULL, -- Unix nanoseconds
	link_hash TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX sessions_by_drill ON sessions (drill_id, person_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_ns);
