// Thin wrappers over OpenSSL libcrypto: HMAC, SHA-256, randomness,
// constant-time comparison, base64 / base64url.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace telemed {

std::string hmac_sha256(std::string_view key, std::string_view data);  // 32 raw bytes
std::string hmac_sha1(std::string_view key, std::string_view data);    // 20 raw bytes
std::string sha256(std::string_view data);                             // 32 raw bytes
std::string hex_encode(std::string_view raw);
// Constant-time for equal lengths; different lengths compare unequal
// without early exit on content.
bool constant_time_equal(std::string_view a, std::string_view b);
// Cryptographically secure random bytes (RAND_bytes); throws on failure.
std::string random_bytes(std::size_t n);

std::string base64_encode(std::string_view raw);     // standard alphabet, padded
std::string base64url_encode(std::string_view raw);  // URL alphabet, no padding
// Strict: URL alphabet, no padding, no whitespace. nullopt on any error.
std::optional<std::string> base64url_decode(std::string_view text);
// Strict: standard alphabet, padded to a multiple of 4 ('=' only at the
// end), no whitespace, canonical trailing bits. nullopt on any error.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace telemed
