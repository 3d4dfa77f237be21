// key = value configuration parsing, environment overrides, list splitting.
#include <cstdlib>

#include "common/kvconfig.hpp"

// Last: cmocka.h defines macros (fail, ...) that clash with C++ headers.
#include "tests/unit/test_common_support.hpp"

using namespace telemed;

namespace {

void parses_good_text(void**) {
    KvConfig c;
    std::string err;
    const char* text =
        "# comment\n"
        "\n"
        "port = 8080\r\n"
        "   listen_address=127.0.0.1   \n"
        "\t# indented comment\n"
        "api_keys = a, b ,c\n"
        "empty =\n"
        "quoted = \"  spaced value  \"\n"
        "hash = abc#def\n"
        "eq = a=b=c\n"
        "last_no_newline = 1";
    assert_true(c.parse(text, &err));
    assert_str_eq(c.get("port").value_or("?"), "8080");
    assert_str_eq(c.get("listen_address").value_or("?"), "127.0.0.1");
    assert_str_eq(c.get("api_keys").value_or("?"), "a, b ,c");
    assert_str_eq(c.get("empty").value_or("?"), "");
    assert_str_eq(c.get("quoted").value_or("?"), "  spaced value  ");
    assert_str_eq(c.get("hash").value_or("?"), "abc#def");
    assert_str_eq(c.get("eq").value_or("?"), "a=b=c");
    assert_str_eq(c.get("last_no_newline").value_or("?"), "1");
    assert_false(c.get("missing").has_value());
    assert_int_equal(c.values().size(), 8);
}

bool fails_with(const char* text, const char* want_prefix, const char* must_not_contain) {
    KvConfig c;
    std::string err;
    if (c.parse(text, &err)) return false;
    if (err.rfind(want_prefix, 0) != 0) {
        print_error("error text was: %s\n", err.c_str());
        return false;
    }
    if (must_not_contain != nullptr && err.find(must_not_contain) != std::string::npos) return false;
    return c.values().empty();  // nothing stored on error
}

void refuses_bad_text(void**) {
    assert_true(fails_with("a = 1\nno equals sign hunter2\n", "line 2:", "hunter2"));
    assert_true(fails_with("= value_s3cret\n", "line 1:", "s3cret"));
    assert_true(fails_with("# c\n\nPort = 1\n", "line 3:", nullptr));
    assert_true(fails_with("my-key = 1\n", "line 1:", nullptr));
    assert_true(fails_with("my key = 1\n", "line 1:", nullptr));
    assert_true(fails_with("a = 1\nb = 2\na = topsecret\n", "line 3:", "topsecret"));
    assert_true(fails_with("a = \"unterminated s3cret\n", "line 1:", "s3cret"));
    assert_true(fails_with("a = \"\n", "line 1:", nullptr));
    KvConfig c;
    std::string err;
    assert_false(c.parse(std::string_view("a = 1\nb = x\0y\n", 13), &err));
    assert_true(err.rfind("line 2:", 0) == 0);
}

void set_and_env(void**) {
    KvConfig c;
    assert_true(c.parse("port = 1\nlog_level = info\n", nullptr));
    c.set("threads", "4");
    assert_str_eq(c.get("threads").value_or("?"), "4");
    setenv("TELEMED_TEST_PORT", "9090", 1);
    setenv("TELEMED_TEST_LOG_LEVEL", "", 1);
    unsetenv("TELEMED_TEST_THREADS");
    setenv("TELEMED_TEST_UNKNOWN", "x", 1);
    c.apply_env("TELEMED_TEST_", {"port", "log_level", "threads", "other"});
    assert_str_eq(c.get("port").value_or("?"), "9090");
    assert_str_eq(c.get("log_level").value_or("?"), "");
    assert_str_eq(c.get("threads").value_or("?"), "4");
    assert_false(c.get("other").has_value());
    assert_false(c.get("unknown").has_value());
}

void lists(void**) {
    const auto v = split_list(" a, b ,c,, ,\td ");
    assert_int_equal(v.size(), 4);
    assert_str_eq(v[0], "a");
    assert_str_eq(v[1], "b");
    assert_str_eq(v[2], "c");
    assert_str_eq(v[3], "d");
    assert_int_equal(split_list("").size(), 0);
    assert_int_equal(split_list(" , ,").size(), 0);
    assert_int_equal(split_list("one").size(), 1);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_good_text),
        cmocka_unit_test(refuses_bad_text),
        cmocka_unit_test(set_and_env),
        cmocka_unit_test(lists),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
