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

}  // namespace telemed
