#include "controller/db/outbox.hpp"

#include "common/ids.hpp"
#include "controller/db/pg.hpp"

namespace telemed::db {

OutboxRow outbox_row(const char* topic, const json_t* payload) {
    OutboxRow row;
    row.event_id = new_uuid_v4();
    Json body(json_is_object(payload) ? json_deep_copy(payload) : json_object());
    json_object_set_new(body.get(), "event_id", json_string(row.event_id.c_str()));
    json_object_set_new(body.get(), "topic", json_string(topic));
    // The session the event is about orders its deliveries (sql/010).
    const json_t* sid = json_object_get(body.get(), "session_id");
    if (json_is_string(sid) && is_uuid(json_string_value(sid))) row.session_id = normalize_uuid(json_string_value(sid));
    row.payload_json = json_dump(body.get());
    row.payload = std::move(body);
    return row;
}

std::string outbox_enqueue(PGconn* c, const char* topic, const json_t* payload) {
    OutboxRow row = outbox_row(topic, payload);
    exec(c,
         "INSERT INTO outbox (event_id, topic, payload, session_id) VALUES ($1::uuid, $2, "
         TELEMED_SQL_OUTBOX_PAYLOAD("$3") ", $4::uuid)",
         Params().add(row.event_id).add(topic).add(row.payload_json).add(row.session_id));
    return row.event_id;
}

}  // namespace telemed::db
