-- 003_participant_credentials.sql: revocation state of participant
-- credentials (docs/DESIGN.md "Participant credentials").
--
-- A credential (common/credential.hpp) carries the participant's
-- credential_epoch and credential_issued_at (Unix seconds) under an HMAC; it
-- is valid while the participant is active and its epoch equals the row's.
-- POST /sessions/{id}/participants/{pid}/credential/revoke increments the
-- epoch and sets credential_issued_at = now(), which kills every credential
-- handed out so far; the next participant add (200 repeat) returns the new
-- one. Nothing secret is stored: the credential is recomputed from these
-- columns and the controller's credential_secret.
-- Never edit this file once applied anywhere: add sql/004_<name>.sql instead.

ALTER TABLE participants
    ADD COLUMN credential_epoch integer NOT NULL DEFAULT 0 CHECK (credential_epoch >= 0),
    ADD COLUMN credential_issued_at timestamptz NOT NULL DEFAULT now();
