-- 013_participant_media_events.sql: participant events learned from Janus
-- (issue 15 "Janus events", docs/DESIGN.md "Janus events",
-- controller/jobs/janus_event_worker.hpp).
--
-- The events go into the existing participant_events table (001_init.sql:
-- "added, updated, removed, token_issued, and later media-side events"), one
-- row per event the worker keeps: joined, waiting, admitted, left, kicked,
-- denied (the plugin's own events) and webrtcup, hangup, ice_failed (Janus
-- core events of the participant's handle); never the periodic media stats.
-- `data` holds ids and enum values only: {"source":"janus","reason"?} (a
-- hangup's reason is Janus's short English phrase, e.g. "DTLS alert").
--
-- occurred_at: when Janus saw it (the event's own timestamp), which may be
-- a little earlier than created_at (the worker writes in batches). NULL for
-- the rows the controller writes itself (added, removed, ...): there the
-- two are the same.
-- (Numbered 013: 012 belongs to another change; the runner applies missing
-- versions in any order.)

--
-- janus_handle: the Janus handle the event came from (joined, waiting,
-- admitted, webrtcup, hangup, ice_failed; NULL otherwise). A controller that
-- restarts mid-call has lost its in-memory handle map: the first event of an
-- unknown handle looks it up here (the index), so the participants still
-- connected go on being tracked.

ALTER TABLE participant_events ADD COLUMN occurred_at timestamptz;
ALTER TABLE participant_events ADD COLUMN janus_handle bigint;
CREATE INDEX participant_events_janus_handle_idx ON participant_events (janus_handle, id)
    WHERE janus_handle IS NOT NULL;
