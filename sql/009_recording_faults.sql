-- 009_recording_faults.sql: why a recording stopped by itself (issue 14).
--
-- recordings.fault: null when it was asked to stop (REST, a participant,
-- the session's end); else
--   write_failed       the media server could not write it (storage full
--                      or failing): the plugin stopped the whole recording
--                      and told everyone in the call (event `recording`,
--                      "fault":"write_failed"); the call went on
--   media_server_lost  the media server no longer records it (Janus died
--                      or restarted mid-recording)
-- Either way what was written is processed and the outcome is
-- `incomplete`, never `available`: nothing is silently truncated.
-- `error` stays the processing's own text (cleared on success), so the
-- fault is a column of its own.
ALTER TABLE recordings
    ADD COLUMN fault text CHECK (fault IN ('write_failed', 'media_server_lost'));
