// controller/storage/sealed_blob.hpp.
#include "controller/storage/sealed_blob.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "common/crypto.hpp"
#include "common/ids.hpp"

namespace telemed {

SealingWriter::SealingWriter(std::string id, std::unique_ptr<BlobWriter> blob)
    : id_(std::move(id)),
      blob_(std::move(blob)),
      data_key_(random_bytes(segcrypt::kKeyBytes)),
      sealer_(data_key_, uuid_to_bytes(id_)),
      md_(EVP_MD_CTX_new()) {
    if (!blob_ || !md_ || EVP_DigestInit_ex(md_.get(), EVP_sha256(), nullptr) != 1) failed_ = true;
}

SealingWriter::~SealingWriter() { OPENSSL_cleanse(data_key_.data(), data_key_.size()); }

bool SealingWriter::flush() {
    if (!out_.empty()) {
        if (!blob_->write(out_.data(), out_.size())) return false;
        out_.clear();
    }
    return true;
}

bool SealingWriter::write(const void* data, std::size_t n) {
    if (failed_) return false;
    const auto* p = static_cast<const uint8_t*>(data);
    if (EVP_DigestUpdate(md_.get(), p, n) != 1 || !sealer_.update(p, n, &out_) || !flush()) failed_ = true;
    return !failed_;
}

bool SealingWriter::finish() {
    if (failed_) return false;
    unsigned len = 0;
    sha256_.resize(32);
    if (EVP_DigestFinal_ex(md_.get(), reinterpret_cast<unsigned char*>(sha256_.data()), &len) != 1 || len != 32 ||
        !sealer_.finish(&out_) || !flush())
        failed_ = true;
    return !failed_;
}

std::optional<std::string> SealingWriter::wrapped_key(std::string_view master) const {
    if (failed_) return std::nullopt;
    return segcrypt::wrap_key(master, uuid_to_bytes(id_), data_key_);
}

std::optional<SealedFile> seal_file(BlobStore& store, const std::string& path, const std::string& id,
                                    std::string_view master, std::string* error) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *error = "cannot open the output";
        return std::nullopt;
    }
    SealingWriter w(id, store.create());
    std::vector<char> buf(segcrypt::kSegmentBytes);
    bool ok = true;
    for (;;) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            ok = false;
            *error = "cannot read the output";
            break;
        }
        if (n == 0) break;
        if (!w.write(buf.data(), static_cast<std::size_t>(n))) {
            ok = false;
            *error = "cannot write the encrypted blob";
            break;
        }
    }
    ::close(fd);
    if (!ok) return std::nullopt;
    std::optional<std::string> wrapped;
    if (!w.finish() || !(wrapped = w.wrapped_key(master)) || !w.blob().sync()) {
        *error = "cannot seal the encrypted blob";
        return std::nullopt;
    }
    SealedFile out;
    out.size = w.plain_bytes();
    out.sha256 = w.sha256();
    out.wrapped_key = std::move(*wrapped);
    out.blob = w.release_blob();
    return out;
}

}  // namespace telemed
