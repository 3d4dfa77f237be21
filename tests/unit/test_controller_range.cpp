// controller/http/range: the Range header of downloads.
#include "controller/http/range.hpp"

#include "tests/unit/test_common_support.hpp"

using telemed::ByteRange;
using telemed::parse_range;

namespace {

void check(const char* h, uint64_t size, ByteRange::Kind kind, uint64_t first = 0, uint64_t last = 0) {
    ByteRange r = parse_range(h, size);
    assert_int_equal(static_cast<int>(r.kind), static_cast<int>(kind));
    if (kind == ByteRange::Kind::Partial) {
        assert_int_equal(r.first, first);
        assert_int_equal(r.last, last);
    }
}

void single_ranges(void**) {
    using K = ByteRange::Kind;
    check("bytes=0-99", 1000, K::Partial, 0, 99);
    check("bytes=100-", 1000, K::Partial, 100, 999);
    check("bytes=-100", 1000, K::Partial, 900, 999);
    check("bytes=-5000", 1000, K::Partial, 0, 999);
    check("bytes=990-5000", 1000, K::Partial, 990, 999);
    check("Bytes= 5-5 ", 1000, K::Partial, 5, 5);
    check("bytes=999-999", 1000, K::Partial, 999, 999);
    assert_int_equal(parse_range("bytes=10-19", 100).length(), 10);
}

void unsatisfiable(void**) {
    using K = ByteRange::Kind;
    check("bytes=1000-", 1000, K::Unsatisfiable);
    check("bytes=1000-2000", 1000, K::Unsatisfiable);
    check("bytes=-0", 1000, K::Unsatisfiable);
    check("bytes=0-", 0, K::Unsatisfiable);
    check("bytes=-1", 0, K::Unsatisfiable);
}

void ignored(void**) {
    using K = ByteRange::Kind;
    check("", 1000, K::Full);
    check("bytes=0-1,5-6", 1000, K::Full);  // several ranges: whole body
    check("items=0-1", 1000, K::Full);
    check("bytes=5-1", 1000, K::Full);
    check("bytes=a-b", 1000, K::Full);
    check("bytes=-", 1000, K::Full);
    check("bytes=1", 1000, K::Full);
    check("bytes=99999999999999999999-", 1000, K::Full);  // overflow
    check("bytes=+1-2", 1000, K::Full);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(single_ranges),
        cmocka_unit_test(unsatisfiable),
        cmocka_unit_test(ignored),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
