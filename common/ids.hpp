// UUIDs (v4, lower-case canonical text form).
#pragma once
#include <string>
#include <string_view>

namespace telemed {

std::string new_uuid_v4();
// True for the canonical 8-4-4-4-12 hex form (either case).
bool is_uuid(std::string_view s);
// The canonical lower-case form of a UUID text (callers checked is_uuid):
// the one normalisation of ids used by the plugin (request fields, token
// claims) and the controller (REST paths, Admin API bodies).
std::string normalize_uuid(std::string_view s);
// The 16 raw bytes of a UUID text (the binary form signed tokens carry and
// sealed blobs use as associated data); std::invalid_argument unless is_uuid.
std::string uuid_to_bytes(std::string_view id);
// The canonical lower-case text of 16 raw bytes (exactly 16:
// std::invalid_argument otherwise).
std::string uuid_from_bytes(std::string_view raw16);

}  // namespace telemed
