#include "controller/db/outbox.hpp"

#include <optional>

#include "common/ids.hpp"
#include "controller/db/pg.hpp"

namespace telemed::db {

std::string outbox_enqueue(PGconn* c, const char* topic, const json_t* payload) {
    std::string event_id = new_uuid_v4();
    Json body(json_is_object(payload) ? json_deep_copy(payload) : json_object());
    json_object_set_new(body.get(), "event_id", json_string(event_id.c_str()));
    json_object_set_new(body.get(), "topic", json_string(topic));
    // The session the event is about orders its deliveries (sql/010).
    const json_t* sid = json_object_get(body.get(), "session_id");
    std::optional<std::string> session_id;
    if (json_is_string(sid) && is_uuid(json_string_value(sid))) session_id = normalize_uuid(json_string_value(sid));
    exec(c,
         "INSERT INTO outbox (event_id, topic, payload, session_id) VALUES ($1::uuid, $2,"
         " $3::jsonb || jsonb_build_object('occurred_at',"
         " to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')), $4::uuid)",
         Params().add(event_id).add(topic).add_json(body.get()).add(session_id));
    return event_id;
}

}  // namespace telemed::db
