// UUID v4 generation and canonical-form check.
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

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

// The binary form (signed tokens, sealed blobs' associated data): 16 bytes
// in text order, either case in, lower case out; refused otherwise.
bool refused_to_bytes(const char* s) {
    try {
        (void)uuid_to_bytes(s);
    } catch (const std::invalid_argument&) {
        return true;
    }
    return false;
}
bool refused_from_bytes(std::string_view raw) {
    try {
        (void)uuid_from_bytes(raw);
    } catch (const std::invalid_argument&) {
        return true;
    }
    return false;
}

void binary_form(void**) {
    const std::string raw = uuid_to_bytes("123E4567-e89b-42d3-A456-426614174000");
    assert_int_equal(raw.size(), 16);
    assert_int_equal(static_cast<unsigned char>(raw[0]), 0x12);
    assert_int_equal(static_cast<unsigned char>(raw[3]), 0x67);
    assert_int_equal(static_cast<unsigned char>(raw[15]), 0x00);
    assert_int_equal(static_cast<unsigned char>(raw[8]), 0xa4);
    assert_string_equal(uuid_from_bytes(raw).c_str(), "123e4567-e89b-42d3-a456-426614174000");
    for (int i = 0; i < 100; ++i) {
        const std::string id = new_uuid_v4();
        assert_string_equal(uuid_from_bytes(uuid_to_bytes(id)).c_str(), id.c_str());
    }
    assert_true(refused_to_bytes("123e4567e89b42d3a456426614174000"));
    assert_true(refused_to_bytes("123e4567-e89b-42d3-a456-42661417400g"));
    assert_true(refused_from_bytes(std::string(15, 'x')));
    assert_true(refused_from_bytes(std::string(17, 'x')));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(generated_are_v4),
        cmocka_unit_test(canonical_form),
        cmocka_unit_test(binary_form),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
