// Signing key lists (common/key_spec.hpp).
#include "common/key_spec.hpp"

namespace telemed {
namespace {

std::string_view trim(std::string_view s) {
    const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && blank(s.back())) s.remove_suffix(1);
    return s;
}

}  // namespace

bool valid_key_id(std::string_view kid) {
    if (kid.empty() || kid.size() > kMaxKeyIdChars) return false;
    for (char c : kid) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                        c == '.' || c == '-';
        if (!ok) return false;
    }
    return true;
}

std::optional<std::vector<KeySpecItem>> parse_key_spec(std::string_view spec, std::string_view what,
                                                       std::size_t min_secret, std::size_t max_items,
                                                       std::string* error) {
    std::vector<KeySpecItem> items;
    std::size_t index = 0;
    const auto fail = [&](const std::string& msg) -> std::optional<std::vector<KeySpecItem>> {
        if (error != nullptr) *error = msg;
        return std::nullopt;
    };
    while (true) {
        const std::size_t comma = spec.find(',');
        const std::string_view item = trim(spec.substr(0, comma));
        if (!item.empty()) {
            ++index;
            const std::string where = std::string(what) + " #" + std::to_string(index) + ": ";
            const std::size_t colon = item.find(':');
            if (colon == std::string_view::npos) return fail(where + "expected kid:secret");
            const std::string_view kid = trim(item.substr(0, colon));
            const std::string_view secret = trim(item.substr(colon + 1));
            if (!valid_key_id(kid)) return fail(where + "kid must be 1..64 characters of [A-Za-z0-9_.-]");
            if (secret.size() < min_secret)
                return fail(where + "secret must be at least " + std::to_string(min_secret) + " bytes");
            for (const KeySpecItem& k : items)
                if (k.kid == kid) return fail(where + "duplicate kid");
            if (items.size() == max_items) return fail("at most " + std::to_string(max_items) + " " + std::string(what) + "s");
            items.push_back({std::string(kid), std::string(secret)});
        }
        if (comma == std::string_view::npos) break;
        spec.remove_prefix(comma + 1);
    }
    if (items.empty()) return fail("no " + std::string(what) + "s given");
    return items;
}

}  // namespace telemed
