-- 006_files.sql: shared files (docs/DESIGN.md "Files").
--
-- One row per stored file. The bytes live in the blob store
-- (controller/storage/blob_store.hpp) under the file id, encrypted with the
-- file's own data key (controller/storage/segment_crypto.hpp); wrapped_key is
-- that key wrapped by the master key key_id. Deleting wrapped_key (the
-- retention sweep: shredded_at set) deletes the file for good
-- (crypto-shredding), whether or not the blob is still on disk.
-- name is the sanitised original name: metadata only, never a path, never
-- logged. recipients empty = every participant of the session.
-- Never edit this file once applied anywhere: add sql/007_<name>.sql instead.

CREATE TABLE files (
    id           uuid PRIMARY KEY,
    session_id   uuid NOT NULL REFERENCES sessions (id),
    sender_id    uuid NOT NULL REFERENCES participants (id),
    recipients   uuid[] NOT NULL DEFAULT '{}' CHECK (cardinality(recipients) <= 50),
    name         text NOT NULL CHECK (octet_length(name) BETWEEN 1 AND 255),
    content_type text NOT NULL CHECK (content_type IN ('application/pdf', 'image/png', 'image/jpeg',
                                                       'application/dicom', 'text/plain')),
    size         bigint NOT NULL CHECK (size >= 0),
    sha256       bytea NOT NULL CHECK (octet_length(sha256) = 32),
    key_id       text NOT NULL CHECK (key_id ~ '^[A-Za-z0-9_-]{1,32}$'),
    wrapped_key  bytea CHECK (octet_length(wrapped_key) = 60),
    created_at   timestamptz NOT NULL DEFAULT now(),
    shredded_at  timestamptz,
    CONSTRAINT files_shredded CHECK ((wrapped_key IS NULL) = (shredded_at IS NOT NULL))
);

-- The list of a session (created_at, id order) and its quota sum.
CREATE INDEX files_session ON files (session_id, created_at, id);
