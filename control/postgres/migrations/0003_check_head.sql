-- An append checks that it follows the drill's stored head in the same
-- pipelined round trip as its inserts: a mismatch raises FD409 (firedrill's
-- conflict), which aborts that append's savepoint only. Without it a gap
-- would insert cleanly; a stale head would still hit the primary key.
CREATE FUNCTION firedrill_check_head(p_drill TEXT, p_first BIGINT) RETURNS VOID
LANGUAGE plpgsql AS $$
DECLARE
	head BIGINT;
BEGIN
	SELECT COALESCE(MAX(seq), 0) INTO head FROM events WHERE drill_id = p_drill;
	IF p_first <> head + 1 THEN
		RAISE EXCEPTION 'drill % changed concurrently: journal is at #%, append starts at #%', p_drill, head, p_first
			USING ERRCODE = 'FD409';
	END IF;
END
$$;
