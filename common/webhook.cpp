// Standard Webhooks signing and bodies (common/webhook.hpp).
#include "common/webhook.hpp"

#include <algorithm>

#include "common/crypto.hpp"

namespace telemed::webhook {

std::optional<std::string> parse_secret(std::string_view whsec) {
    constexpr std::string_view kPrefix = "whsec_";
    if (whsec.size() <= kPrefix.size() || whsec.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
    std::optional<std::string> key = base64_decode(whsec.substr(kPrefix.size()));
    if (!key || key->size() < kMinKeyBytes || key->size() > kMaxKeyBytes) return std::nullopt;
    return key;
}

namespace {
std::string signed_content(std::string_view id, int64_t timestamp_s, std::string_view body) {
    std::string s;
    s.reserve(id.size() + body.size() + 24);
    s.append(id);
    s += '.';
    s += std::to_string(timestamp_s);
    s += '.';
    s.append(body);
    return s;
}
}  // namespace

std::string sign(std::string_view key, std::string_view id, int64_t timestamp_s, std::string_view body) {
    return "v1," + base64_encode(hmac_sha256(key, signed_content(id, timestamp_s, body)));
}

bool verify(std::string_view key, std::string_view id, int64_t timestamp_s, std::string_view body,
            std::string_view signature_header) {
    const std::string expected = sign(key, id, timestamp_s, body);
    bool ok = false;
    std::size_t pos = 0;
    // Every candidate is compared (no early exit on a match).
    while (pos <= signature_header.size()) {
        std::size_t sp = signature_header.find(' ', pos);
        if (sp == std::string_view::npos) sp = signature_header.size();
        const std::string_view one = signature_header.substr(pos, sp - pos);
        if (one.substr(0, 3) == "v1,") ok = constant_time_equal(one, expected) || ok;
        pos = sp + 1;
    }
    return ok;
}

std::string body(std::string_view topic, std::string_view occurred_at, const json_t* payload) {
    json_t* type = json_str(topic);
    json_t* ts = json_str(occurred_at);
    if (!type || !ts) {
        json_decref(type);
        json_decref(ts);
        return {};
    }
    Json data(json_is_object(payload) ? json_deep_copy(payload) : json_object());
    json_object_del(data.get(), "topic");
    json_object_del(data.get(), "occurred_at");
    Json out(json_object());
    json_object_set_new(out.get(), "type", type);
    json_object_set_new(out.get(), "timestamp", ts);
    json_object_set_new(out.get(), "data", data.release());
    return json_dump(out.get());
}

int64_t backoff_ms(unsigned attempt, int64_t base_ms, int64_t cap_ms, uint64_t random) {
    base_ms = std::max<int64_t>(base_ms, 1);
    cap_ms = std::max<int64_t>(cap_ms, 1);
    // base * 2^(attempt-1), saturating at the cap (no overflow for large attempts).
    int64_t ceiling = base_ms;
    for (unsigned i = 1; i < attempt && ceiling < cap_ms; ++i) ceiling = ceiling > cap_ms / 2 ? cap_ms : ceiling * 2;
    ceiling = std::min(ceiling, cap_ms);
    const int64_t d = static_cast<int64_t>(random % static_cast<uint64_t>(ceiling + 1));
    return std::max<int64_t>(d, 1);
}

}  // namespace telemed::webhook
