// Strict JSON parsing and compact dumping.
#include <cstdlib>

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

// Numbers come out in one canonical form: integers exactly, other numbers
// as the shortest decimal that reads back as the same double (Jansson's own
// dump writes 17 digits: 0.1 -> 0.10000000000000001).
void dump_numbers_canonical(void**) {
    const struct {
        const char* in;
        const char* out;
    } cases[] = {
        {"[0.1]", "[0.1]"},
        {"[1E2]", "[100]"},
        {"[100.0]", "[100]"},
        {"[1.5]", "[1.5]"},
        {"[-0.3]", "[-0.3]"},
        {"[1.5e-10]", "[1.5e-10]"},
        {"[9.2e18]", "[9.2e+18]"},
        {"[0.1e1]", "[1]"},
        {"[123456789.123]", "[123456789.123]"},
        {"[9223372036854775807, -9223372036854775808]", "[9223372036854775807,-9223372036854775808]"},
        {"[0.30000000000000004]", "[0.30000000000000004]"},
        {"[2.2250738585072014e-308]", "[2.2250738585072014e-308]"},
    };
    for (const auto& c : cases) {
        Json j = json_parse(c.in, nullptr);
        assert_non_null(j.get());
        assert_str_eq(json_dump(j.get()), c.out);
        // And the canonical form is a fixed point.
        Json again = json_parse(json_dump(j.get()), nullptr);
        assert_str_eq(json_dump(again.get()), c.out);
    }
}

// Strings are escaped exactly as Jansson's json_dumps escapes them.
void dump_strings_like_jansson(void**) {
    std::string all;
    for (int c = 1; c < 0x80; ++c) all.push_back(static_cast<char>(c));
    all += "\xc3\xa9\xe2\x80\xa8\xf0\x9f\x98\x80";  // e-acute, U+2028, an emoji
    Json s(json_stringn(all.data(), all.size()));
    assert_non_null(s.get());
    Json doc(json_pack("{s:O,s:[O]}", "k\"\n", s.get(), "a", s.get()));
    char* theirs = json_dumps(doc.get(), JSON_COMPACT);
    assert_non_null(theirs);
    assert_str_eq(json_dump(doc.get()), theirs);
    std::free(theirs);
}

// Valid JSON that Jansson cannot hold is told apart from a syntax error.
void parse_number_out_of_range(void**) {
    bool oor = true;
    std::string err;
    assert_null(json_parse("{\"n\":9223372036854775808}", &err, &oor).get());
    assert_true(oor);
    assert_null(json_parse("{\"n\":1e400}", &err, &oor).get());
    assert_true(oor);
    assert_null(json_parse("{\"n\":01}", &err, &oor).get());
    assert_false(oor);
    assert_non_null(json_parse("{\"n\":9223372036854775807}", &err, &oor).get());
    assert_false(oor);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_documents),
        cmocka_unit_test(refused_documents),
        cmocka_unit_test(error_does_not_echo_input),
        cmocka_unit_test(dump_compact),
        cmocka_unit_test(dump_numbers_canonical),
        cmocka_unit_test(dump_strings_like_jansson),
        cmocka_unit_test(parse_number_out_of_range),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
