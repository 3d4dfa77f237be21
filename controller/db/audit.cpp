#include "controller/db/audit.hpp"

#include "common/crypto.hpp"
#include "controller/db/pg.hpp"

namespace telemed::db {

std::string audit_actor(const std::string& actor) { return actor.empty() ? std::string("unknown") : actor; }

int64_t audit_append(PGconn* c, const std::string& session_id, const std::string& actor, const char* action,
                     const json_t* data) {
    Params p;
    p.add(session_id).add(audit_actor(actor)).add(action);
    if (data)
        p.add_json(data);
    else
        p.add("{}");
    // prev_hash/hash are placeholders: the BEFORE INSERT trigger overwrites them.
    ResultPtr r = exec(c,
                       "INSERT INTO audit_log (session_id, actor, action, data, prev_hash, hash)"
                       " VALUES ($1::uuid, $2, $3, $4::jsonb, " TELEMED_SQL_AUDIT_HASH_PLACEHOLDER ", "
                       TELEMED_SQL_AUDIT_HASH_PLACEHOLDER ") RETURNING id",
                       p);
    return int64(r.get(), 0, 0);
}

AuditPage list_audit(PGconn* c, const std::string& session_id, std::optional<int64_t> after, int limit) {
    // One row more than asked tells whether another page follows.
    ResultPtr r = exec(c,
                       "SELECT id, actor, action, " TELEMED_SQL_MICROS("created_at") ", data::text,"
                       " encode(prev_hash, 'hex'), encode(hash, 'hex')"
                       " FROM audit_log WHERE session_id = $1::uuid AND ($2::int8 IS NULL OR id > $2::int8)"
                       " ORDER BY id LIMIT $3::int",
                       Params().add(session_id).add(after).add(limit + 1));
    AuditPage page;
    const int n = PQntuples(r.get());
    for (int i = 0; i < n && i < limit; ++i) {
        AuditRow row;
        row.id = int64(r.get(), i, 0);
        row.actor = str(r.get(), i, 1);
        row.action = str(r.get(), i, 2);
        row.created_at = int64(r.get(), i, 3);
        row.data = json(r.get(), i, 4);
        row.prev_hash = str(r.get(), i, 5);
        row.hash = str(r.get(), i, 6);
        page.items.push_back(std::move(row));
    }
    if (n > limit && !page.items.empty()) page.next_after = page.items.back().id;
    return page;
}

std::string encode_audit_cursor(int64_t after) { return base64url_encode("a1:" + std::to_string(after)); }

std::optional<int64_t> decode_audit_cursor(std::string_view text) {
    if (text.empty() || text.size() > 64) return std::nullopt;
    auto raw = base64url_decode(text);
    if (!raw || raw->size() < 4 || raw->size() > 3 + 18 || raw->compare(0, 3, "a1:") != 0) return std::nullopt;
    int64_t v = 0;
    for (char ch : std::string_view(*raw).substr(3)) {
        if (ch < '0' || ch > '9') return std::nullopt;
        v = v * 10 + (ch - '0');
    }
    return v;
}

ChainCheck audit_chain_check(PGconn* c, const std::string& session_id) {
    ResultPtr r = exec(c, "SELECT checked, first_broken FROM audit_chain_check($1::uuid)", Params().add(session_id));
    ChainCheck out;
    out.checked = int64(r.get(), 0, 0);
    out.first_broken = opt_int64(r.get(), 0, 1);
    return out;
}

}  // namespace telemed::db
