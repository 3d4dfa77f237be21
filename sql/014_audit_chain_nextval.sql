-- 014_audit_chain_nextval.sql: the audit chain trigger without a catalog
-- look-up per row (issue 17, "The controller's cost per operation").
--
-- audit_log_chain() (001_init.sql) took each row's id with
-- nextval(pg_get_serial_sequence('audit_log', 'id')): pg_get_serial_sequence
-- resolves the table and column and scans pg_depend for the owned sequence
-- on every call, i.e. on every audit row. The sequence is audit_log_id_seq
-- (the bigserial's, created by 001); naming it as a regclass constant
-- resolves it once per plan instead. Everything else is unchanged: the same
-- lock, the same id-after-lock order, the same chain (see 001_init.sql).
--
-- Never edit this file once applied anywhere: add sql/015_<name>.sql instead.

CREATE OR REPLACE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_prev bytea;
BEGIN
    -- Serialise appends per session (already held by every controller mutation).
    PERFORM 1 FROM sessions WHERE id = NEW.session_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'audit_log: unknown session' USING ERRCODE = 'foreign_key_violation';
    END IF;
    -- Id taken after the lock, so ids follow the chain order.
    NEW.id := nextval('audit_log_id_seq'::regclass);
    NEW.created_at := now();
    SELECT hash INTO v_prev FROM audit_log WHERE session_id = NEW.session_id ORDER BY id DESC LIMIT 1;
    NEW.prev_hash := coalesce(v_prev, decode(repeat('00', 32), 'hex'));
    NEW.hash := sha256(NEW.prev_hash || convert_to(
        audit_canonical(NEW.id, NEW.session_id, NEW.actor, NEW.action, NEW.created_at, NEW.data), 'UTF8'));
    RETURN NEW;
END
$$;
