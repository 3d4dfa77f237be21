#include "controller/db/participants_repo.hpp"

#include <stdexcept>

#include "controller/db/pg.hpp"

namespace telemed::db {

namespace {

#define PARTICIPANT_COLUMNS                                                                                  \
    "p.id::text, p.session_id::text, p.user_id, p.role, p.display_name, p.permission_overrides::text, "     \
    "p.status, " TELEMED_SQL_MICROS("p.created_at") ", " TELEMED_SQL_MICROS("p.updated_at") ", "             \
    TELEMED_SQL_MICROS("p.removed_at") ", p.credential_epoch::int8, "                                         \
    "floor(extract(epoch from p.credential_issued_at))::int8"

Participant row_to_participant(const PGresult* r, int i) {
    Participant p;
    p.id = str(r, i, 0);
    p.session_id = str(r, i, 1);
    p.user_id = str(r, i, 2);
    auto role = parse_role(text(r, i, 3));
    if (!role) throw std::runtime_error("participants row holds an unknown role");
    p.role = *role;
    p.display_name = opt_str(r, i, 4);
    Json o = json(r, i, 5);
    p.overrides = overrides_from_json(o.get());
    p.active = text(r, i, 6) == "active";
    p.created_at = int64(r, i, 7);
    p.updated_at = int64(r, i, 8);
    p.removed_at = opt_int64(r, i, 9);
    p.credential_epoch = int64(r, i, 10);
    p.credential_issued_at = int64(r, i, 11);
    return p;
}

std::optional<Participant> one_or_none(const ResultPtr& r) {
    if (PQntuples(r.get()) == 0) return std::nullopt;
    return row_to_participant(r.get(), 0);
}

}  // namespace

Json overrides_to_json(const PermissionOverrides& o) {
    Json j(json_object());
    for (std::size_t i = 0; i < kPermissionCount; ++i) {
        auto perm = static_cast<Permission>(i);
        std::string name(to_string(perm));
        if (has(o.revoke, perm))
            json_object_set_new(j.get(), name.c_str(), json_false());
        else if (has(o.grant, perm))
            json_object_set_new(j.get(), name.c_str(), json_true());
    }
    return j;
}

PermissionOverrides overrides_from_json(const json_t* j) {
    PermissionOverrides o;
    if (!json_is_object(j)) return o;
    const char* key;
    json_t* value;
    json_object_foreach(const_cast<json_t*>(j), key, value) {
        auto perm = parse_permission(key);
        if (!perm || !json_is_boolean(value)) continue;
        if (json_is_true(value))
            o.grant |= bit(*perm);
        else
            o.revoke |= bit(*perm);
    }
    return o;
}

Participant insert_participant(PGconn* c, const std::string& id, const std::string& session_id,
                               const std::string& user_id, Role role, const std::optional<std::string>& display_name,
                               const PermissionOverrides& overrides) {
    Json o = overrides_to_json(overrides);
    ResultPtr r = exec(c,
                       "INSERT INTO participants AS p (id, session_id, user_id, role, display_name, "
                       "permission_overrides) VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6::jsonb) "
                       "RETURNING " PARTICIPANT_COLUMNS,
                       Params().add(id).add(session_id).add(user_id).add(to_string(role)).add(display_name).add_json(
                           o.get()));
    return row_to_participant(r.get(), 0);
}

std::optional<Participant> find_participant(PGconn* c, const std::string& session_id, const std::string& id) {
    return one_or_none(exec(c,
                            "SELECT " PARTICIPANT_COLUMNS
                            " FROM participants p WHERE p.id = $1::uuid AND p.session_id = $2::uuid",
                            Params().add(id).add(session_id)));
}

std::optional<Participant> find_active_by_user(PGconn* c, const std::string& session_id, const std::string& user_id) {
    return one_or_none(exec(c,
                            "SELECT " PARTICIPANT_COLUMNS
                            " FROM participants p WHERE p.session_id = $1::uuid AND p.user_id = $2"
                            " AND p.status = 'active'",
                            Params().add(session_id).add(user_id)));
}

bool has_removed_user(PGconn* c, const std::string& session_id, const std::string& user_id) {
    ResultPtr r = exec(c,
                       "SELECT 1 FROM participants p WHERE p.session_id = $1::uuid AND p.user_id = $2"
                       " AND p.status = 'removed' LIMIT 1",
                       Params().add(session_id).add(user_id));
    return PQntuples(r.get()) > 0;
}

std::vector<Participant> list_active_participants(PGconn* c, const std::string& session_id) {
    ResultPtr r = exec(c,
                       "SELECT " PARTICIPANT_COLUMNS
                       " FROM participants p WHERE p.session_id = $1::uuid AND p.status = 'active'"
                       " ORDER BY p.created_at, p.id",
                       Params().add(session_id));
    std::vector<Participant> out;
    int n = PQntuples(r.get());
    out.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) out.push_back(row_to_participant(r.get(), i));
    return out;
}

std::vector<std::string> removed_participant_ids(PGconn* c, const std::string& session_id, int limit) {
    ResultPtr r = exec(c,
                       "SELECT p.id::text FROM participants p WHERE p.session_id = $1::uuid AND p.status = 'removed'"
                       " ORDER BY p.removed_at DESC, p.id LIMIT $2::int",
                       Params().add(session_id).add(limit));
    std::vector<std::string> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(str(r.get(), i, 0));
    return out;
}

Participant mark_removed(PGconn* c, const std::string& id) {
    ResultPtr r = exec(c,
                       "UPDATE participants AS p SET status = 'removed', removed_at = now(), updated_at = now()"
                       " WHERE p.id = $1::uuid RETURNING " PARTICIPANT_COLUMNS,
                       Params().add(id));
    if (PQntuples(r.get()) != 1) throw std::runtime_error("mark_removed: participant vanished");
    return row_to_participant(r.get(), 0);
}

Participant update_participant(PGconn* c, const std::string& id, Role role, const PermissionOverrides& overrides) {
    Json o = overrides_to_json(overrides);
    ResultPtr r = exec(c,
                       "UPDATE participants AS p SET role = $2, permission_overrides = $3::jsonb, updated_at = now()"
                       " WHERE p.id = $1::uuid RETURNING " PARTICIPANT_COLUMNS,
                       Params().add(id).add(to_string(role)).add_json(o.get()));
    if (PQntuples(r.get()) != 1) throw std::runtime_error("update_participant: participant vanished");
    return row_to_participant(r.get(), 0);
}

Participant bump_credential_epoch(PGconn* c, const std::string& id) {
    ResultPtr r = exec(c,
                       "UPDATE participants AS p SET credential_epoch = p.credential_epoch + 1,"
                       " credential_issued_at = now() WHERE p.id = $1::uuid RETURNING " PARTICIPANT_COLUMNS,
                       Params().add(id));
    if (PQntuples(r.get()) != 1) throw std::runtime_error("bump_credential_epoch: participant vanished");
    return row_to_participant(r.get(), 0);
}

void add_participant_event(PGconn* c, const std::string& session_id, const std::string& participant_id,
                           const char* event, const json_t* data) {
    Params p;
    p.add(session_id).add(participant_id).add(event);
    if (data)
        p.add_json(data);
    else
        p.add("{}");
    exec(c,
         "INSERT INTO participant_events (session_id, participant_id, event, data)"
         " VALUES ($1::uuid, $2::uuid, $3, $4::jsonb)",
         p);
}

}  // namespace telemed::db
