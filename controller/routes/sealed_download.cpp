// Streaming a sealed blob back out (controller/routes/sealed_download.hpp).
#include "controller/routes/sealed_download.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>

#include "common/ids.hpp"
#include "controller/http/problem.hpp"
#include "controller/log.hpp"
#include "controller/routes/support.hpp"
#include "controller/storage/blob_store.hpp"
#include "controller/storage/segment_crypto.hpp"

namespace telemed {
namespace {

const ControllerConfig::MasterKey* master_key(const ControllerConfig& cfg, std::string_view kid) {
    for (const auto& k : cfg.storage_master_keys)
        if (k.kid == kid) return &k;
    return nullptr;
}

Response damaged() {
    return problem(500, "file-damaged", "Stored file damaged",
                   "The stored file cannot be read back intact; it has been logged.");
}

// Reads and opens the segments a response needs, one at a time (64 KiB of
// ciphertext and 64 KiB of plaintext held). Every byte served has passed
// its segment's tag; a failure aborts the response (BodySource contract).
class SealedSource final : public BodySource {
public:
    SealedSource(std::unique_ptr<BlobReader> blob, std::string key, std::string id_raw, uint64_t plain_size,
                 uint64_t first, std::string id, const char* what)
        : blob_(std::move(blob)),
          key_(std::move(key)),
          aad_(std::move(id_raw)),
          size_(plain_size),
          first_(first),
          id_(std::move(id)),
          what_(what) {}
    ~SealedSource() override {
        OPENSSL_cleanse(key_.data(), key_.size());
        OPENSSL_cleanse(plain_.data(), plain_.size());
    }

    // Loads segment `index` into the cache; false when it fails its tag or cannot be read.
    bool load(uint64_t index) {
        if (have_ && index == index_) return true;
        if (!header_checked_) {
            char h[segcrypt::kHeaderBytes];
            if (!blob_->read_at(0, h, sizeof h) || !segcrypt::header_ok(std::string_view(h, sizeof h))) {
                log_error("%s %s: stored header is not ours (damaged or tampered storage)", what_, id_.c_str());
                return false;
            }
            header_checked_ = true;
        }
        const uint64_t n = segcrypt::segment_count(size_);
        if (index >= n) return false;
        const std::size_t plain = segcrypt::segment_plain_bytes(size_, index);
        sealed_.resize(plain + segcrypt::kTagBytes);
        plain_.resize(plain);
        have_ = false;
        if (!blob_->read_at(segcrypt::segment_offset(index), sealed_.data(), sealed_.size()) ||
            !segcrypt::open_segment_into(key_, aad_, index, index + 1 == n, sealed_,
                                         reinterpret_cast<uint8_t*>(plain_.data()))) {
            log_error("%s %s: segment %llu fails its check (damaged or tampered storage)", what_, id_.c_str(),
                      static_cast<unsigned long long>(index));
            return false;
        }
        index_ = index;
        have_ = true;
        return true;
    }

    long read(uint64_t pos, char* buf, std::size_t max) override {
        const uint64_t at = first_ + pos;
        if (at >= size_ || max == 0) return -1;
        const uint64_t index = at / segcrypt::kSegmentBytes;
        if (!load(index)) return -1;
        const std::size_t off = static_cast<std::size_t>(at - index * segcrypt::kSegmentBytes);
        const std::size_t n = std::min<std::size_t>(max, plain_.size() - off);
        if (n == 0) return -1;
        std::memcpy(buf, plain_.data() + off, n);
        return static_cast<long>(n);
    }

private:
    std::unique_ptr<BlobReader> blob_;
    std::string key_, aad_;
    uint64_t size_, first_;
    std::string id_;
    const char* what_;
    std::string sealed_, plain_;
    uint64_t index_ = 0;
    bool have_ = false, header_checked_ = false;
};

}  // namespace

PreparedDownload prepare_sealed_download(const ControllerConfig& cfg, BlobStore& store, const SealedObject& obj,
                                         std::string_view range_header) {
    PreparedDownload d;
    d.size = obj.size;
    d.range = parse_range(range_header, obj.size);
    if (d.range.kind == ByteRange::Kind::Unsatisfiable) {
        d.error = problem(416, "range-not-satisfiable", "Range not satisfiable",
                          "The file has " + std::to_string(obj.size) + " bytes.");
        d.error->headers.emplace_back("Content-Range", "bytes */" + std::to_string(obj.size));
        return d;
    }
    const ControllerConfig::MasterKey* mk = master_key(cfg, obj.key_id);
    std::optional<std::string> key;
    if (mk) key = segcrypt::unwrap_key(mk->key, uuid_to_bytes(obj.id), obj.wrapped_key);
    if (!key) {
        log_error("%s %s: its data key does not unwrap (master key %s %s)", obj.what, obj.id.c_str(),
                  obj.key_id.c_str(), mk ? "does not match" : "not configured");
        d.error = internal_error();
        return d;
    }
    std::unique_ptr<BlobReader> blob = store.open(obj.id);
    if (!blob || blob->size() != segcrypt::sealed_size(obj.size)) {
        log_error("%s %s: stored blob %s", obj.what, obj.id.c_str(), blob ? "has the wrong size" : "is missing");
        OPENSSL_cleanse(key->data(), key->size());
        d.error = damaged();
        return d;
    }
    const uint64_t first = d.range.kind == ByteRange::Kind::Partial ? d.range.first : 0;
    auto source = std::make_shared<SealedSource>(std::move(blob), std::move(*key), uuid_to_bytes(obj.id), obj.size, first,
                                                 obj.id, obj.what);
    // The first segment served is checked before any header goes out.
    if (obj.size > 0 && !source->load(first / segcrypt::kSegmentBytes)) {
        d.error = damaged();
        return d;
    }
    d.source = std::move(source);
    return d;
}

void answer_sealed_download(Response& r, PreparedDownload& d) {
    r.headers.emplace_back("Accept-Ranges", "bytes");
    if (d.range.kind == ByteRange::Kind::Partial) {
        r.status = 206;
        r.source_length = d.range.length();
        r.headers.emplace_back("Content-Range", "bytes " + std::to_string(d.range.first) + "-" +
                                                    std::to_string(d.range.last) + "/" + std::to_string(d.size));
    } else {
        r.status = 200;
        r.source_length = d.size;
    }
    r.source = std::move(d.source);
}

}  // namespace telemed
