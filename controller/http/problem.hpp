// RFC 9457 problem details: every controller error goes through here.
#pragma once
#include <string_view>

#include "common/requests.hpp"
#include "controller/http/types.hpp"

namespace telemed {

// type = "https://telemed.example/problems/<slug>", content type
// application/problem+json, {"type","title","status","detail"}.
Response problem(int status, std::string_view slug, std::string_view title, std::string_view detail);
// 422 "validation-error" with "errors": [{"field","message"}].
Response validation_problem(const FieldErrors& errors);

// Parses the request body as a JSON object. On failure returns false and
// sets *error_response: 415 unsupported-media-type when the Content-Type is
// not application/json (parameters such as charset=utf-8 allowed), 400
// malformed-json when it does not parse (invalid UTF-8 included), 422
// validation-error when it is not an object.
bool parse_json_object_body(const Request& req, Json* out, Response* error_response);

}  // namespace telemed
