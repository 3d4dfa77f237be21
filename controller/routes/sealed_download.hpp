// Streaming a sealed blob back out (docs/DESIGN.md "Files"): shared by the
// file download (routes/files.cpp, GET /files/{id}) and recording playback
// (routes/playback.cpp, GET /recordings/{id}/playback/{token}). The object
// is stored like every blob of controller/storage: AES-256-GCM segments
// (controller/storage/segment_crypto.hpp) under a data key wrapped by master
// key `key_id`, the object's raw 16-byte id as associated data. The bytes
// are decrypted segment by segment as the client takes them; every byte
// served has passed its segment's tag.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "controller/config.hpp"
#include "controller/http/range.hpp"
#include "controller/http/types.hpp"

namespace telemed {

class BlobStore;

// What is needed to read one sealed object back.
struct SealedObject {
    std::string id;           // UUID: blob name and associated data
    std::string key_id;       // master key that wrapped the data key
    std::string wrapped_key;  // 60 bytes
    uint64_t size = 0;        // plaintext bytes
    const char* what = "file";  // log lines: "file <id>", "recording output <id>"
};

// A download ready to be answered: the range decided, the key unwrapped,
// the blob opened and its first served segment checked, before any header
// goes out. `error` set instead when it cannot be served: 416
// range-not-satisfiable (Content-Range: bytes */size), 500 internal-error
// (the data key does not unwrap: master key missing or wrong) or 500
// file-damaged (blob missing, of the wrong size, or its first segment fails).
struct PreparedDownload {
    std::optional<Response> error;
    ByteRange range;
    std::shared_ptr<BodySource> source;
    uint64_t size = 0;
    // Bytes the response will send: the range's length, or the whole size.
    uint64_t bytes() const { return range.kind == ByteRange::Kind::Partial ? range.length() : size; }
};

PreparedDownload prepare_sealed_download(const ControllerConfig& cfg, BlobStore& store, const SealedObject& obj,
                                         std::string_view range_header);

// Fills status (200 / 206), Content-Range, Accept-Ranges: bytes and the
// streamed body of `r` from a prepared download (no error).
void answer_sealed_download(Response& r, PreparedDownload& d);

}  // namespace telemed
