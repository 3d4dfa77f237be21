// Rows of `files` (sql/006_files.sql). Run on a connection the caller holds
// (inside db::transact, after lock_session() for writes); throw db::Error on
// database errors.
#pragma once
#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.hpp"
#include "controller/db/keyset_cursor.hpp"

namespace telemed::db {

struct FileRow {
    std::string id;
    std::string session_id;
    std::string sender_id;
    std::vector<std::string> recipients;  // empty = everyone
    std::string name;                     // sanitised; never logged
    std::string content_type;
    int64_t size = 0;
    std::string sha256;                   // 32 raw bytes
    std::string key_id;
    std::optional<std::string> wrapped_key;  // none once shredded
    int64_t created_at = 0;               // Unix microseconds
};

// INSERT; returns the row as stored (created_at set).
FileRow insert_file(PGconn* c, const FileRow& f);
std::optional<FileRow> find_file(PGconn* c, const std::string& id);
// Bytes of the session's files that are not shredded.
int64_t session_files_bytes(PGconn* c, const std::string& session_id);

using FileCursor = KeysetCursor;  // tag "f1"
std::string encode_file_cursor(const FileCursor& c);
std::optional<FileCursor> decode_file_cursor(std::string_view text);
struct FilePage {
    std::vector<FileRow> items;
    std::optional<FileCursor> next;
};
// Oldest first, not shredded; `visible_to`: only files sent by or to that
// participant or to everyone.
FilePage list_files(PGconn* c, const std::string& session_id, const std::optional<std::string>& visible_to,
                    const std::optional<FileCursor>& after, int limit);

// Retention: sessions ended/cancelled more than `days` ago that still hold
// unshredded files (at most `limit`).
std::vector<std::string> sessions_due_for_shredding(PGconn* c, int days, int limit);
// Shreds every file of the session (wrapped_key = NULL, shredded_at = now());
// returns the ids shredded.
std::vector<std::string> shred_session_files(PGconn* c, const std::string& session_id);

// The resource JSON: {id, session_id, name, size, content_type, sha256 (hex),
// sender, to, created_at}.
Json file_json(const FileRow& f);

}  // namespace telemed::db
