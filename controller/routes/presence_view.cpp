// The presence member of GET /sessions/{id} (controller/routes/presence_view.hpp).
#include "controller/routes/presence_view.hpp"

#include <vector>

#include "common/json.hpp"
#include "controller/live/presence_store.hpp"

namespace telemed {

namespace {

json_t* offline_presence() {
    json_t* o = json_object();
    json_object_set_new(o, "online", json_false());
    json_object_set_new(o, "state", json_string("offline"));
    json_object_set_new(o, "since", json_null());
    json_object_set_new(o, "media", json_string("down"));
    json_object_set_new(o, "quality", json_null());
    json_object_set_new(o, "loss_pct", json_null());
    json_object_set_new(o, "jitter_ms", json_null());
    json_object_set_new(o, "rtt_ms", json_null());
    json_object_set_new(o, "updated_at", json_null());
    return o;
}

}  // namespace

std::string add_presence(const std::string& body, PresenceStore* store) {
    if (!store) return body;
    // No participants (our own compact rendering): nothing to add or read.
    if (body.find("\"participants\":[]") != std::string::npos) return body;
    std::string why;
    Json root = json_parse(body, &why);
    if (!json_is_object(root.get())) return body;
    json_t* parts = json_object_get(root.get(), "participants");
    const json_t* sid = json_object_get(root.get(), "id");
    if (!json_is_array(parts) || !json_is_string(sid)) return body;
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < json_array_size(parts); ++i) {
        const json_t* id = json_object_get(json_array_get(parts, i), "id");
        ids.emplace_back(json_is_string(id) ? json_string_value(id) : "");
    }
    auto stored = store->read(json_string_value(sid), ids);
    for (std::size_t i = 0; i < json_array_size(parts); ++i) {
        json_t* p = json_array_get(parts, i);
        if (!json_is_object(p)) continue;
        if (!stored) {
            json_object_set_new(p, "presence", json_null());
            continue;
        }
        json_t* value = nullptr;
        if ((*stored)[i]) {
            Json v = json_parse(*(*stored)[i], &why);
            if (json_is_object(v.get())) value = v.release();
        }
        json_object_set_new(p, "presence", value ? value : offline_presence());
    }
    return json_dump(root.get());
}

}  // namespace telemed
