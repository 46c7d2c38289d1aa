-- Staff who sign in with the identity provider: their subject (for
-- sign-out everywhere and revocation) and their teams (JSON: team → role).
ALTER TABLE sessions ADD COLUMN subject TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN teams TEXT NOT NULL DEFAULT 'null';
CREATE INDEX sessions_by_subject ON sessions (subject);
