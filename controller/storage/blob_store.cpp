// Folder blob store (controller/storage/blob_store.hpp).
#include "controller/storage/blob_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/crypto.hpp"
#include "common/ids.hpp"
#include "controller/log.hpp"

namespace telemed {
namespace {

bool make_dir(const std::string& p, std::string* error) {
    if (::mkdir(p.c_str(), 0700) == 0 || errno == EEXIST) return true;
    if (error) *error = "cannot create " + p + " (" + std::strerror(errno) + ")";
    return false;
}

bool fsync_dir(const std::string& p) {
    int fd = ::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return false;
    bool ok = ::fsync(fd) == 0;
    ::close(fd);
    return ok;
}

class FolderWriter final : public BlobWriter {
public:
    FolderWriter(const FolderBlobStore& store, std::string tmp, int fd) : store_(store), tmp_(std::move(tmp)), fd_(fd) {}
    ~FolderWriter() override {
        if (fd_ >= 0) ::close(fd_);
        if (!committed_) ::unlink(tmp_.c_str());
    }
    bool write(const void* data, std::size_t n) override {
        const char* p = static_cast<const char*>(data);
        while (n > 0) {
            ssize_t w = ::write(fd_, p, n);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
                log_error("file storage: write failed (%s)", std::strerror(errno));
                return false;
            }
            p += w;
            n -= static_cast<std::size_t>(w);
            written_ += static_cast<uint64_t>(w);
        }
        return true;
    }
    bool sync() override {
        if (fd_ < 0) return synced_;
        const bool ok = ::fsync(fd_) == 0;
        if (!ok) log_error("file storage: fsync failed (%s)", std::strerror(errno));
        ::close(fd_);
        fd_ = -1;
        synced_ = ok;
        return ok;
    }
    bool commit(const std::string& id) override {
        const std::string dest = store_.path_of(id);
        if (dest.empty() || !sync()) return false;
        const std::string folder = dest.substr(0, dest.rfind('/'));
        if (!make_dir(folder, nullptr)) return false;
        // link + unlink: fails instead of replacing an existing blob.
        if (::link(tmp_.c_str(), dest.c_str()) != 0) {
            log_error("file storage: cannot commit a blob (%s)", std::strerror(errno));
            return false;
        }
        ::unlink(tmp_.c_str());
        committed_ = true;
        fsync_dir(folder);
        return true;
    }
    uint64_t written() const override { return written_; }
private:
    const FolderBlobStore& store_;
    std::string tmp_;
    int fd_;
    bool committed_ = false, synced_ = false;
    uint64_t written_ = 0;
};

class FolderReader final : public BlobReader {
public:
    FolderReader(int fd, uint64_t size) : fd_(fd), size_(size) {}
    ~FolderReader() override { ::close(fd_); }
    uint64_t size() const override { return size_; }
    bool read_at(uint64_t offset, void* buf, std::size_t n) override {
        char* p = static_cast<char*>(buf);
        while (n > 0) {
            ssize_t r = ::pread(fd_, p, n, static_cast<off_t>(offset));
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) return false;
            p += r;
            n -= static_cast<std::size_t>(r);
            offset += static_cast<uint64_t>(r);
        }
        return true;
    }
private:
    int fd_;
    uint64_t size_;
};

}  // namespace

bool FolderBlobStore::init(std::string* error) {
    if (dir_.empty()) {
        *error = "storage_dir is empty";
        return false;
    }
    return make_dir(dir_, error) && make_dir(dir_ + "/tmp", error) && make_dir(dir_ + "/blobs", error);
}

std::string FolderBlobStore::path_of(const std::string& id) const {
    if (!is_uuid(id) || normalize_uuid(id) != id) return "";
    return dir_ + "/blobs/" + id.substr(0, 2) + "/" + id;
}

std::unique_ptr<BlobWriter> FolderBlobStore::create() {
    const std::string tmp = dir_ + "/tmp/" + hex_encode(random_bytes(16)) + ".part";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        log_error("file storage: cannot create a temporary blob (%s)", std::strerror(errno));
        return nullptr;
    }
    return std::make_unique<FolderWriter>(*this, tmp, fd);
}

std::unique_ptr<BlobReader> FolderBlobStore::open(const std::string& id) {
    const std::string p = path_of(id);
    if (p.empty()) return nullptr;
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return nullptr;
    struct stat sb {};
    if (::fstat(fd, &sb) != 0) {
        ::close(fd);
        return nullptr;
    }
    return std::make_unique<FolderReader>(fd, static_cast<uint64_t>(sb.st_size));
}

bool FolderBlobStore::remove(const std::string& id) {
    const std::string p = path_of(id);
    if (p.empty()) return false;
    return ::unlink(p.c_str()) == 0 || errno == ENOENT;
}

}  // namespace telemed
