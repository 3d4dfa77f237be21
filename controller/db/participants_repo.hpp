// Rows of `participants` and `participant_events` (sql/001_init.sql). Run
// inside the caller's transaction, after lock_session() on the session;
// throw db::Error on database errors.
#pragma once
#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "common/permissions.hpp"

namespace telemed::db {

struct Participant {
    std::string id;
    std::string session_id;
    std::string user_id;
    Role role = Role::Observer;
    std::optional<std::string> display_name;
    PermissionOverrides overrides;
    bool active = true;  // status 'active' | 'removed'
    int64_t created_at = 0;  // Unix microseconds
    int64_t updated_at = 0;
    std::optional<int64_t> removed_at;
    // Participant credential state (sql/003): the credential is recomputed
    // from these (common/credential.hpp); issued_at in Unix seconds.
    int64_t credential_epoch = 0;
    int64_t credential_issued_at = 0;
};

// {"perm": true|false} <-> grant/revoke bits. Unknown names in stored JSON
// are ignored (the table's CHECK refuses them anyway).
Json overrides_to_json(const PermissionOverrides& o);
PermissionOverrides overrides_from_json(const json_t* j);

Participant insert_participant(PGconn* c, const std::string& id, const std::string& session_id,
                               const std::string& user_id, Role role, const std::optional<std::string>& display_name,
                               const PermissionOverrides& overrides);

// By id within a session (any status); nullopt when absent.
std::optional<Participant> find_participant(PGconn* c, const std::string& session_id, const std::string& id);
// The active participant of `user_id` in the session, if any.
std::optional<Participant> find_active_by_user(PGconn* c, const std::string& session_id, const std::string& user_id);
// True when the session has a removed participant with this user_id.
bool has_removed_user(PGconn* c, const std::string& session_id, const std::string& user_id);
// Active participants, oldest first.
std::vector<Participant> list_active_participants(PGconn* c, const std::string& session_id);

// Ids of the session's removed participants, newest first, at most `limit`
// (the plugin's create_room "revoked" list keeps them banned from a room
// re-created after a Janus restart).
std::vector<std::string> removed_participant_ids(PGconn* c, const std::string& session_id, int limit);

// status = 'removed', removed_at = updated_at = now(). Returns the new row.
Participant mark_removed(PGconn* c, const std::string& id);
// New role and overrides, updated_at = now(). Returns the new row.
Participant update_participant(PGconn* c, const std::string& id, Role role, const PermissionOverrides& overrides);

// Revokes the participant's credential: credential_epoch + 1,
// credential_issued_at = now() (updated_at unchanged: the participant
// resource does not show it). Returns the new row.
Participant bump_credential_epoch(PGconn* c, const std::string& id);

// participant_events row. `data` (borrowed, may be null = {}) holds ids and
// enum values only.
void add_participant_event(PGconn* c, const std::string& session_id, const std::string& participant_id,
                           const char* event, const json_t* data);

}  // namespace telemed::db
