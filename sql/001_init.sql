-- 001_init.sql: sessions, participants, participant events, the append-only
-- hash-chained audit log, the outbox and idempotency keys.
--
-- Applied by db::run_migrations (controller/db/migrations.cpp) inside one
-- transaction, its SHA-256 recorded in schema_migrations and verified on
-- every start. Never edit this file once applied anywhere: add
-- sql/002_<name>.sql instead.
--
-- Personal data (titles, display names, metadata) lives only in `sessions`
-- and `participants`; audit_log.data, participant_events.data and
-- outbox.payload carry ids and enum values only.

-- Sessions -------------------------------------------------------------------

CREATE TABLE sessions (
    id               uuid PRIMARY KEY,
    kind             text NOT NULL
                     CHECK (kind IN ('consultation', 'emergency', 'follow_up')),
    status           text NOT NULL DEFAULT 'scheduled'
                     CHECK (status IN ('scheduled', 'active', 'ended', 'cancelled')),
    title            text CHECK (char_length(title) BETWEEN 1 AND 200),
    scheduled_at     timestamptz,
    recording_policy text NOT NULL DEFAULT 'optional'
                     CHECK (recording_policy IN ('disabled', 'optional', 'required')),
    external_ref     text CHECK (char_length(external_ref) BETWEEN 1 AND 256),
    metadata         jsonb NOT NULL DEFAULT '{}'
                     CHECK (jsonb_typeof(metadata) = 'object'),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    ended_at         timestamptz,
    cancelled_at     timestamptz,
    -- Each state carries the timestamp of the transition into it.
    CONSTRAINT sessions_active_started CHECK (status <> 'active' OR started_at IS NOT NULL),
    CONSTRAINT sessions_ended_at CHECK (status <> 'ended' OR ended_at IS NOT NULL),
    CONSTRAINT sessions_cancelled_at CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
);

-- GET /sessions: keyset pagination on (created_at DESC, id DESC), optionally
-- filtered by status.
CREATE INDEX sessions_created_idx ON sessions (created_at DESC, id DESC);
CREATE INDEX sessions_status_created_idx ON sessions (status, created_at DESC, id DESC);

-- Participants ---------------------------------------------------------------

CREATE TABLE participants (
    id                   uuid PRIMARY KEY,
    session_id           uuid NOT NULL REFERENCES sessions (id),
    user_id              text NOT NULL CHECK (char_length(user_id) BETWEEN 1 AND 128),
    role                 text NOT NULL
                         CHECK (role IN ('doctor', 'patient', 'paramedic', 'observer')),
    display_name         text CHECK (char_length(display_name) BETWEEN 1 AND 100),
    -- {"<permission>": true|false} relative to the role defaults
    -- (common/permissions.hpp); only known names, only booleans.
    permission_overrides jsonb NOT NULL DEFAULT '{}'
                         CHECK (jsonb_typeof(permission_overrides) = 'object'
                                AND permission_overrides - ARRAY['publish_audio', 'publish_video',
                                    'publish_screen', 'subscribe', 'chat', 'share_files', 'record',
                                    'moderate', 'bypass_lobby'] = '{}'::jsonb
                                AND NOT jsonb_path_exists(permission_overrides,
                                                          '$.* ? (@.type() != "boolean")')),
    status               text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'removed')),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    removed_at           timestamptz,
    CONSTRAINT participants_removed_at CHECK ((status = 'removed') = (removed_at IS NOT NULL))
);

-- At most one active participant per user and session; removed ones stay as
-- history (re-adding the user creates a new participant).
CREATE UNIQUE INDEX participants_active_user_uq ON participants (session_id, user_id)
    WHERE status = 'active';
CREATE INDEX participants_session_idx ON participants (session_id, created_at, id);
-- GET /sessions?user_id=...
CREATE INDEX participants_user_active_idx ON participants (user_id, session_id)
    WHERE status = 'active';

-- What happened to a participant: added, updated, removed, token_issued, and
-- later media-side events. `data`: ids and enum values only.
CREATE TABLE participant_events (
    id             bigserial PRIMARY KEY,
    session_id     uuid NOT NULL REFERENCES sessions (id),
    participant_id uuid NOT NULL REFERENCES participants (id),
    event          text NOT NULL CHECK (event ~ '^[a-z][a-z_.]{0,63}$'),
    data           jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(data) = 'object'),
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX participant_events_participant_idx ON participant_events (participant_id, id);
CREATE INDEX participant_events_session_idx ON participant_events (session_id, id);

