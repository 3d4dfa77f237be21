// Patient Service / Doctor Service contracts (controller/clients/directory_profile.hpp).
#include "controller/clients/directory_profile.hpp"

#include <cstring>

#include "common/json.hpp"
#include "common/requests.hpp"
#include "common/utf8.hpp"

namespace telemed::directory {
namespace {

std::string_view sv(const json_t* j) { return std::string_view(json_string_value(j), json_string_length(j)); }

// A name from the service as a display_name: at most kMaxDisplayNameChars
// characters (longer names are cut at a character boundary), surrounding
// spaces dropped; nullopt when nothing valid is left (invalid UTF-8,
// control characters, empty).
std::optional<std::string> clean_name(std::string_view raw) {
    while (!raw.empty() && raw.front() == ' ') raw.remove_prefix(1);
    while (!raw.empty() && raw.back() == ' ') raw.remove_suffix(1);
    if (raw.empty()) return std::nullopt;
    std::size_t i = 0, chars = 0;
    while (i < raw.size() && chars < kMaxDisplayNameChars) {
        uint32_t cp = 0;
        const std::size_t n = utf8_next(raw, i, &cp);
        if (n == 0) return std::nullopt;
        i += n;
        ++chars;
    }
    std::string_view cut = raw.substr(0, i);
    while (!cut.empty() && cut.back() == ' ') cut.remove_suffix(1);
    if (cut.empty() || check_text(cut, kMaxDisplayNameChars) != nullptr) return std::nullopt;
    return std::string(cut);
}

// FHIR HumanName name[0]: its text, else given (joined by spaces) + family.
std::optional<std::string> fhir_name(const json_t* resource) {
    const json_t* names = json_object_get(resource, "name");
    if (!json_is_array(names) || json_array_size(names) == 0) return std::nullopt;
    const json_t* n = json_array_get(names, 0);
    if (!json_is_object(n)) return std::nullopt;
    const json_t* text = json_object_get(n, "text");
    if (json_is_string(text))
        if (std::optional<std::string> t = clean_name(sv(text))) return t;
    std::string joined;
    const json_t* given = json_object_get(n, "given");
    if (json_is_array(given)) {
        for (std::size_t i = 0; i < json_array_size(given) && i < 8; ++i) {
            const json_t* g = json_array_get(given, i);
            if (!json_is_string(g) || json_string_length(g) == 0) continue;
            if (!joined.empty()) joined += ' ';
            joined += sv(g);
        }
    }
    const json_t* family = json_object_get(n, "family");
    if (json_is_string(family) && json_string_length(family) > 0) {
        if (!joined.empty()) joined += ' ';
        joined += sv(family);
    }
    return clean_name(joined);
}

Lookup known(std::optional<std::string> name) {
    Lookup l;
    l.verdict = Verdict::Known;
    l.display_name = std::move(name);
    return l;
}

Lookup verdict(Verdict v) {
    Lookup l;
    l.verdict = v;
    return l;
}

}  // namespace

std::optional<Profile> parse_profile(std::string_view s) {
    if (s == "off") return Profile::Off;
    if (s == "json") return Profile::Json;
    if (s == "fhir") return Profile::Fhir;
    return std::nullopt;
}

const char* to_string(Profile p) {
    switch (p) {
        case Profile::Json: return "json";
        case Profile::Fhir: return "fhir";
        case Profile::Off: break;
    }
    return "off";
}

std::optional<Service> service_for(Role role) {
    switch (role) {
        case Role::Patient: return Service::Patient;
        case Role::Doctor:
        case Role::Paramedic: return Service::Doctor;
        default: return std::nullopt;  // observer: not verified (docs/INTEGRATIONS.md)
    }
}

std::string percent_encode(std::string_view s) {
    static const char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (unsigned char ch : s) {
        const bool unreserved = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                                ch == '-' || ch == '.' || ch == '_' || ch == '~';
        if (unreserved) {
            out += static_cast<char>(ch);
        } else {
            out += '%';
            out += kHex[ch >> 4];
            out += kHex[ch & 15];
        }
    }
    return out;
}

bool valid_fhir_id(std::string_view s) {
    if (s.empty() || s.size() > 64) return false;
    for (char ch : s) {
        const bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                        ch == '-' || ch == '.';
        if (!ok) return false;
    }
    return true;
}

std::optional<std::string> lookup_url(Profile p, Service s, std::string_view base, std::string_view user_id) {
    if (user_id.empty()) return std::nullopt;
    std::string url(base);
    if (p == Profile::Json) {
        // "." and ".." would be path segments of their own: never ids.
        if (user_id == "." || user_id == "..") return std::nullopt;
        url += s == Service::Patient ? "/patients/" : "/practitioners/";
        url += percent_encode(user_id);
        return url;
    }
    if (p == Profile::Fhir) {
        if (!valid_fhir_id(user_id) || user_id == "." || user_id == "..") return std::nullopt;
        url += s == Service::Patient ? "/Patient/" : "/Practitioner/";
        url += user_id;
        return url;
    }
    return std::nullopt;
}

Lookup interpret(Profile p, Service s, std::string_view user_id, long status, std::string_view body) {
    if (status == 404 || status == 410) return verdict(Verdict::Unknown);
    if (status != 200 || body.size() > kMaxBodyBytes) return verdict(Verdict::Unavailable);
    std::string error;
    Json doc = json_parse(body, &error);
    if (!doc || !json_is_object(doc.get())) return verdict(Verdict::Unavailable);
    const json_t* id = json_object_get(doc.get(), "id");
    const json_t* active = json_object_get(doc.get(), "active");
    if (active && !json_is_boolean(active)) return verdict(Verdict::Unavailable);
    if (p == Profile::Json) {
        // The answer must be about the id asked for.
        if (!json_is_string(id) || sv(id) != user_id) return verdict(Verdict::Unavailable);
        if (json_is_false(active)) return verdict(Verdict::Unknown);
        const json_t* name = json_object_get(doc.get(), "display_name");
        if (name && !json_is_string(name) && !json_is_null(name)) return verdict(Verdict::Unavailable);
        return known(json_is_string(name) ? clean_name(sv(name)) : std::nullopt);
    }
    if (p == Profile::Fhir) {
        const json_t* type = json_object_get(doc.get(), "resourceType");
        const char* want = s == Service::Patient ? "Patient" : "Practitioner";
        if (!json_is_string(type) || sv(type) != want) return verdict(Verdict::Unavailable);
        if (id && (!json_is_string(id) || sv(id) != user_id)) return verdict(Verdict::Unavailable);
        if (json_is_false(active)) return verdict(Verdict::Unknown);
        return known(fhir_name(doc.get()));
    }
    return verdict(Verdict::Unavailable);
}

const std::vector<std::string>& status_topics() {
    static const std::vector<std::string> topics = {"session.started", "session.ended", "session.cancelled"};
    return topics;
}

const char* status_value(Profile p, std::string_view topic) {
    if (p == Profile::Off) return nullptr;
    if (topic == "session.started") return "in-progress";
    if (topic == "session.ended") return p == Profile::Fhir ? "finished" : "completed";
    if (topic == "session.cancelled") return "cancelled";
    return nullptr;
}

std::optional<StatusRequest> status_request(Profile p, std::string_view base, std::string_view external_ref,
                                            std::string_view topic, std::string_view session_id,
                                            std::string_view event_id, std::string_view occurred_at) {
    const char* value = status_value(p, topic);
    if (!value || external_ref.empty() || external_ref == "." || external_ref == "..") return std::nullopt;
    StatusRequest r;
    if (p == Profile::Json) {
        r.method = "POST";
        r.url = std::string(base) + "/appointments/" + percent_encode(external_ref) + "/status";
        r.content_type = "application/json";
        Json body(json_object());
        json_object_set_new(body.get(), "status", json_string(value));
        json_object_set_new(body.get(), "session_id", json_str(session_id));
        json_object_set_new(body.get(), "event_id", json_str(event_id));
        if (!occurred_at.empty()) json_object_set_new(body.get(), "occurred_at", json_str(occurred_at));
        r.body = json_dump(body.get());
        return r;
    }
    if (!valid_fhir_id(external_ref)) return std::nullopt;
    r.method = "PATCH";
    r.url = std::string(base) + "/Encounter/" + std::string(external_ref);
    r.content_type = "application/json-patch+json";
    Json op(json_object());
    json_object_set_new(op.get(), "op", json_string("replace"));
    json_object_set_new(op.get(), "path", json_string("/status"));
    json_object_set_new(op.get(), "value", json_string(value));
    Json patch(json_array());
    json_array_append(patch.get(), op.get());
    r.body = json_dump(patch.get());
    return r;
}

std::string status_endpoint(Profile p, std::string_view base) {
    return std::string("directory:") + to_string(p) + ":" + std::string(base);
}

std::optional<StatusEndpoint> parse_status_endpoint(std::string_view endpoint) {
    constexpr std::string_view kPrefix = "directory:";
    if (endpoint.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
    endpoint.remove_prefix(kPrefix.size());
    const std::size_t colon = endpoint.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    std::optional<Profile> p = parse_profile(endpoint.substr(0, colon));
    std::string_view base = endpoint.substr(colon + 1);
    if (!p || *p == Profile::Off) return std::nullopt;
    if (base.substr(0, 7) != "http://" && base.substr(0, 8) != "https://") return std::nullopt;
    return StatusEndpoint{*p, std::string(base)};
}

std::string LookupCache::key(Service s, std::string_view user_id) {
    std::string k(s == Service::Patient ? "p:" : "d:");
    k += user_id;
    return k;
}

std::optional<Lookup> LookupCache::get(Service s, std::string_view user_id, int64_t now_ms) {
    if (max_ == 0 || ttl_ms_ <= 0) return std::nullopt;
    std::lock_guard lk(mu_);
    auto it = map_.find(key(s, user_id));
    if (it == map_.end()) return std::nullopt;
    if (it->second.expires_ms <= now_ms) {
        order_.erase(it->second.order);
        map_.erase(it);
        return std::nullopt;
    }
    return it->second.lookup;
}

void LookupCache::put(Service s, std::string_view user_id, const Lookup& l, int64_t now_ms) {
    if (max_ == 0 || ttl_ms_ <= 0 || l.verdict == Verdict::Unavailable) return;
    std::lock_guard lk(mu_);
    std::string k = key(s, user_id);
    auto it = map_.find(k);
    if (it != map_.end()) {
        order_.erase(it->second.order);
        map_.erase(it);
    }
    while (map_.size() >= max_ && !order_.empty()) {
        map_.erase(order_.front());
        order_.pop_front();
    }
    order_.push_back(k);
    Entry e;
    e.lookup = l;
    e.expires_ms = now_ms + ttl_ms_;
    e.order = std::prev(order_.end());
    map_.emplace(std::move(k), std::move(e));
}

std::size_t LookupCache::size() const {
    std::lock_guard lk(mu_);
    return map_.size();
}

}  // namespace telemed::directory
