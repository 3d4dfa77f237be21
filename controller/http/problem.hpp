// RFC 9457 problem details: every controller error goes through here.
#pragma once
#include <string_view>

#include "common/requests.hpp"
#include "controller/http/types.hpp"

namespace telemed {

// type = "https://telemed.example/problems/<slug>", content type
// application/problem+json, {"type","title","status","detail"}.
Response problem(int status, std::string_view slug, std::string_view title, std::string_view detail);
// 503 with Retry-After: <retry_after_s> (dependency outages, full lanes).
Response service_unavailable(std::string_view slug, std::string_view title, std::string_view detail,
                             int retry_after_s);
// 422 "validation-error" with "errors": [{"field","message"}].
Response validation_problem(const FieldErrors& errors);

// Parses the request body as a JSON object. On failure returns false and
// sets *error_response: 415 unsupported-media-type when the Content-Type is
// not application/json (parameters such as charset=utf-8 allowed), 400
// malformed-json when it does not parse (invalid UTF-8 included), 422
// validation-error when it is not an object or holds a number beyond what a
// 64-bit reader holds (an integer beyond int64, a real beyond double).
bool parse_json_object_body(const Request& req, Json* out, Response* error_response);

// Building blocks for problems with extra members (e.g. /readyz "checks"):
// the {"type","title","status","detail"} object, and a Response carrying
// any such object with Content-Type application/problem+json.
Json problem_json(int status, std::string_view slug, std::string_view title, std::string_view detail);
Response problem_response(int status, const json_t* doc);
// "application/json", any case, parameters after ';' ignored.
bool is_json_content_type(std::string_view content_type);

}  // namespace telemed
