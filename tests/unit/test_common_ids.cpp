// UUID v4 generation and canonical-form check.
#include <cstring>

#include "common/ids.hpp"

// Last: cmocka.h defines macros (fail, ...) that clash with C++ headers.
#include "tests/unit/test_common_support.hpp"

using namespace telemed;

namespace {

void generated_are_v4(void**) {
    for (int i = 0; i < 200; ++i) {
        const std::string u = new_uuid_v4();
        assert_int_equal(u.size(), 36);
        assert_true(is_uuid(u));
        assert_int_equal(u[14], '4');  // version nibble
        assert_non_null(std::strchr("89ab", u[19]));  // RFC 4122 variant
        assert_int_equal(u.find_first_of("ABCDEF"), std::string::npos);  // lower case
    }
    assert_false(new_uuid_v4() == new_uuid_v4());
}

void canonical_form(void**) {
    assert_true(is_uuid("123e4567-e89b-42d3-a456-426614174000"));
    assert_true(is_uuid("123E4567-E89B-42D3-A456-426614174000"));
    assert_true(is_uuid("00000000-0000-0000-0000-000000000000"));
    assert_false(is_uuid(""));
    assert_false(is_uuid("123e4567e89b42d3a456426614174000"));
    assert_false(is_uuid("{123e4567-e89b-42d3-a456-426614174000}"));
    assert_false(is_uuid("123e4567-e89b-42d3-a456-42661417400"));
    assert_false(is_uuid("123e4567-e89b-42d3-a456-4266141740000"));
    assert_false(is_uuid("123e4567-e89b-42d3-a456_426614174000"));
    assert_false(is_uuid("123e4567-e89b-42d3-a456-42661417400g"));
    assert_false(is_uuid("123e4567-e89b-42d3-a4564-26614174000"));
    assert_false(is_uuid(" 23e4567-e89b-42d3-a456-426614174000"));
    assert_false(is_uuid(std::string("123e4567-e89b-42d3-a456-42661417400\0", 36)));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(generated_are_v4),
        cmocka_unit_test(canonical_form),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
