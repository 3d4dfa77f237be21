// Segment encryption of stored files (controller/storage/segment_crypto.hpp).
#include "controller/storage/segment_crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>
#include <memory>

namespace telemed::segcrypt {
namespace {

struct CtxDeleter {
    void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

void put_u64(uint8_t* p, uint64_t v) {
    for (int i = 7; i >= 0; --i) {
        p[i] = static_cast<uint8_t>(v & 0xff);
        v >>= 8;
    }
}

std::string aad(std::string_view file_id, uint64_t index, bool last) {
    std::string a = header();
    a.append(file_id);
    uint8_t b[9];
    put_u64(b, index);
    b[8] = last ? 1 : 0;
    a.append(reinterpret_cast<const char*>(b), sizeof b);
    return a;
}

// AES-256-GCM of `in` into out (in.size() bytes) + tag.
bool gcm_seal(std::string_view key, const uint8_t nonce[12], std::string_view ad, const uint8_t* in, std::size_t n,
              uint8_t* out, uint8_t tag[16]) {
    if (key.size() != kKeyBytes) return false;
    Ctx ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) != 1 ||
        EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, reinterpret_cast<const uint8_t*>(key.data()), nonce) != 1 ||
        EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const uint8_t*>(ad.data()),
                          static_cast<int>(ad.size())) != 1)
        return false;
    if (n > 0 && EVP_EncryptUpdate(ctx.get(), out, &len, in, static_cast<int>(n)) != 1) return false;
    if (EVP_EncryptFinal_ex(ctx.get(), out + n, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
        return false;
    return true;
}

bool gcm_open(std::string_view key, const uint8_t nonce[12], std::string_view ad, const uint8_t* in, std::size_t n,
              const uint8_t tag[16], uint8_t* out) {
    if (key.size() != kKeyBytes) return false;
    Ctx ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) != 1 ||
        EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, reinterpret_cast<const uint8_t*>(key.data()), nonce) != 1 ||
        EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const uint8_t*>(ad.data()),
                          static_cast<int>(ad.size())) != 1)
        return false;
    if (n > 0 && EVP_DecryptUpdate(ctx.get(), out, &len, in, static_cast<int>(n)) != 1) return false;
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, const_cast<uint8_t*>(tag)) != 1) return false;
    uint8_t final_block[16];
    return EVP_DecryptFinal_ex(ctx.get(), final_block, &len) == 1;
}

void segment_nonce(uint64_t index, uint8_t nonce[12]) {
    std::memset(nonce, 0, 4);
    put_u64(nonce + 4, index);
}

}  // namespace

uint64_t segment_count(uint64_t plain) { return plain == 0 ? 1 : (plain + kSegmentBytes - 1) / kSegmentBytes; }

uint64_t sealed_size(uint64_t plain) { return kHeaderBytes + plain + segment_count(plain) * kTagBytes; }

uint64_t segment_offset(uint64_t index) { return kHeaderBytes + index * (kSegmentBytes + kTagBytes); }

std::size_t segment_plain_bytes(uint64_t plain, uint64_t index) {
    const uint64_t n = segment_count(plain);
    if (index + 1 < n) return kSegmentBytes;
    if (index + 1 > n) return 0;
    return static_cast<std::size_t>(plain - index * kSegmentBytes);
}

std::string header() {
    std::string h("TMFB\x01\0\0\0", 8);
    const uint32_t s = kSegmentBytes;
    h.push_back(static_cast<char>(s >> 24));
    h.push_back(static_cast<char>((s >> 16) & 0xff));
    h.push_back(static_cast<char>((s >> 8) & 0xff));
    h.push_back(static_cast<char>(s & 0xff));
    h.append(4, '\0');
    return h;
}

bool header_ok(std::string_view stored) { return stored == header(); }

Sealer::Sealer(std::string_view key, std::string_view file_id) : key_(key), file_id_(file_id) {
    pending_.reserve(kSegmentBytes);
}

Sealer::~Sealer() {
    OPENSSL_cleanse(key_.data(), key_.size());
    pending_.resize(pending_.capacity());
    OPENSSL_cleanse(pending_.data(), pending_.size());
}

