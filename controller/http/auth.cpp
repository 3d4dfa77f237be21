#include "controller/http/auth.hpp"

#include <cctype>

#include "common/crypto.hpp"

namespace telemed {

int match_bearer_key(std::string_view authorization, const std::vector<std::string>& keys) {
    constexpr std::string_view kScheme = "bearer";
    if (authorization.size() <= kScheme.size()) return -1;
    for (std::size_t i = 0; i < kScheme.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return -1;
    std::string_view key = authorization.substr(kScheme.size());
    if (key.front() != ' ') return -1;
    while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.remove_suffix(1);
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

}  // namespace telemed
