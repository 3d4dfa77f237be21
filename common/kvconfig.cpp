// "key = value" configuration text and environment overrides.
#include "common/kvconfig.hpp"

#include <cstdlib>

namespace telemed {
namespace {

bool blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && blank(s.back())) s.remove_suffix(1);
    return s;
}

bool valid_key(std::string_view k) {
    if (k.empty()) return false;
    for (char c : k)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

}  // namespace

bool KvConfig::parse(std::string_view text, std::string* error) {
    std::map<std::string, std::string, std::less<>> staged;
    std::size_t line_no = 0;
    const auto fail = [&](const char* what) {
        if (error != nullptr) *error = "line " + std::to_string(line_no) + ": " + what;
        return false;
    };
    while (!text.empty()) {
        ++line_no;
        const std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (line.find('\0') != std::string_view::npos) return fail("NUL byte");
        line = trim(line);
        if (line.empty() || line.front() == '#') continue;
        const std::size_t eq = line.find('=');
        if (eq == std::string_view::npos) return fail("expected key = value");
        const std::string_view key = trim(line.substr(0, eq));
        std::string_view value = trim(line.substr(eq + 1));
        if (key.empty()) return fail("empty key");
        if (!valid_key(key)) return fail("key must be [a-z0-9_]+");
        if (!value.empty() && value.front() == '"') {
            if (value.size() < 2 || value.back() != '"') return fail("unterminated quote");
            value = value.substr(1, value.size() - 2);
        }
        if (staged.find(key) != staged.end()) {
            if (error != nullptr)
                *error = "line " + std::to_string(line_no) + ": duplicate key " + std::string(key);
            return false;
        }
        staged.emplace(std::string(key), std::string(value));
    }
    for (auto& [k, v] : staged) values_[k] = std::move(v);
    return true;
}

void KvConfig::apply_env(std::string_view prefix, const std::vector<std::string>& known) {
    for (const std::string& key : known) {
        std::string name(prefix);
        for (char c : key) name += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
        if (const char* v = std::getenv(name.c_str())) values_[key] = v;
    }
}

std::optional<std::string> KvConfig::get(std::string_view key) const {
    const auto it = values_.find(key);
    if (it == values_.end()) return std::nullopt;
    return it->second;
}

std::vector<std::string> split_list(std::string_view s) {
    std::vector<std::string> out;
    while (true) {
        const std::size_t comma = s.find(',');
        std::string_view item = s.substr(0, comma);
        while (!item.empty() && (blank(item.front()) || item.front() == '\n')) item.remove_prefix(1);
        while (!item.empty() && (blank(item.back()) || item.back() == '\n')) item.remove_suffix(1);
        if (!item.empty()) out.emplace_back(item);
        if (comma == std::string_view::npos) break;
        s.remove_prefix(comma + 1);
    }
    return out;
}

}  // namespace telemed
