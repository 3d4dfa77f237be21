// OpenSSL 3 libcrypto wrappers. Base64 is implemented here (not with
// EVP_EncodeBlock/EVP_DecodeBlock) because the decoder must be strict:
// EVP_DecodeBlock skips whitespace and pads output with zero bytes.
#include "common/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <limits>
#include <stdexcept>

namespace telemed {
namespace {

std::string hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    // HMAC() with a NULL key pointer and zero length is valid in OpenSSL 3,
    // but pass a real pointer to be safe.
    static const unsigned char kEmpty = 0;
    const void* k = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
    const unsigned char* d = data.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(data.data());
    if (key.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
        throw std::length_error("hmac: key too long");
    if (HMAC(md, k, static_cast<int>(key.size()), d, data.size(), out, &len) == nullptr)
        throw std::runtime_error("hmac: libcrypto failure");
    std::string r(reinterpret_cast<const char*>(out), len);
    OPENSSL_cleanse(out, sizeof out);
    return r;
}

constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode(std::string_view raw, const char* alphabet, bool pad) {
    std::string out;
    out.reserve((raw.size() + 2) / 3 * 4);
    const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
    std::size_t i = 0;
    for (; i + 3 <= raw.size(); i += 3) {
        const uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8) | p[i + 2];
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
    }
    const std::size_t rest = raw.size() - i;
    if (rest == 1) {
        const uint32_t v = uint32_t{p[i]} << 16;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        if (pad) out += "==";
    } else if (rest == 2) {
        const uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        if (pad) out += '=';
    }
    return out;
}

constexpr std::array<int8_t, 256> make_url_table() {
    std::array<int8_t, 256> t{};
    for (auto& x : t) x = -1;
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kUrl[i])] = static_cast<int8_t>(i);
    return t;
}
constexpr auto kUrlTable = make_url_table();

constexpr std::array<int8_t, 256> make_std_table() {
    std::array<int8_t, 256> t{};
    for (auto& x : t) x = -1;
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kStd[i])] = static_cast<int8_t>(i);
    return t;
}
constexpr auto kStdTable = make_std_table();

// Both decoders: `text` without its padding, in `table`'s alphabet.
std::optional<std::string> decode_unpadded(std::string_view text, const std::array<int8_t, 256>& table) {
    if (text.size() % 4 == 1) return std::nullopt;
    std::string out;
    out.reserve(text.size() / 4 * 3 + 2);
    uint32_t acc = 0;
    int bits = 0;
    for (char ch : text) {
        const int8_t v = table[static_cast<unsigned char>(ch)];
        if (v < 0) return std::nullopt;
        acc = (acc << 6) | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xFF);
        }
    }
    // 0, 2 or 4 leftover bits; they must be zero.
    if (bits > 0 && (acc & ((uint32_t{1} << bits) - 1)) != 0) return std::nullopt;
    return out;
}

}  // namespace

std::string hmac_sha256(std::string_view key, std::string_view data) { return hmac(EVP_sha256(), key, data); }
std::string hmac_sha1(std::string_view key, std::string_view data) { return hmac(EVP_sha1(), key, data); }

std::string sha256(std::string_view data) {
    unsigned char out[SHA256_DIGEST_LENGTH];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr) != 1 ||
        len != SHA256_DIGEST_LENGTH)
        throw std::runtime_error("sha256: libcrypto failure");
    return std::string(reinterpret_cast<const char*>(out), len);
}

std::string hex_encode(std::string_view raw) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(raw.size() * 2);
    for (unsigned char c : raw) {
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
    return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;  // lengths are not secret here
    if (a.empty()) return true;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_bytes(std::size_t n) {
    std::string out(n, '\0');
    if (n == 0) return out;
    if (n > static_cast<std::size_t>(std::numeric_limits<int>::max()))
        throw std::length_error("random_bytes: too many");
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
        throw std::runtime_error("random_bytes: RAND_bytes failed");
    return out;
}

std::string base64_encode(std::string_view raw) { return encode(raw, kStd, true); }
std::string base64url_encode(std::string_view raw) { return encode(raw, kUrl, false); }

// Strict base64url (RFC 4648 §5, no padding): only [A-Za-z0-9_-]; a length
// of 1 mod 4 is impossible and refused. Non-zero trailing bits in the last
// character are refused too (non-canonical encodings would let two
// different texts decode to the same bytes).
std::optional<std::string> base64url_decode(std::string_view text) { return decode_unpadded(text, kUrlTable); }

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::size_t pad = 0;
    while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
    return decode_unpadded(text.substr(0, text.size() - pad), kStdTable);
}

}  // namespace telemed
