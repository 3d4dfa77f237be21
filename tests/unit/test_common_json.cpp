// Strict JSON parsing and compact dumping.
#include "common/json.hpp"

// Last: cmocka.h defines macros (fail, ...) that clash with C++ headers.
#include "tests/unit/test_common_support.hpp"

using namespace telemed;

namespace {

bool parses(std::string_view text) {
    std::string err;
    Json j = json_parse(text, &err);
    return j != nullptr;
}

void good_documents(void**) {
    assert_true(parses("{}"));
    assert_true(parses("[]"));
    assert_true(parses(" {\"a\": [1, 2.5, \"x\", null, true]} \n"));
    assert_true(parses("{\"s\":\"caf\xc3\xa9 \\u00e9\"}"));
}

void refused_documents(void**) {
    std::string err;
    assert_false(parses(""));
    assert_false(parses("{\"a\":1,\"a\":2}"));         // duplicate keys
    assert_false(parses("{\"a\":\"x\\u0000y\"}"));     // NUL escape
    assert_false(parses("{\"a\\u0000\":1}"));          // NUL in a key
    assert_false(parses("{\"a\":\"\xff\"}"));          // invalid UTF-8
    assert_false(parses("{\"a\":\"\xc0\xaf\"}"));      // overlong
    assert_false(parses("{} {}"));                     // trailing data
    assert_false(parses("{}x"));
    assert_false(parses("{\"a\":1"));
    assert_false(parses(std::string_view("{}\0", 3)));  // embedded NUL byte
    assert_false(parses("{'a':1}"));
}

void error_does_not_echo_input(void**) {
    std::string err;
    Json j = json_parse("{\"secretkey\":1,\"secretkey\":2}", &err);
    assert_null(j.get());
    assert_false(err.empty());
    assert_int_equal(err.find("secretkey"), std::string::npos);
    j = json_parse("{\"a\": SECRETTOKEN}", &err);
    assert_null(j.get());
    assert_int_equal(err.find("SECRET"), std::string::npos);
    // A null error pointer is allowed.
    assert_null(json_parse("nope", nullptr).get());
}

void dump_compact(void**) {
    Json j = json_parse("{ \"b\" : 1 , \"a\" : [ true , null ] }", nullptr);
    assert_non_null(j.get());
    assert_str_eq(json_dump(j.get()), "{\"b\":1,\"a\":[true,null]}");  // insertion order kept
    assert_str_eq(json_dump(nullptr), "");
    Json s(json_string("x"));
    assert_str_eq(json_dump(s.get()), "\"x\"");
    Json b = json_borrow(j.get());
    assert_int_equal(j->refcount, 2);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_documents),
        cmocka_unit_test(refused_documents),
        cmocka_unit_test(error_does_not_echo_input),
        cmocka_unit_test(dump_compact),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
