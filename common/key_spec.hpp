// Signing key lists as configured: "kid1:secret1,kid2:secret2" (join token
// keys, playback link keys). One parser, so both lists read, trim and refuse
// alike, and an error never quotes a secret.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace telemed {

inline constexpr std::size_t kMaxKeyIdChars = 64;

// 1..kMaxKeyIdChars of [A-Za-z0-9_.-].
bool valid_key_id(std::string_view kid);

struct KeySpecItem {
    std::string kid;
    std::string secret;
};

// Items split at ',', each at its first ':' (a secret cannot hold ','),
// blanks around kid and secret trimmed, empty items (a trailing comma)
// skipped; configuration order kept. nullopt with *error when a kid is
// invalid or repeated, a secret is shorter than `min_secret` bytes, there
// are more than `max_items`, or none. Errors name the item by position
// ("<what> #2: duplicate kid"), never its content: a missing ':' would
// otherwise print a secret.
std::optional<std::vector<KeySpecItem>> parse_key_spec(std::string_view spec, std::string_view what,
                                                       std::size_t min_secret, std::size_t max_items,
                                                       std::string* error);

}  // namespace telemed