bool Sealer::seal(bool last, std::string* out) {
    uint8_t nonce[12];
    segment_nonce(index_, nonce);
    const std::size_t at = out->size();
    out->resize(at + pending_.size() + kTagBytes);
    auto* dst = reinterpret_cast<uint8_t*>(out->data() + at);
    if (!gcm_seal(key_, nonce, aad(file_id_, index_, last), reinterpret_cast<const uint8_t*>(pending_.data()),
                  pending_.size(), dst, dst + pending_.size())) {
        failed_ = true;
        out->resize(at);
        return false;
    }
    ++index_;
    pending_.clear();
    return true;
}

bool Sealer::update(const uint8_t* p, std::size_t n, std::string* out) {
    if (failed_ || file_id_.size() != 16 || key_.size() != kKeyBytes) return false;
    if (!started_) {
        out->append(header());
        started_ = true;
    }
    total_ += n;
    while (n > 0) {
        if (pending_.size() == kSegmentBytes && !seal(false, out)) return false;  // more follows: not the last
        const std::size_t take = std::min(n, kSegmentBytes - pending_.size());
        pending_.append(reinterpret_cast<const char*>(p), take);
        p += take;
        n -= take;
    }
    return true;
}

bool Sealer::finish(std::string* out) {
    if (failed_ || file_id_.size() != 16 || key_.size() != kKeyBytes) return false;
    if (!started_) {
        out->append(header());
        started_ = true;
    }
    return seal(true, out);
}

bool open_segment_into(std::string_view key, std::string_view file_id, uint64_t index, bool last,
                       std::string_view sealed, uint8_t* out) {
    if (sealed.size() < kTagBytes || sealed.size() > kSegmentBytes + kTagBytes || file_id.size() != 16) return false;
    const std::size_t n = sealed.size() - kTagBytes;
    uint8_t nonce[12];
    segment_nonce(index, nonce);
    return gcm_open(key, nonce, aad(file_id, index, last), reinterpret_cast<const uint8_t*>(sealed.data()), n,
                    reinterpret_cast<const uint8_t*>(sealed.data() + n), out);
}

std::optional<std::string> open_segment(std::string_view key, std::string_view file_id, uint64_t index, bool last,
                                        std::string_view sealed) {
    if (sealed.size() < kTagBytes) return std::nullopt;
    std::string out(sealed.size() - kTagBytes, '\0');
    if (!open_segment_into(key, file_id, index, last, sealed, reinterpret_cast<uint8_t*>(out.data())))
        return std::nullopt;
    return out;
}

std::optional<std::string> wrap_key(std::string_view master, std::string_view file_id, std::string_view data_key) {
    if (master.size() != kKeyBytes || data_key.size() != kKeyBytes || file_id.size() != 16) return std::nullopt;
    std::string w(kWrappedKeyBytes, '\0');
    auto* p = reinterpret_cast<uint8_t*>(w.data());
    if (RAND_bytes(p, 12) != 1) return std::nullopt;
    std::string ad = "tmk1" + std::string(file_id);
    if (!gcm_seal(master, p, ad, reinterpret_cast<const uint8_t*>(data_key.data()), kKeyBytes, p + 12, p + 12 + kKeyBytes))
        return std::nullopt;
    return w;
}

std::optional<std::string> unwrap_key(std::string_view master, std::string_view file_id, std::string_view wrapped) {
    if (master.size() != kKeyBytes || wrapped.size() != kWrappedKeyBytes || file_id.size() != 16) return std::nullopt;
    const auto* p = reinterpret_cast<const uint8_t*>(wrapped.data());
    std::string key(kKeyBytes, '\0');
    std::string ad = "tmk1" + std::string(file_id);
    if (!gcm_open(master, p, ad, p + 12, kKeyBytes, p + 12 + kKeyBytes, reinterpret_cast<uint8_t*>(key.data())))
        return std::nullopt;
    return key;
}

}  // namespace telemed::segcrypt
