-- 008_recording_outputs.sql: consent-gated recording, slice 2 (issue 14):
-- post-processing jobs and their encrypted outputs; playback links.
--
-- recordings (job columns): a `stopped` recording is a post-processing job.
--   The processor claims it (state -> processing, lease_until = now + lease,
--   attempts + 1) with FOR UPDATE SKIP LOCKED; a lease that runs out (the
--   controller died) makes it claimable again, so jobs survive a restart.
--   next_attempt_at: not before (retry backoff). Outcome: available (every
--   consented track processed), incomplete (what was written is processed,
--   but the recording was cut short: no manifest, a Janus crash), failed
--   (attempts exhausted; error says why). duration_ms: the composite's.
-- recording_outputs: the playable files of a recording, encrypted at rest
--   exactly like shared files (006_files.sql: a data key per output, wrapped
--   by the master key key_id; the bytes in the blob store under the output
--   id). kind participant (participant_id set): that participant's audio and
--   video in one WebM (VP8/Opus); kind composite (participant_id null): the
--   whole consultation, participants side by side, audio mixed. Deleting
--   wrapped_key (shredded_at set) deletes it (retention, crypto-shredding).
-- playback_links: each link issued by POST /recordings/{id}/playback-links,
--   bound to one viewer (the backend's user_id) and one recording; expires_at
--   at most 15 minutes after issue; revoked_at set by DELETE. The link's URL
--   carries a signed token naming this row (id); the row is the revocation
--   list and the issuance record. user_id is the backend's opaque id (as in
--   participants.user_id), never a name.
-- Never edit this file once applied anywhere: add sql/009_<name>.sql instead.

ALTER TABLE recordings
    ADD COLUMN attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    ADD COLUMN next_attempt_at timestamptz,
    ADD COLUMN lease_until     timestamptz,
    ADD COLUMN duration_ms     bigint CHECK (duration_ms >= 0),
    ADD COLUMN processed_at    timestamptz;

-- The processor's queue: stopped or processing rows, oldest first.
CREATE INDEX recordings_jobs ON recordings (updated_at, id) WHERE state IN ('stopped', 'processing');

CREATE TABLE recording_outputs (
    id             uuid PRIMARY KEY,
    recording_id   uuid NOT NULL REFERENCES recordings (id),
    kind           text NOT NULL CHECK (kind IN ('participant', 'composite')),
    participant_id uuid REFERENCES participants (id),
    content_type   text NOT NULL CHECK (content_type IN ('video/webm', 'audio/webm')),
    size           bigint NOT NULL CHECK (size >= 0),
    sha256         bytea NOT NULL CHECK (octet_length(sha256) = 32),
    duration_ms    bigint NOT NULL CHECK (duration_ms >= 0),
    video_codec    text CHECK (video_codec ~ '^[a-z0-9]{1,16}$'),
    audio_codec    text CHECK (audio_codec ~ '^[a-z0-9]{1,16}$'),
    key_id         text NOT NULL CHECK (key_id ~ '^[A-Za-z0-9_-]{1,32}$'),
    wrapped_key    bytea CHECK (octet_length(wrapped_key) = 60),
    created_at     timestamptz NOT NULL DEFAULT now(),
    shredded_at    timestamptz,
    CONSTRAINT recording_outputs_kind CHECK ((kind = 'participant') = (participant_id IS NOT NULL)),
    CONSTRAINT recording_outputs_shredded CHECK ((wrapped_key IS NULL) = (shredded_at IS NOT NULL))
);
-- One composite per recording, one output per (recording, participant).
CREATE UNIQUE INDEX recording_outputs_composite ON recording_outputs (recording_id) WHERE kind = 'composite';
CREATE UNIQUE INDEX recording_outputs_participant ON recording_outputs (recording_id, participant_id)
    WHERE kind = 'participant';

CREATE TABLE playback_links (
    id           uuid PRIMARY KEY,
    recording_id uuid NOT NULL REFERENCES recordings (id),
    output_id    uuid NOT NULL REFERENCES recording_outputs (id),
    user_id      text NOT NULL CHECK (char_length(user_id) BETWEEN 1 AND 128),
    issued_at    timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    CONSTRAINT playback_links_ttl CHECK (expires_at > issued_at AND expires_at <= issued_at + interval '15 minutes')
);
CREATE INDEX playback_links_recording ON playback_links (recording_id, issued_at, id);

-- Viewers a backend authorised for a session's recordings besides its
-- participants (POST /sessions "authorized_viewers", at most 50 user ids).
ALTER TABLE sessions
    ADD COLUMN authorized_viewers text[] NOT NULL DEFAULT '{}' CHECK (cardinality(authorized_viewers) <= 50);
