// Plaintext in, an encrypted blob out: the one way a stored file (routes/
// files.cpp, streamed from the request body) and a recording output
// (jobs/recording_processor.cpp, from a file on disk) get their at-rest
// form (docs/DESIGN.md "Files"): a random data key of its own, AES-256-GCM
// segments (segment_crypto.hpp) written to a temporary blob, SHA-256 of the
// plaintext, and the data key wrapped by a master key. The caller commits
// the blob under its id (BlobWriter::commit) before the row that names it.
#pragma once
#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "controller/storage/blob_store.hpp"
#include "controller/storage/segment_crypto.hpp"

namespace telemed {

class SealingWriter {
public:
    // `id`: the blob's (and row's) id, a lower-case UUID. A fresh random data key.
    SealingWriter(std::string id, std::unique_ptr<BlobWriter> blob);
    ~SealingWriter();  // wipes the data key; an uncommitted blob is discarded
    SealingWriter(const SealingWriter&) = delete;
    SealingWriter& operator=(const SealingWriter&) = delete;

    // Hash, seal, write. false on an OpenSSL or write failure (then unusable).
    bool write(const void* data, std::size_t n);
    // The last segment and the digest. false on failure.
    bool finish();
    // The data key wrapped by `master` (32 bytes); nullopt on failure.
    std::optional<std::string> wrapped_key(std::string_view master) const;

    const std::string& id() const { return id_; }
    const std::string& sha256() const { return sha256_; }  // 32 raw bytes once finished
    uint64_t plain_bytes() const { return sealer_.plain_bytes(); }
    BlobWriter& blob() { return *blob_; }
    std::unique_ptr<BlobWriter> release_blob() { return std::move(blob_); }

private:
    bool flush();
    struct MdFree {
        void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
    };
    std::string id_;
    std::unique_ptr<BlobWriter> blob_;
    std::string data_key_;
    segcrypt::Sealer sealer_;
    std::unique_ptr<EVP_MD_CTX, MdFree> md_;
    std::string out_, sha256_;
    bool failed_ = false;
};

// A plaintext file on disk sealed into a new blob of `store` (synced, not
// yet committed: commit it under `id` before the row that names it).
struct SealedFile {
    std::unique_ptr<BlobWriter> blob;
    uint64_t size = 0;         // plaintext bytes
    std::string sha256;        // 32 raw bytes of the plaintext
    std::string wrapped_key;   // segcrypt::kWrappedKeyBytes
};
// nullopt with *error (a short text of ours, no path) on failure.
std::optional<SealedFile> seal_file(BlobStore& store, const std::string& path, const std::string& id,
                                    std::string_view master, std::string* error);

}  // namespace telemed
