#include "controller/routes/views.hpp"

#include <string>

#include "common/timeutil.hpp"

namespace telemed {

namespace {

json_t* jstr_or_null(const std::optional<std::string>& s) { return s ? json_str(*s) : json_null(); }

json_t* jtime(int64_t micros) { return json_str(format_rfc3339_micros(micros)); }

json_t* jtime_or_null(const std::optional<int64_t>& micros) { return micros ? jtime(*micros) : json_null(); }

}  // namespace

Json participant_view(const db::Participant& p, SessionKind kind) {
    Json j(json_object());
    json_t* o = j.get();
    json_object_set_new(o, "id", json_str(p.id));
    json_object_set_new(o, "session_id", json_str(p.session_id));
    json_object_set_new(o, "user_id", json_str(p.user_id));
    json_object_set_new(o, "role", json_str(to_string(p.role)));
    json_object_set_new(o, "display_name", jstr_or_null(p.display_name));
    json_object_set_new(o, "permissions", permissions_to_json(effective_permissions(p.role, kind, p.overrides)).release());
    json_object_set_new(o, "permission_overrides", db::overrides_to_json(p.overrides).release());
    json_object_set_new(o, "status", json_str(p.active ? "active" : "removed"));
    json_object_set_new(o, "created_at", jtime(p.created_at));
    json_object_set_new(o, "updated_at", jtime(p.updated_at));
    return j;
}

Json session_base_view(const db::Session& s) {
    Json j(json_object());
    json_t* o = j.get();
    json_object_set_new(o, "id", json_str(s.id));
    json_object_set_new(o, "kind", json_str(to_string(s.kind)));
    json_object_set_new(o, "status", json_str(to_string(s.status)));
    json_object_set_new(o, "title", jstr_or_null(s.title));
    json_object_set_new(o, "scheduled_at", jtime_or_null(s.scheduled_at));
    json_object_set_new(o, "recording_policy", json_str(to_string(s.recording_policy)));
    json_object_set_new(o, "external_ref", jstr_or_null(s.external_ref));
    json_object_set_new(o, "metadata", s.metadata ? json_incref(s.metadata.get()) : json_object());
    json_object_set_new(o, "created_at", jtime(s.created_at));
    json_object_set_new(o, "updated_at", jtime(s.updated_at));
    json_object_set_new(o, "started_at", jtime_or_null(s.started_at));
    json_object_set_new(o, "ended_at", jtime_or_null(s.ended_at));
    json_object_set_new(o, "cancelled_at", jtime_or_null(s.cancelled_at));
    json_t* viewers = json_array();
    for (const std::string& u : s.authorized_viewers) json_array_append_new(viewers, json_str(u));
    json_object_set_new(o, "authorized_viewers", viewers);
    return j;
}

Json session_view(const db::Session& s, const std::vector<db::Participant>& participants) {
    Json j = session_base_view(s);
    json_t* list = json_array();
    for (const db::Participant& p : participants) json_array_append_new(list, participant_view(p, s.kind).release());
    json_object_set_new(j.get(), "participants", list);
    return j;
}

SessionCache::Entry session_view_entry(const db::Session& s, const std::vector<db::Participant>& participants) {
    SessionCache::Entry e;
    e.body = json_dump(session_base_view(s).get());
    if (e.body.empty() || e.body.back() != '}') return SessionCache::Entry{json_dump(session_view(s, participants).get()), {}};
    // The base view is never empty (id, kind, ... always present): a comma.
    e.body.pop_back();
    e.body += ",\"participants\":[";
    e.slots.reserve(participants.size());
    for (std::size_t i = 0; i < participants.size(); ++i) {
        if (i) e.body.push_back(',');
        e.body += json_dump(participant_view(participants[i], s.kind).get());
        e.slots.push_back(SessionCache::Slot{participants[i].id, e.body.size() - 1});
    }
    e.body += "]}";
    return e;
}

Json session_list_item_view(const db::Session& s) {
    Json j = session_base_view(s);
    json_object_set_new(j.get(), "participant_count", json_integer(static_cast<json_int_t>(s.participant_count)));
    return j;
}

Json session_event_payload(const db::Session& s, const char* reason) {
    Json j(json_object());
    json_object_set_new(j.get(), "session_id", json_str(s.id));
    json_object_set_new(j.get(), "status", json_str(to_string(s.status)));
    json_object_set_new(j.get(), "kind", json_str(to_string(s.kind)));
    if (reason) json_object_set_new(j.get(), "reason", json_str(reason));
    return j;
}

Json transition_audit_data(SessionStatus from, SessionStatus to, const char* reason) {
    Json j(json_object());
    json_object_set_new(j.get(), "from", json_str(to_string(from)));
    json_object_set_new(j.get(), "to", json_str(to_string(to)));
    if (reason) json_object_set_new(j.get(), "reason", json_str(reason));
    return j;
}

}  // namespace telemed
