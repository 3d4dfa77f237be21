#include "controller/db/audit.hpp"

#include "controller/db/pg.hpp"

namespace telemed::db {

int64_t audit_append(PGconn* c, const std::string& session_id, const std::string& actor, const char* action,
                     const json_t* data) {
    Params p;
    p.add(session_id).add(actor.empty() ? std::string("unknown") : actor).add(action);
    if (data)
        p.add_json(data);
    else
        p.add("{}");
    // prev_hash/hash are placeholders: the BEFORE INSERT trigger overwrites them.
    ResultPtr r = exec(c,
                       "INSERT INTO audit_log (session_id, actor, action, data, prev_hash, hash)"
                       " VALUES ($1::uuid, $2, $3, $4::jsonb, decode(repeat('00', 32), 'hex'),"
                       " decode(repeat('00', 32), 'hex')) RETURNING id",
                       p);
    return int64(r.get(), 0, 0);
}

int64_t audit_verify(PGconn* c, const std::string& session_id) {
    ResultPtr r = exec(c, "SELECT audit_verify($1::uuid)", Params().add(session_id));
    auto bad = opt_int64(r.get(), 0, 0);
    return bad ? *bad : 0;
}

}  // namespace telemed::db
