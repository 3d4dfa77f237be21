// "key = value" configuration text (common/kvconfig.hpp).
//
// Properties of KvConfig::parse on the input:
//  - success: every key matches [a-z0-9_]+, no value holds a NUL or LF, and
//    writing the map back as `key = "value"` lines parses to the same map;
//  - failure: "line N: ..." with N within the input's line count, nothing
//    stored (a key set before the call is all the map holds), and neither
//    a distinctive line nor its right-hand side echoed in the error.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/kvconfig.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace telemed;

namespace {

bool key_ok(std::string_view k) {
    if (k.empty()) return false;
    for (char c : k)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

std::string_view trim(std::string_view s) {
    const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    while (!s.empty() && blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && blank(s.back())) s.remove_suffix(1);
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in = fuzz::as_view(data, size);
    KvConfig cfg;
    cfg.set("sentinel_key", "before");
    std::string error;
    if (cfg.parse(in, &error)) {
        FUZZ_CHECK(error.empty());
        std::string text;
        for (const auto& [k, v] : cfg.values()) {
            FUZZ_CHECK(key_ok(k));
            FUZZ_CHECK(v.find('\0') == std::string::npos && v.find('\n') == std::string::npos);
            text += k + " = \"" + v + "\"\n";
        }
        KvConfig again;
        std::string error2;
        FUZZ_CHECK(again.parse(text, &error2));
        FUZZ_CHECK(again.values() == cfg.values());
        return 0;
    }

    // Failure: nothing stored, error names a line, no value echoed.
    FUZZ_CHECK(cfg.values().size() == 1 && cfg.get("sentinel_key") == std::string("before"));
    FUZZ_CHECK(error.rfind("line ", 0) == 0);
    std::size_t line_count = 0, line_no = 0;
    for (char c : in) line_count += c == '\n';
    line_count += 1;
    for (std::size_t i = 5; i < error.size() && error[i] >= '0' && error[i] <= '9' && i < 25; ++i)
        line_no = line_no * 10 + static_cast<std::size_t>(error[i] - '0');
    FUZZ_CHECK(line_no >= 1 && line_no <= line_count);
    std::vector<std::string> values;
    std::string_view rest = in;
    while (!rest.empty()) {
        const std::size_t nl = rest.find('\n');
        const std::string_view line = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        if (fuzz::distinctive(trim(line))) values.emplace_back(trim(line));
        const std::size_t eq = line.find('=');
        if (eq != std::string_view::npos && fuzz::distinctive(trim(line.substr(eq + 1))))
            values.emplace_back(trim(line.substr(eq + 1)));
    }
    FUZZ_CHECK(!fuzz::echoes(error, {}, values));
    return 0;
}
