// Unit tests for controller/http/problem.cpp and types.cpp: the RFC 9457
// problem shape every error shares, the 422 "errors" list, and the JSON body
// gate (415 / 400 / 422 / ok). Each helper returns a plain summary string in
// a C buffer so no C++ object is alive when an assertion fails.
#include <cstdio>
#include <cstring>
#include <string>

#include "controller/http/problem.hpp"

#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

using telemed::FieldError;
using telemed::Json;
using telemed::Request;
using telemed::Response;

namespace {

char g_buf[2048];

const char* out(const std::string& s) {
    std::snprintf(g_buf, sizeof g_buf, "%s", s.c_str());
    return g_buf;
}

// "<status>|<content type>|<keys in order>|type|title|status|detail"
const char* summarize_problem(const Response& r) {
    json_error_t err;
    json_t* doc = json_loadb(r.body.data(), r.body.size(), 0, &err);
    if (!doc || !json_is_object(doc)) {
        if (doc) json_decref(doc);
        return out("not a JSON object: " + r.body);
    }
    std::string keys;
    const char* key;
    json_t* value;
    json_object_foreach(doc, key, value) keys += std::string(keys.empty() ? "" : ",") + key;
    const char* type = json_string_value(json_object_get(doc, "type"));
    const char* title = json_string_value(json_object_get(doc, "title"));
    const char* detail = json_string_value(json_object_get(doc, "detail"));
    json_t* st = json_object_get(doc, "status");
    std::string s = std::to_string(r.status) + "|" + r.content_type + "|" + keys + "|" + (type ? type : "?") + "|" +
                    (title ? title : "?") + "|" + (json_is_integer(st) ? std::to_string(json_integer_value(st)) : "?") +
                    "|" + (detail ? detail : "?");
    json_decref(doc);
    return out(s);
}

const char* errors_of(const Response& r) {
    json_t* doc = json_loadb(r.body.data(), r.body.size(), 0, nullptr);
    json_t* errors = doc ? json_object_get(doc, "errors") : nullptr;
    std::string s;
    if (!json_is_array(errors)) {
        s = "no errors array";
    } else {
        std::size_t i;
        json_t* e;
        json_array_foreach(errors, i, e) {
            const char* f = json_string_value(json_object_get(e, "field"));
            const char* m = json_string_value(json_object_get(e, "message"));
            s += std::string(i ? ";" : "") + (f ? f : "?") + "=" + (m ? m : "?") + "/" +
                 std::to_string(json_object_size(e));
        }
    }
    if (doc) json_decref(doc);
    return out(s);
}

const char* problem_summary(int status, const char* slug, const char* title, const char* detail) {
    return summarize_problem(telemed::problem(status, slug, title, detail));
}

// "ok:<compact object>" or the problem summary of the refusal.
const char* gate(const char* content_type, const std::string& body) {
    Request req;
    if (content_type) req.headers["content-type"] = content_type;
    req.body = body;
    Json obj;
    Response resp;
    if (telemed::parse_json_object_body(req, &obj, &resp)) return out("ok:" + telemed::json_dump(obj.get()));
    return summarize_problem(resp);
}

void test_problem_shape(void**) {
    assert_string_equal(problem_summary(404, "not-found", "Not found", "No resource at this path."),
                        "404|application/problem+json|type,title,status,detail|"
                        "https://telemed.example/problems/not-found|Not found|404|No resource at this path.");
    assert_string_equal(problem_summary(503, "janus-unavailable", "Janus unavailable", "x\"y"),
                        "503|application/problem+json|type,title,status,detail|"
                        "https://telemed.example/problems/janus-unavailable|Janus unavailable|503|x\"y");
}

void test_validation_problem_lists_errors(void**) {
    telemed::FieldErrors errs;
    errs.push_back(FieldError{"kind", "is required"});
    errs.push_back(FieldError{"metadata", "must be at most 4096 bytes"});
    Response r = telemed::validation_problem(errs);
    assert_string_equal(summarize_problem(r),
                        "422|application/problem+json|type,title,status,detail,errors|"
                        "https://telemed.example/problems/validation-error|Validation failed|422|"
                        "Some fields are invalid.");
    assert_string_equal(errors_of(r), "kind=is required/2;metadata=must be at most 4096 bytes/2");
}

void test_gate_refuses_wrong_content_type_with_415(void**) {
    const char* expect415 = "415|application/problem+json|type,title,status,detail|"
                            "https://telemed.example/problems/unsupported-media-type|Unsupported media type|415|"
                            "The request body must be application/json.";
    assert_string_equal(gate(nullptr, "{}"), expect415);
    assert_string_equal(gate("text/plain", "{}"), expect415);
    assert_string_equal(gate("application/jsonx", "{}"), expect415);
    assert_string_equal(gate("application/json-patch+json", "{}"), expect415);
}

void test_gate_accepts_json_with_parameters_any_case(void**) {
    assert_string_equal(gate("application/json", "{\"a\":1}"), "ok:{\"a\":1}");
    assert_string_equal(gate("application/json; charset=utf-8", "{}"), "ok:{}");
    assert_string_equal(gate("Application/JSON ;charset=UTF-8", " {\"k\":[true]} "), "ok:{\"k\":[true]}");
}

void test_gate_malformed_is_400(void**) {
    const char* prefix = "400|application/problem+json|type,title,status,detail|"
                         "https://telemed.example/problems/malformed-json|";
    assert_memory_equal(gate("application/json", "{"), prefix, std::strlen(prefix));
    assert_memory_equal(gate("application/json", ""), prefix, std::strlen(prefix));
    assert_memory_equal(gate("application/json", "{\"a\":1} x"), prefix, std::strlen(prefix));
    assert_memory_equal(gate("application/json", std::string("{\"a\":\"\xff\"}")), prefix, std::strlen(prefix));
}

void test_gate_non_object_is_422(void**) {
    const char* prefix = "422|application/problem+json|type,title,status,detail,errors|"
                         "https://telemed.example/problems/validation-error|";
    assert_memory_equal(gate("application/json", "[1,2]"), prefix, std::strlen(prefix));
    assert_memory_equal(gate("application/json", "[]"), prefix, std::strlen(prefix));
    // Top-level scalars: json_parse (common/json.cpp) refuses them as
    // malformed (400) or they are valid non-objects (422); refused either way.
    assert_memory_equal(gate("application/json", "null"), "4", 1);
    assert_memory_equal(gate("application/json", "\"s\""), "4", 1);
}

void test_response_helpers(void**) {
    Json body(json_pack("{s:s,s:i}", "status", "ok", "n", 3));
    Response r = Response::json(201, body.get());
    assert_int_equal(r.status, 201);
    assert_string_equal(r.content_type.c_str(), "application/json");
    assert_string_equal(r.body.c_str(), "{\"status\":\"ok\",\"n\":3}");
    Response nc = Response::no_content();
    assert_int_equal(nc.status, 204);
    assert_true(nc.body.empty());
    assert_true(nc.content_type.empty());

    Request req;
    req.headers["x-request-id"] = "abc";
    assert_string_equal(std::string(req.header("x-request-id")).c_str(), "abc");
    assert_true(req.header("missing").empty());
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_problem_shape),
        cmocka_unit_test(test_validation_problem_lists_errors),
        cmocka_unit_test(test_gate_refuses_wrong_content_type_with_415),
        cmocka_unit_test(test_gate_accepts_json_with_parameters_any_case),
        cmocka_unit_test(test_gate_malformed_is_400),
        cmocka_unit_test(test_gate_non_object_is_422),
        cmocka_unit_test(test_response_helpers),
    };
    return cmocka_run_group_tests_name("controller_problem", tests, nullptr, nullptr);
}
