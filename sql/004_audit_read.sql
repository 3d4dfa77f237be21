-- 004_audit_read.sql: the chain check behind GET /sessions/{id}/audit.
--
-- audit_verify() (001_init.sql) answers only "first broken id or NULL"; the
-- endpoint also reports how many rows it checked. audit_chain_check()
-- recomputes the session's whole chain exactly as audit_verify() does
-- (same canonical text, same order by id) and returns one row:
--
--   checked       rows examined: every row of the chain when it verifies; when
--                 it does not, the rows up to and including the first broken
--                 one (rows after a break cannot be vouched for)
--   first_broken  id of the first row whose prev_hash is not the previous
--                 row's hash (32 zero bytes for the first row) or whose hash
--                 is not SHA-256(prev_hash || canonical text); NULL when the
--                 whole chain verifies (also for an empty chain)
--
-- Read-only (STABLE): it sees the rows committed when the statement starts.
-- Like every chain, it cannot notice rows removed from the end of a chain
-- or a whole chain removed (the UPDATE/DELETE/TRUNCATE triggers refuse both
-- to anyone but a superuser bypassing triggers).
--
-- audit_verify() (001) is redefined on top of it below, so the chain is
-- walked by one function only.
--
-- Never edit this file once applied anywhere: add sql/005_<name>.sql instead.

CREATE FUNCTION audit_chain_check(p_session uuid, OUT checked bigint, OUT first_broken bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_prev bytea := decode(repeat('00', 32), 'hex');
    r record;
BEGIN
    checked := 0;
    first_broken := NULL;
    FOR r IN SELECT id, session_id, actor, action, created_at, data, prev_hash, hash
               FROM audit_log WHERE session_id = p_session ORDER BY id LOOP
        checked := checked + 1;
        IF r.prev_hash IS DISTINCT FROM v_prev OR r.hash IS DISTINCT FROM sha256(r.prev_hash || convert_to(
               audit_canonical(r.id, r.session_id, r.actor, r.action, r.created_at, r.data), 'UTF8')) THEN
            first_broken := r.id;
            RETURN;
        END IF;
        v_prev := r.hash;
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION audit_verify(p_session uuid) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT first_broken FROM audit_chain_check(p_session)
$$;
