-- Restart loads every open drill; find them without scanning all drills
-- once the history grows to years of drills.
CREATE INDEX drills_by_state ON drills (state, created_at);
