// RFC 9457 problem responses and the JSON body gate (controller/http/problem.hpp).
#include "controller/http/problem.hpp"

#include <cctype>
#include <string>

namespace telemed {
namespace {

constexpr std::string_view kProblemBase = "https://telemed.example/problems/";

bool ascii_iequal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

Json problem_json(int status, std::string_view slug, std::string_view title, std::string_view detail) {
    Json doc(json_object());
    std::string type(kProblemBase);
    type.append(slug);
    json_object_set_new(doc.get(), "type", json_str(type));
    json_object_set_new(doc.get(), "title", json_str(title));
    json_object_set_new(doc.get(), "status", json_integer(status));
    json_object_set_new(doc.get(), "detail", json_str(detail));
    return doc;
}

Response problem_response(int status, const json_t* doc) {
    Response r = Response::json(status, doc);
    r.content_type = "application/problem+json";
    return r;
}

Response problem(int status, std::string_view slug, std::string_view title, std::string_view detail) {
    Json doc = problem_json(status, slug, title, detail);
    return problem_response(status, doc.get());
}

Response service_unavailable(std::string_view slug, std::string_view title, std::string_view detail,
                             int retry_after_s) {
    Response r = problem(503, slug, title, detail);
    r.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
    return r;
}

Response validation_problem(const FieldErrors& errors) {
    Json doc = problem_json(422, "validation-error", "Validation failed",
                            errors.size() == 1 ? "One field is invalid." : "Some fields are invalid.");
    Json list(json_array());
    for (const FieldError& e : errors) {
        json_t* item = json_object();
        json_object_set_new(item, "field", json_str(e.field));
        json_object_set_new(item, "message", json_str(e.message));
        json_array_append_new(list.get(), item);
    }
    json_object_set(doc.get(), "errors", list.get());
    return problem_response(422, doc.get());
}

bool is_json_content_type(std::string_view content_type) {
    std::string_view media = content_type.substr(0, content_type.find(';'));
    return ascii_iequal(trim(media), "application/json");
}

bool parse_json_object_body(const Request& req, Json* out, Response* error_response) {
    if (!is_json_content_type(req.header("content-type"))) {
        *error_response = problem(415, "unsupported-media-type", "Unsupported media type",
                                  "The request body must be application/json.");
        return false;
    }
    std::string parse_error;
    bool out_of_range = false;
    Json value = json_parse(req.body, &parse_error, &out_of_range);
    if (!value && out_of_range) {
        // Valid JSON, but a number no 64-bit reader holds: the request is
        // understood and refused (422), not malformed (400).
        *error_response = validation_problem(
            {FieldError{"", "a number is out of range (integers: 64-bit signed; other numbers: 64-bit float)"}});
        return false;
    }
    if (!value) {
        *error_response = problem(400, "malformed-json", "Malformed JSON",
                                  "The request body is not valid JSON (UTF-8).");
        return false;
    }
    if (!json_is_object(value.get())) {
        *error_response = validation_problem({FieldError{"", "the request body must be a JSON object"}});
        return false;
    }
    *out = std::move(value);
    return true;
}

}  // namespace telemed
