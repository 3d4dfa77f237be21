// `telemed-controller --rewrap-files` (docs/OPERATIONS.md "Key rotation"):
// re-wraps every stored file data key that is wrapped by another master key
// than the first of storage_master_keys, under the first one. The blobs are
// not touched (data keys do not change). Batches of 200 rows, each in its
// own transaction (FOR UPDATE SKIP LOCKED), so it runs beside live
// controllers.
#pragma once
#include <cstddef>

#include "controller/config.hpp"

namespace telemed {
namespace db { class Pool; }

struct RewrapResult {
    std::size_t rewrapped = 0;
    std::size_t failed = 0;  // kid not configured, or the wrapped key does not open (logged by id)
};
// Throws on database errors.
RewrapResult rewrap_file_keys(db::Pool& pool, const ControllerConfig& cfg);

}  // namespace telemed
