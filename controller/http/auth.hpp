// Bearer API-key check for backend callers (ARCHITECTURE "REST API").
#pragma once
#include <string_view>
#include <vector>
#include <string>

#include "controller/http/types.hpp"

namespace telemed {

// `authorization` is the raw Authorization header value ("" when absent):
// scheme "Bearer" (any case), one or more spaces, the key. Compares the key
// with EVERY configured key in constant time (no early exit, so timing does
// not reveal which key or how many matched). Returns the index of the
// matching key, or -1 when the header is absent, malformed or wrong.
int match_bearer_key(std::string_view authorization, const std::vector<std::string>& keys);

// The value of a Bearer Authorization header: scheme "Bearer" in any case,
// one or more spaces, the value without surrounding spaces (and trailing
// tabs). "" when absent, another scheme or malformed. Also used for
// participant credentials (controller/http/participant_auth.hpp).
std::string_view bearer_value(std::string_view authorization);

// The internal endpoints' check (/internal/v1/*, routes/internal_*.cpp):
// `Authorization: Bearer <plugin_secret>`, compared in constant time. An
// empty plugin_secret opens nothing (always false); an API key or a
// participant credential is not the secret (false).
bool plugin_secret_matches(std::string_view authorization, std::string_view plugin_secret);
bool plugin_authorized(const Request& req, std::string_view plugin_secret);
// Their 401: problem "unauthorized" with WWW-Authenticate: Bearer.
Response plugin_unauthorized();

}  // namespace telemed
