-- 007_recordings.sql: consent-gated recording, slice 1 (issue 14; the
-- contract between plugin and controller is docs/DESIGN.md "Recording").
--
-- recording_consents: every consent answer a participant gave in the room,
--   stored by POST /internal/v1/consents BEFORE the plugin treats a `true` as
--   consent (deny by default: an unstored consent records nothing). Rows are
--   only added: a withdrawal is a new row with recording = false. The
--   participant belongs to the session (checked by the controller under the
--   session row lock).
-- recordings: one row per recording id (the plugin's room recording, or the
--   one a REST start asked for). state:
--     starting    REST start wrote the row, the plugin has not answered yet
--     recording   the plugin records (its answer or its `started` event)
--     stopped     stopped (REST stop, the plugin's `stopped` event, session end)
--     failed      the plugin refused or could not be reached (error says why)
--     processing | available | incomplete: post-processing (slice 2)
--   At most one row per session is starting or recording
--   (recordings_one_live). started_by: the participant who started it from
--   the room, NULL for a REST start or the plugin's own (required policy).
--   error: a short text of our own constants, never input.
-- recording_tracks: the per-participant files of a recording (from the
--   plugin's `stopped` event, as in its manifest.json): one row per
--   (recording, file); consent_id is the stored consent = true under which
--   the file was written.
-- No personal data in any of these tables: ids, enum values, timestamps,
-- codec names and file names made of ids.
-- Never edit this file once applied anywhere: add sql/008_<name>.sql instead.

CREATE TABLE recording_consents (
    id             uuid PRIMARY KEY,
    session_id     uuid NOT NULL REFERENCES sessions (id),
    participant_id uuid NOT NULL REFERENCES participants (id),
    recording      boolean NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
-- The consents of a session (Recording.consents, oldest first) and a
-- participant's latest answer.
CREATE INDEX recording_consents_session ON recording_consents (session_id, created_at, id);
CREATE INDEX recording_consents_participant ON recording_consents (participant_id, created_at, id);

CREATE TABLE recordings (
    id          uuid PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES sessions (id),
    state       text NOT NULL CHECK (state IN ('starting', 'recording', 'stopped', 'failed',
                                               'processing', 'available', 'incomplete')),
    started_at  timestamptz NOT NULL DEFAULT now(),
    stopped_at  timestamptz,
    started_by  uuid REFERENCES participants (id),
    error       text CHECK (char_length(error) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- One live recording per session (the plugin keeps one per room).
CREATE UNIQUE INDEX recordings_one_live ON recordings (session_id) WHERE state IN ('starting', 'recording');
-- GET /sessions/{id}/recordings: newest first, keyset (created_at, id).
CREATE INDEX recordings_session ON recordings (session_id, created_at, id);

CREATE TABLE recording_tracks (
    recording_id   uuid NOT NULL REFERENCES recordings (id),
    participant_id uuid NOT NULL REFERENCES participants (id),
    source         text NOT NULL CHECK (source IN ('audio', 'video', 'screen')),
    codec          text NOT NULL CHECK (codec ~ '^[a-z0-9]{1,16}$'),
    file           text NOT NULL CHECK (file ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
    consent_id     uuid NOT NULL REFERENCES recording_consents (id),
    started_at     timestamptz NOT NULL,
    stopped_at     timestamptz,
    CONSTRAINT recording_tracks_file_uq UNIQUE (recording_id, file)
);
