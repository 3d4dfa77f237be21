// The plugin's version comes from configure.ac (AC_INIT), the one source of
// the project's version: the real module (plugin/.libs/libjanus_telemed.so,
// dlopen'ed as Janus does, create() called) answers get_version_string() ==
// PACKAGE_VERSION and get_version() == major*10000 + minor*100 + patch of it
// (parsed here, independently of configure's arithmetic), and the
// controller's --version prints the same string.
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <glib.h>
#include <jansson.h>
extern "C" {
#include <plugins/plugin.h>
}

#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

#ifndef TELEMED_PLUGIN_SO
#error "TELEMED_PLUGIN_SO: the path of the built plugin module"
#endif

namespace {

// "1.2.3" -> 10203; -1 when not three decimal numbers.
long version_number(const std::string& v) {
    long parts[3];
    std::size_t at = 0;
    for (int i = 0; i < 3; ++i) {
        std::size_t end = at;
        while (end < v.size() && v[end] >= '0' && v[end] <= '9') ++end;
        if (end == at || end - at > 6) return -1;
        parts[i] = std::strtol(v.substr(at, end - at).c_str(), nullptr, 10);
        if (i < 2) {
            if (end >= v.size() || v[end] != '.') return -1;
            at = end + 1;
        } else if (end != v.size()) {
            return -1;
        }
    }
    return parts[0] * 10000 + parts[1] * 100 + parts[2];
}

void test_version_number_parsing(void**) {
    assert_int_equal(version_number("0.2.0"), 200);
    assert_int_equal(version_number("1.2.3"), 10203);
    assert_int_equal(version_number("2.10.99"), 21099);
    assert_int_equal(version_number("1.2"), -1);
    assert_int_equal(version_number("1.2.3~rc1"), -1);
}

void test_plugin_reports_the_configure_version(void**) {
    void* h = dlopen(TELEMED_PLUGIN_SO, RTLD_NOW | RTLD_LOCAL);
    if (!h) std::fprintf(stderr, "dlopen %s: %s\n", TELEMED_PLUGIN_SO, dlerror());
    assert_non_null(h);
    using CreateFn = janus_plugin* (*)(void);
    auto create = reinterpret_cast<CreateFn>(dlsym(h, "create"));
    assert_non_null(create);
    janus_plugin* p = create();
    assert_non_null(p);
    const std::string version = p->get_version_string();
    const int number = p->get_version();
    const std::string package = p->get_package();
    dlclose(h);
    assert_string_equal(package.c_str(), "janus.plugin.telemed");
    assert_string_equal(version.c_str(), PACKAGE_VERSION);
    assert_true(version_number(PACKAGE_VERSION) > 0);
    assert_int_equal(number, version_number(PACKAGE_VERSION));
    assert_int_equal(number, TELEMED_VERSION_NUMBER);
}

void test_controller_prints_the_same_version(void**) {
    FILE* f = popen(TELEMED_CONTROLLER_EXE " --version", "r");
    assert_non_null(f);
    char line[200] = {0};
    const bool got = std::fgets(line, sizeof line, f) != nullptr;
    const int rc = pclose(f);
    assert_true(got);
    assert_int_equal(rc, 0);
    assert_string_equal(line, "telemed-controller " PACKAGE_VERSION "\n");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_number_parsing),
        cmocka_unit_test(test_plugin_reports_the_configure_version),
        cmocka_unit_test(test_controller_prints_the_same_version),
    };
    return cmocka_run_group_tests_name("plugin_version", tests, nullptr, nullptr);
}