-- Audit log: append-only, hash-chained per session ------------------------------
--
-- Chain (docs/DESIGN.md "Audit chain"): rows of one session, ordered by id,
-- form a chain. For each row
--
--   hash = SHA-256(prev_hash || convert_to(audit_canonical(row), 'UTF8'))
--
-- where prev_hash is the previous row's hash (32 zero bytes for the first row
-- of a session) and the canonical text is these fields joined by "\n" (LF):
--
--   telemed-audit-v1
--   <id, decimal>
--   <session_id, lower-case UUID text>
--   <actor>
--   <action>
--   <created_at as integer microseconds since 1970-01-01T00:00:00Z, decimal>
--   <data as PostgreSQL's jsonb text output (data::text)>
--
-- (jsonb text output is deterministic: keys sorted by length, then bytes;
-- ", " and ": " separators.) actor and action cannot contain LF (CHECKs).
-- A verifier recomputes the chain from the stored rows alone; audit_verify()
-- below does so in SQL.
--
-- The BEFORE INSERT trigger fills id, created_at, prev_hash and hash itself
-- (whatever the INSERT supplied is overwritten), after taking the session
-- row's lock, so appends of one session are serialised and ids increase in
-- commit order within a session, whoever inserts. Sessions are chained in
-- parallel. Limitation: deleting a whole session's chain (which the
-- UPDATE/DELETE/TRUNCATE triggers refuse) would not be detected by the chain.

CREATE TABLE audit_log (
    id         bigserial PRIMARY KEY,
    session_id uuid NOT NULL REFERENCES sessions (id),
    actor      text NOT NULL CHECK (actor ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    action     text NOT NULL CHECK (action ~ '^[a-z][a-z_.]{0,63}$'),
    data       jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(data) = 'object'),
    created_at timestamptz NOT NULL DEFAULT now(),
    prev_hash  bytea NOT NULL CHECK (octet_length(prev_hash) = 32),
    hash       bytea NOT NULL CHECK (octet_length(hash) = 32)
);
CREATE INDEX audit_log_session_idx ON audit_log (session_id, id);

CREATE FUNCTION audit_canonical(p_id bigint, p_session uuid, p_actor text, p_action text,
                                p_created_at timestamptz, p_data jsonb)
RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT 'telemed-audit-v1' || E'\n' || p_id::text || E'\n' || p_session::text || E'\n'
           || p_actor || E'\n' || p_action || E'\n'
           || ((extract(epoch FROM p_created_at) * 1000000)::bigint)::text || E'\n'
           || p_data::text
$$;

CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_prev bytea;
BEGIN
    -- Serialise appends per session (already held by every controller mutation).
    PERFORM 1 FROM sessions WHERE id = NEW.session_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'audit_log: unknown session' USING ERRCODE = 'foreign_key_violation';
    END IF;
    -- Id taken after the lock, so ids follow the chain order.
    NEW.id := nextval(pg_get_serial_sequence('audit_log', 'id'));
    NEW.created_at := now();
    SELECT hash INTO v_prev FROM audit_log WHERE session_id = NEW.session_id ORDER BY id DESC LIMIT 1;
    NEW.prev_hash := coalesce(v_prev, decode(repeat('00', 32), 'hex'));
    NEW.hash := sha256(NEW.prev_hash || convert_to(
        audit_canonical(NEW.id, NEW.session_id, NEW.actor, NEW.action, NEW.created_at, NEW.data), 'UTF8'));
    RETURN NEW;
END
$$;

CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_chain();

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- Id of the first row of the session's chain that does not verify (wrong
-- prev_hash link or wrong hash), or NULL when the whole chain verifies.
CREATE FUNCTION audit_verify(p_session uuid) RETURNS bigint LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_prev bytea := decode(repeat('00', 32), 'hex');
    r record;
BEGIN
    FOR r IN SELECT * FROM audit_log WHERE session_id = p_session ORDER BY id LOOP
        IF r.prev_hash <> v_prev OR r.hash <> sha256(r.prev_hash || convert_to(
               audit_canonical(r.id, r.session_id, r.actor, r.action, r.created_at, r.data), 'UTF8')) THEN
            RETURN r.id;
        END IF;
        v_prev := r.hash;
    END LOOP;
    RETURN NULL;
END
$$;

-- Outbox -----------------------------------------------------------------------
--
-- Written in the same transaction as the change it reports; delivered at
-- least once by the dispatcher with event_id as the idempotency key.
-- payload: ids and enum values only (no names, titles or metadata).

CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    event_id     uuid NOT NULL UNIQUE,
    topic        text NOT NULL CHECK (topic ~ '^[a-z_]+(\.[a-z_]+)+$'),
    payload      jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    available_at timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error   text CHECK (char_length(last_error) <= 500)
);
CREATE INDEX outbox_pending_idx ON outbox (available_at, id) WHERE delivered_at IS NULL;

-- Idempotency keys (POST /sessions) ------------------------------------------------
--
-- One row per (API key, Idempotency-Key). The creating transaction inserts
-- the row first (INSERT ... ON CONFLICT DO NOTHING: a concurrent request with
-- the same key waits on it) and fills status/body/location before COMMIT, so
-- other transactions only ever see complete rows. request_hash =
-- SHA-256(method "\n" path "\n" body).

CREATE TABLE idempotency_keys (
    api_key_id   text NOT NULL,
    key          text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
    request_hash bytea NOT NULL CHECK (octet_length(request_hash) = 32),
    status       integer NOT NULL,
    body         text NOT NULL DEFAULT '',
    location     text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (api_key_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
