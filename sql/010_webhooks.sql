-- 010_webhooks.sql: delivering the outbox as Standard Webhooks (issue 15;
-- controller/jobs/webhook_dispatcher.hpp, docs/DESIGN.md "Webhooks").
--
-- outbox.session_id: the session an event is about (null: none), filled by
-- db::outbox_enqueue from the payload's session_id; per-session order is
-- kept among the events of one session. Backfilled from existing payloads.
-- outbox.fanned_out_at: when the dispatcher made the event's deliveries
-- (one per configured endpoint); null while it has not, which is every row
-- while no webhook_urls are configured: the rows wait, nothing is lost.
-- outbox.delivered_at (001): set when every delivery of the event was
-- delivered. outbox.attempts / last_error (001) are not used: each delivery
-- counts its own.
ALTER TABLE outbox ADD COLUMN session_id uuid;
ALTER TABLE outbox ADD COLUMN fanned_out_at timestamptz;
UPDATE outbox SET session_id = (payload->>'session_id')::uuid
 WHERE payload->>'session_id' ~ '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$';
CREATE INDEX outbox_fanout_idx ON outbox (id) WHERE fanned_out_at IS NULL;

-- One event to one endpoint. state: pending (to send, or being sent while
-- lease_until is in the future), delivered (a 2xx answer), dead (no 2xx
-- within webhook_max_attempts attempts or webhook_max_age_s of created_at;
-- POST /outbox/{id}/redeliver makes it pending again). attempts counts the
-- claims (a claim cut short by a crash counts). last_error: our own short
-- text (curl's error kind or "HTTP <status>"), never the receiver's body.
CREATE TABLE webhook_deliveries (
    id              bigserial PRIMARY KEY,
    outbox_id       bigint NOT NULL REFERENCES outbox (id),
    endpoint        text NOT NULL CHECK (char_length(endpoint) BETWEEN 1 AND 1024),
    session_id      uuid,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,
    last_status     integer,
    last_error      text CHECK (char_length(last_error) <= 500),
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    dead_at         timestamptz,
    -- POST /outbox/{id}/redeliver: webhook_max_age_s counts from here then.
    redelivered_at  timestamptz,
    UNIQUE (outbox_id, endpoint),
    CONSTRAINT webhook_deliveries_delivered_at CHECK ((state = 'delivered') = (delivered_at IS NOT NULL)),
    CONSTRAINT webhook_deliveries_dead_at CHECK ((state = 'dead') = (dead_at IS NOT NULL))
);
-- Claiming: due pending rows.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at, id) WHERE state = 'pending';
-- Per-session order: "is there an earlier pending delivery of this session
-- to this endpoint?"
CREATE INDEX webhook_deliveries_order_idx ON webhook_deliveries (endpoint, session_id, outbox_id)
    WHERE state = 'pending';
-- GET /outbox?status=: newest first.
CREATE INDEX webhook_deliveries_state_idx ON webhook_deliveries (state, id DESC);
