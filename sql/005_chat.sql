-- 005_chat.sql: chat messages (docs/DESIGN.md "The chat path").
--
-- A message is stored by the controller's POST /internal/v1/chat (one
-- transaction per batch from the plugin, under the session row lock) before
-- its sender gets an ack: this table is the only durable copy.
--   seq:       per session, 1, 2, ... in commit order (sessions.chat_seq is
--              the last one given, advanced once per batch under the lock);
--   to_ids:    the recipients of a direct message, '{}' for everyone;
--   client_id: the sender's idempotency key: one row per (session, sender,
--              client_id), a retry finds the stored row;
--   text:      personal data; never copied into audit_log, outbox or logs.
-- Never edit this file once applied anywhere: add sql/007_<name>.sql
-- instead (006 is taken by files).

ALTER TABLE sessions ADD COLUMN chat_seq bigint NOT NULL DEFAULT 0 CHECK (chat_seq >= 0);

CREATE TABLE chat_messages (
    id         uuid PRIMARY KEY,
    session_id uuid NOT NULL REFERENCES sessions (id),
    seq        bigint NOT NULL CHECK (seq >= 1),
    sender_id  uuid NOT NULL,
    to_ids     uuid[] NOT NULL DEFAULT '{}' CHECK (cardinality(to_ids) <= 50),
    text       text NOT NULL CHECK (char_length(text) BETWEEN 1 AND 4000),
    client_id  text NOT NULL CHECK (client_id ~ '^[A-Za-z0-9._:-]{1,64}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT chat_messages_seq_uq UNIQUE (session_id, seq),
    CONSTRAINT chat_messages_client_uq UNIQUE (session_id, sender_id, client_id)
);
-- A participant's view (broadcasts and its direct messages) is read in seq
-- order through chat_messages_seq_uq and filtered; direct messages to
-- someone are found by this index when a session has many.
CREATE INDEX chat_messages_to_idx ON chat_messages USING gin (to_ids);

-- The read cache (002_session_notify.sql) need not hear about chat: an
-- UPDATE that changes sessions.chat_seq and nothing else sends no NOTIFY
-- (it happens once per chat batch, GET /sessions/{id} does not show it, and
-- NOTIFY would serialise chat commits on Postgres' global notify lock).
-- Every other UPDATE, a no-op one included, notifies as before.
DROP TRIGGER sessions_changed_notify ON sessions;
CREATE TRIGGER sessions_updated_notify AFTER UPDATE ON sessions
    FOR EACH ROW
    WHEN (OLD.chat_seq IS NOT DISTINCT FROM NEW.chat_seq
          OR (to_jsonb(OLD) - 'chat_seq') IS DISTINCT FROM (to_jsonb(NEW) - 'chat_seq'))
    EXECUTE FUNCTION session_changed_notify();
CREATE TRIGGER sessions_deleted_notify AFTER DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION session_changed_notify();
