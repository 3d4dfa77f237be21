-- 012_outbox_retention.sql: pruning delivered outbox events (issue 15,
-- controller/jobs/session_lifecycle.hpp, config outbox_retention_h).
-- Every lifecycle sweep deletes, oldest delivery first and a bounded batch
-- at a time, the outbox events delivered longer ago than the retention
-- (with their webhook_deliveries rows). The partial index keeps that query
-- an index range scan over delivered events only; pending and dead events
-- (delivered_at NULL) are never pruned and are not in it.

CREATE INDEX outbox_delivered_idx ON outbox (delivered_at) WHERE delivered_at IS NOT NULL;
