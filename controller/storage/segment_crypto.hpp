// The at-rest format of a stored file (docs/DESIGN.md "Files"): a 16-byte
// header, then the plaintext in 64 KiB segments, each sealed with
// AES-256-GCM (OpenSSL EVP) under the file's own data key:
//
//   header  = "TMFB" | version 1 | 0 0 0 | segment size (u32 BE) | 0 0 0 0
//   segment = ciphertext (<= 65536 bytes) | tag (16)
//   nonce   = 4 zero bytes | segment index (u64 BE)   (unique: one key per file)
//   AAD     = header | file id (16 raw bytes) | segment index (u64 BE) | last (1 byte)
//
// Every file has at least one segment (an empty file: one empty last
// segment). Segments can be neither reordered (index in nonce and AAD),
// dropped at the end (last flag), moved to another file (file id) nor
// altered (tag). The data key is wrapped by a master key:
//   wrapped = nonce (12, random) | AES-256-GCM(master, data key) (32) | tag (16), AAD = "tmk1" | file id
// Pure (libcrypto only); unit-tested in tests/unit/test_controller_segment_crypto.cpp.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace telemed::segcrypt {

inline constexpr std::size_t kHeaderBytes = 16;
inline constexpr std::size_t kSegmentBytes = 65536;
inline constexpr std::size_t kTagBytes = 16;
inline constexpr std::size_t kKeyBytes = 32;
inline constexpr std::size_t kWrappedKeyBytes = 12 + kKeyBytes + kTagBytes;

// The stored size of a file of `plain` bytes.
uint64_t sealed_size(uint64_t plain);
// Number of segments of a file of `plain` bytes (>= 1).
uint64_t segment_count(uint64_t plain);
// Offset of segment `index` in the blob, and its plaintext length.
uint64_t segment_offset(uint64_t index);
std::size_t segment_plain_bytes(uint64_t plain, uint64_t index);
std::string header();
// A stored header is ours (readers check it before any segment; it is also
// in every segment's AAD).
bool header_ok(std::string_view stored);

// Streaming encryption. `file_id` = 16 raw bytes, `key` = 32 bytes.
// update() appends to *out the header (first call) and every segment that
// is complete and known not to be the last; finish() the rest. At most one
// segment of plaintext is held. false on an OpenSSL failure (then unusable).
class Sealer {
public:
    Sealer(std::string_view key, std::string_view file_id);
    ~Sealer();  // wipes the key and the pending plaintext
    Sealer(const Sealer&) = delete;
    Sealer& operator=(const Sealer&) = delete;
    bool update(const uint8_t* p, std::size_t n, std::string* out);
    bool finish(std::string* out);
    uint64_t plain_bytes() const { return total_; }
private:
    bool seal(bool last, std::string* out);
    std::string key_, file_id_, pending_;
    uint64_t index_ = 0, total_ = 0;
    bool started_ = false, failed_ = false;
};

// Opens one segment: `sealed` is its ciphertext + tag as stored. The
// plaintext, or nullopt when the tag does not verify (tampered, wrong key,
// wrong index / file / last flag).
std::optional<std::string> open_segment(std::string_view key, std::string_view file_id, uint64_t index, bool last,
                                        std::string_view sealed);
// Same into a caller's buffer of at least sealed.size() - kTagBytes bytes; false when it does not verify.
bool open_segment_into(std::string_view key, std::string_view file_id, uint64_t index, bool last,
                       std::string_view sealed, uint8_t* out);

// Key wrapping under a master key (32 bytes).
std::optional<std::string> wrap_key(std::string_view master, std::string_view file_id, std::string_view data_key);
std::optional<std::string> unwrap_key(std::string_view master, std::string_view file_id, std::string_view wrapped);

}  // namespace telemed::segcrypt
