#include "controller/http/auth.hpp"

#include <cctype>

#include "common/crypto.hpp"
#include "controller/http/problem.hpp"

namespace telemed {

std::string_view bearer_value(std::string_view authorization) {
    constexpr std::string_view kScheme = "bearer";
    if (authorization.size() <= kScheme.size()) return {};
    for (std::size_t i = 0; i < kScheme.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return {};
    std::string_view v = authorization.substr(kScheme.size());
    if (v.front() != ' ') return {};
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
}

int match_bearer_key(std::string_view authorization, const std::vector<std::string>& keys) {
    std::string_view key = bearer_value(authorization);
    if (key.empty()) return -1;

    int found = -1;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        bool eq = constant_time_equal(key, keys[i]);
        // Branch-free select keeps the loop shape independent of the result.
        int idx = static_cast<int>(i);
        int take = static_cast<int>(eq) & static_cast<int>(found < 0);
        found = take * idx + (1 - take) * found;
    }
    return found;
}

bool plugin_secret_matches(std::string_view authorization, std::string_view plugin_secret) {
    if (plugin_secret.empty()) return false;
    return constant_time_equal(bearer_value(authorization), plugin_secret);
}

bool plugin_authorized(const Request& req, std::string_view plugin_secret) {
    return plugin_secret_matches(req.header("authorization"), plugin_secret);
}

Response plugin_unauthorized() {
    Response r = problem(401, "unauthorized", "Unauthorized", "This internal endpoint needs the plugin secret.");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
}

}  // namespace telemed
