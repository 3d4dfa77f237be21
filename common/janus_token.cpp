// common/janus_token.hpp: Janus core signed tokens.
#include "common/janus_token.hpp"

#include <stdexcept>

#include "common/crypto.hpp"

namespace telemed {
namespace {

bool valid_plugin_name(std::string_view p) {
    if (p.empty() || p.size() > 64) return false;
    for (char ch : p) {
        const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
        if (!ok) return false;
    }
    return true;
}

bool usable_secret(std::string_view secret) {
    return secret.size() >= kMinJanusTokenSecret && secret.find('\0') == std::string_view::npos;
}

}  // namespace

std::string mint_janus_token(std::string_view secret, int64_t expires_at, const std::vector<std::string>& plugins) {
    if (!usable_secret(secret)) throw std::invalid_argument("janus token: secret too short or has a NUL byte");
    if (expires_at <= 0) throw std::invalid_argument("janus token: expiry must be positive");
    if (plugins.empty()) throw std::invalid_argument("janus token: no plugin");
    std::string data = std::to_string(expires_at);
    data += ',';
    data.append(kJanusTokenRealm);
    for (const std::string& p : plugins) {
        if (!valid_plugin_name(p)) throw std::invalid_argument("janus token: bad plugin name");
        data += ',';
        data += p;
    }
    return data + ':' + base64_encode(hmac_sha1(secret, data));
}

std::optional<JanusTokenClaims> verify_janus_token(std::string_view token, std::string_view secret, int64_t now) {
    if (token.size() > kMaxJanusTokenInput || !usable_secret(secret)) return std::nullopt;
    const std::size_t colon = token.find(':');
    if (colon == std::string_view::npos || token.find(':', colon + 1) != std::string_view::npos) return std::nullopt;
    const std::string_view data = token.substr(0, colon);
    const std::string_view mac = token.substr(colon + 1);
    if (!constant_time_equal(mac, base64_encode(hmac_sha1(secret, data)))) return std::nullopt;

    JanusTokenClaims out;
    std::size_t pos = 0;
    int field = 0;
    while (pos <= data.size()) {
        std::size_t comma = data.find(',', pos);
        if (comma == std::string_view::npos) comma = data.size();
        const std::string_view part = data.substr(pos, comma - pos);
        if (field == 0) {
            if (part.empty() || part.size() > 18) return std::nullopt;
            int64_t v = 0;
            for (char ch : part) {
                if (ch < '0' || ch > '9') return std::nullopt;
                v = v * 10 + (ch - '0');
            }
            out.expires_at = v;
        } else if (field == 1) {
            if (part != kJanusTokenRealm) return std::nullopt;
        } else {
            if (!valid_plugin_name(part)) return std::nullopt;
            out.plugins.emplace_back(part);
        }
        ++field;
        pos = comma + 1;
    }
    if (field < 2 || now > out.expires_at) return std::nullopt;
    return out;
}

}  // namespace telemed
