-- 011_lifecycle.sql: indexes of the session lifecycle job (issue 15,
-- controller/jobs/session_lifecycle.hpp). Its sweep asks, every
-- lifecycle_sweep_interval_s, for at most a batch of
--   scheduled sessions whose (scheduled_at, else created_at) is older than
--     session_expire_after_s, oldest first;
--   active sessions started longer ago than session_max_duration_s, oldest
--     first.
-- Partial indexes keep both to the open sessions only (a few rows among the
-- many closed ones), so a sweep stays an index range scan however large the
-- history grows. (Numbered 011: 010 belongs to another change; the runner
-- applies missing versions in any order.)

CREATE INDEX sessions_scheduled_due_idx ON sessions ((coalesce(scheduled_at, created_at)), id)
    WHERE status = 'scheduled';
CREATE INDEX sessions_active_started_idx ON sessions (started_at, id)
    WHERE status = 'active';
