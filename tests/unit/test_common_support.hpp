// Shared includes for the common/ CMocka tests (C++).
// A failing CMocka assertion longjmps out of the test function, skipping C++
// destructors: test bodies keep to values and plain functions, and accept
// leaks in failing tests only.
// Include it after every other header: cmocka.h defines macros such as
// fail() that break C++ standard headers included later.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <vector>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
#include <string>
#include <string_view>

extern "C" {
#include <cmocka.h>
}

// assert_string_equal for std::string / string_view values.
#define assert_str_eq(a, b) assert_string_equal(std::string(a).c_str(), std::string(b).c_str())
