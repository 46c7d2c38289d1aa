-- From this version the drills row's seq, head and updated_at are written
-- when the drill is created and not kept up to date: a drill's sequence
-- number, head and time of last change are its last event's, and only the
-- row's state follows the journal (fewer pages per commit). The migration
-- changes no table; its version number makes an older firedrill, which
-- would read the frozen columns, refuse this database ("newer than this
-- firedrill") instead of reporting stale heads.
SELECT 1;
