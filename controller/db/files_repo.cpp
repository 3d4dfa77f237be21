// Rows of `files` (controller/db/files_repo.hpp).
#include "controller/db/files_repo.hpp"


#include "common/crypto.hpp"
#include "common/ids.hpp"
#include "common/timeutil.hpp"
#include "controller/db/pg.hpp"

namespace telemed::db {
namespace {

#define FILE_COLUMNS                                                                                          \
    "f.id::text, f.session_id::text, f.sender_id::text, array_to_string(f.recipients, ','), f.name,"         \
    " f.content_type, f.size, f.sha256, f.key_id, f.wrapped_key, " TELEMED_SQL_MICROS("f.created_at")

std::vector<std::string> split_ids(std::string_view s) {
    std::vector<std::string> out;
    while (!s.empty()) {
        const std::size_t comma = s.find(',');
        out.emplace_back(s.substr(0, comma));
        if (comma == std::string_view::npos) break;
        s.remove_prefix(comma + 1);
    }
    return out;
}

FileRow row_of(const PGresult* r, int i) {
    FileRow f;
    f.id = str(r, i, 0);
    f.session_id = str(r, i, 1);
    f.sender_id = str(r, i, 2);
    f.recipients = split_ids(text(r, i, 3));
    f.name = str(r, i, 4);
    f.content_type = str(r, i, 5);
    f.size = int64(r, i, 6);
    f.sha256 = bytea(r, i, 7);
    f.key_id = str(r, i, 8);
    if (!is_null(r, i, 9)) f.wrapped_key = bytea(r, i, 9);
    f.created_at = int64(r, i, 10);
    return f;
}

std::string pg_uuid_array(const std::vector<std::string>& ids) {
    std::string a = "{";
    for (std::size_t i = 0; i < ids.size(); ++i) a += (i ? "," : "") + ids[i];
    return a + "}";
}

}  // namespace

FileRow insert_file(PGconn* c, const FileRow& f) {
    Params p;
    p.add(f.id).add(f.session_id).add(f.sender_id).add(pg_uuid_array(f.recipients)).add(f.name).add(f.content_type)
        .add(f.size).add_bytea(f.sha256).add(f.key_id);
    if (f.wrapped_key) p.add_bytea(*f.wrapped_key); else p.add_null();
    ResultPtr r = exec(c,
                       "INSERT INTO files AS f (id, session_id, sender_id, recipients, name, content_type, size,"
                       " sha256, key_id, wrapped_key) VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid[], $5, $6,"
                       " $7::int8, $8::bytea, $9, $10::bytea) RETURNING " FILE_COLUMNS,
                       p);
    return row_of(r.get(), 0);
}

std::optional<FileRow> find_file(PGconn* c, const std::string& id) {
    ResultPtr r = exec(c, "SELECT " FILE_COLUMNS " FROM files f WHERE f.id = $1::uuid", Params().add(id));
    if (PQntuples(r.get()) == 0) return std::nullopt;
    return row_of(r.get(), 0);
}

int64_t session_files_bytes(PGconn* c, const std::string& session_id) {
    ResultPtr r = exec(c,
                       "SELECT coalesce(sum(size), 0)::int8 FROM files WHERE session_id = $1::uuid"
                       " AND wrapped_key IS NOT NULL",
                       Params().add(session_id));
    return int64(r.get(), 0, 0);
}

std::string encode_file_cursor(const FileCursor& c) { return encode_keyset_cursor("f1", c); }

std::optional<FileCursor> decode_file_cursor(std::string_view text) { return decode_keyset_cursor("f1", text); }

FilePage list_files(PGconn* c, const std::string& session_id, const std::optional<std::string>& visible_to,
                    const std::optional<FileCursor>& after, int limit) {
    Params p;
    p.add(session_id).add(visible_to).add(after ? std::optional<int64_t>(after->created_at) : std::nullopt)
        .add(after ? std::optional<std::string>(after->id) : std::nullopt).add(limit + 1);
    ResultPtr r = exec(c,
                       "SELECT " FILE_COLUMNS " FROM files f WHERE f.session_id = $1::uuid AND f.wrapped_key IS NOT NULL"
                       " AND ($2::uuid IS NULL OR f.sender_id = $2::uuid OR cardinality(f.recipients) = 0"
                       "      OR $2::uuid = ANY (f.recipients))"
                       " AND ($3::int8 IS NULL OR (" TELEMED_SQL_MICROS("f.created_at") ", f.id) > ($3::int8, $4::uuid))"
                       " ORDER BY f.created_at, f.id LIMIT $5::int",
                       p);
    FilePage page;
    const int n = PQntuples(r.get());
    for (int i = 0; i < n && i < limit; ++i) page.items.push_back(row_of(r.get(), i));
    if (n > limit && !page.items.empty()) page.next = FileCursor{page.items.back().created_at, page.items.back().id};
    return page;
}

std::vector<std::string> sessions_due_for_shredding(PGconn* c, int days, int limit) {
    ResultPtr r = exec(c,
                       "SELECT s.id::text FROM sessions s WHERE s.status IN ('ended', 'cancelled')"
                       " AND coalesce(s.ended_at, s.cancelled_at) < now() - make_interval(days => $1::int)"
                       " AND EXISTS (SELECT 1 FROM files f WHERE f.session_id = s.id AND f.wrapped_key IS NOT NULL)"
                       " LIMIT $2::int",
                       Params().add(days).add(limit));
    std::vector<std::string> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(str(r.get(), i, 0));
    return out;
}

std::vector<std::string> shred_session_files(PGconn* c, const std::string& session_id) {
    ResultPtr r = exec(c,
                       "UPDATE files SET wrapped_key = NULL, shredded_at = now() WHERE session_id = $1::uuid"
                       " AND wrapped_key IS NOT NULL RETURNING id::text",
                       Params().add(session_id));
    std::vector<std::string> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(str(r.get(), i, 0));
    return out;
}

Json file_json(const FileRow& f) {
    Json o(json_object());
    json_object_set_new(o.get(), "id", json_str(f.id));
    json_object_set_new(o.get(), "session_id", json_str(f.session_id));
    json_object_set_new(o.get(), "name", json_str(f.name));
    json_object_set_new(o.get(), "size", json_integer(f.size));
    json_object_set_new(o.get(), "content_type", json_str(f.content_type));
    json_object_set_new(o.get(), "sha256", json_str(hex_encode(f.sha256)));
    json_object_set_new(o.get(), "sender", json_str(f.sender_id));
    json_t* to = json_array();
    for (const std::string& r : f.recipients) json_array_append_new(to, json_str(r));
    json_object_set_new(o.get(), "to", to);
    json_object_set_new(o.get(), "created_at", json_str(format_rfc3339_micros(f.created_at)));
    return o;
}

}  // namespace telemed::db
