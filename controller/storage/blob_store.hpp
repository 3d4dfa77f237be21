// Where stored files' (already encrypted) bytes live: a small interface so
// that an object store can replace the folder later (docs/DESIGN.md "Files").
// Blob ids are chosen by the caller (the file id, a UUID); a blob is written
// to a temporary place, committed under its id (atomic: visible whole or not
// at all), opened for positioned reads, and removed.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace telemed {

class BlobWriter {
public:
    virtual ~BlobWriter() = default;  // an uncommitted blob is discarded
    virtual bool write(const void* data, std::size_t n) = 0;
    // Durable, not yet visible (fsync): done by the caller off the event
    // thread and before any lock, so that commit() is quick.
    virtual bool sync() = 0;
    // Visible under `id` (replacing nothing: false if it exists); syncs first
    // if sync() was not called.
    virtual bool commit(const std::string& id) = 0;
    virtual uint64_t written() const = 0;
};

class BlobReader {
public:
    virtual ~BlobReader() = default;
    virtual uint64_t size() const = 0;
    // Exactly n bytes at `offset`; false on an I/O error or short read.
    virtual bool read_at(uint64_t offset, void* buf, std::size_t n) = 0;
};

class BlobStore {
public:
    virtual ~BlobStore() = default;
    virtual std::unique_ptr<BlobWriter> create() = 0;             // nullptr on error (logged)
    virtual std::unique_ptr<BlobReader> open(const std::string& id) = 0;  // nullptr when absent or unreadable
    virtual bool remove(const std::string& id) = 0;               // true when gone (also when it was absent)
};

// The folder implementation: <dir>/tmp/<random>.part while written,
// <dir>/blobs/<id[0..1]>/<id> once committed (fsync of file and folder).
// Ids must be lower-case UUIDs (anything else is refused: never a path from input).
class FolderBlobStore final : public BlobStore {
public:
    explicit FolderBlobStore(std::string dir) : dir_(std::move(dir)) {}
    // Creates the folders (mode 0700). false with *error.
    bool init(std::string* error);
    std::unique_ptr<BlobWriter> create() override;
    std::unique_ptr<BlobReader> open(const std::string& id) override;
    bool remove(const std::string& id) override;
    const std::string& dir() const { return dir_; }
    std::string path_of(const std::string& id) const;  // "" for an id that is not a UUID
private:
    std::string dir_;
};

}  // namespace telemed
