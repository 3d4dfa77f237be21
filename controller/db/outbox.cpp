#include "controller/db/outbox.hpp"

#include "common/ids.hpp"
#include "controller/db/pg.hpp"

namespace telemed::db {

std::string outbox_enqueue(PGconn* c, const char* topic, const json_t* payload) {
    std::string event_id = new_uuid_v4();
    Json body(json_is_object(payload) ? json_deep_copy(payload) : json_object());
    json_object_set_new(body.get(), "event_id", json_string(event_id.c_str()));
    json_object_set_new(body.get(), "topic", json_string(topic));
    exec(c,
         "INSERT INTO outbox (event_id, topic, payload) VALUES ($1::uuid, $2,"
         " $3::jsonb || jsonb_build_object('occurred_at',"
         " to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')))",
         Params().add(event_id).add(topic).add_json(body.get()));
    return event_id;
}

}  // namespace telemed::db
