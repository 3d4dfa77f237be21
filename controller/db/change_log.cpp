#include "controller/db/change_log.hpp"

#include "controller/db/audit.hpp"
#include "controller/db/outbox.hpp"
#include "controller/db/participants_repo.hpp"

namespace telemed::db {

int64_t record_change(PGconn* c, const std::string& session_id, const std::string& actor, const char* action,
                      const json_t* audit, const json_t* outbox) {
    const int64_t id = audit_append(c, session_id, actor, action, audit);
    if (outbox) outbox_enqueue(c, action, outbox);
    return id;
}

int64_t record_participant_change(PGconn* c, const std::string& session_id, const std::string& actor,
                                  const char* action, const json_t* audit, const json_t* outbox,
                                  const std::string& participant_id, const char* event, const json_t* event_data) {
    add_participant_event(c, session_id, participant_id, event, event_data);
    return record_change(c, session_id, actor, action, audit, outbox);
}

}  // namespace telemed::db
