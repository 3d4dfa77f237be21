// Route table and matching (controller/http/router.hpp).
//
// A pattern is split on '/' into literal segments and {name} parameters; a
// parameter matches one non-empty segment. Paths are matched exactly: no
// trailing-slash folding, no empty segments, no case folding. When several
// patterns match, the one with a literal segment at the first position where
// they differ wins ("/x/new" beats "/x/{id}"), independent of table order.
// A pattern may end with '/' ("/app/"): it matches only that exact path.
#include "controller/http/router.hpp"

#include <algorithm>
#include <stdexcept>

namespace telemed {
namespace {

// Splits "/a/b" into {"a","b"}; "/" into {""}. `s` must start with '/'.
void split_segments(std::string_view s, std::vector<std::string_view>* out) {
    out->clear();
    s.remove_prefix(1);
    while (true) {
        auto slash = s.find('/');
        out->push_back(s.substr(0, slash));
        if (slash == std::string_view::npos) break;
        s.remove_prefix(slash + 1);
    }
}

bool is_param(std::string_view seg) { return seg.size() >= 2 && seg.front() == '{' && seg.back() == '}'; }

bool valid_method(std::string_view m) {
    if (m.empty() || m.size() > 16) return false;
    return std::all_of(m.begin(), m.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

void validate_pattern(std::string_view pattern) {
    if (pattern.empty() || pattern.front() != '/') throw std::invalid_argument("route pattern must start with '/'");
    if (pattern == "/") return;
    std::vector<std::string_view> segs;
    split_segments(pattern, &segs);
    for (std::size_t i = 0; i < segs.size(); ++i) {
        std::string_view seg = segs[i];
        // A trailing '/' ("/app/") is an empty last literal: it matches
        // exactly that path. Empty segments elsewhere are refused.
        if (seg.empty() && i + 1 == segs.size() && i > 0) continue;
        if (seg.empty()) throw std::invalid_argument("route pattern has an empty segment");
        bool braces = seg.find_first_of("{}") != std::string_view::npos;
        if (braces) {
            if (!is_param(seg) || seg.size() == 2 ||
                seg.substr(1, seg.size() - 2).find_first_of("{}/") != std::string_view::npos)
                throw std::invalid_argument("route pattern has a malformed {param} segment");
        }
    }
}

// Specificity: bit (63 - i) set when segment i is literal. Higher wins.
uint64_t specificity(const std::vector<std::string_view>& segs) {
    uint64_t score = 0;
    for (std::size_t i = 0; i < segs.size() && i < 64; ++i)
        if (!is_param(segs[i])) score |= uint64_t{1} << (63 - i);
    return score;
}

bool segments_match(const std::vector<std::string_view>& pattern, const std::vector<std::string_view>& path) {
    if (pattern.size() != path.size()) return false;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (is_param(pattern[i])) {
            if (path[i].empty()) return false;
        } else if (pattern[i] != path[i]) {
            return false;
        }
    }
    return true;
}

}  // namespace

void Router::add(std::string method, std::string pattern, bool requires_auth, Handler handler) {
    if (!valid_method(method)) throw std::invalid_argument("route method must be upper-case letters");
    validate_pattern(pattern);
    if (!handler) throw std::invalid_argument("route handler is empty");
    for (const Route& r : routes_)
        if (r.method == method && r.pattern == pattern)
            throw std::invalid_argument("duplicate route " + method + " " + pattern);
    routes_.push_back(Route{std::move(method), std::move(pattern), requires_auth, std::move(handler)});
}

const Route* Router::match(std::string_view method, std::string_view path, std::vector<std::string>* params,
                           std::vector<std::string>* allowed) const {
    if (params) params->clear();
    if (allowed) allowed->clear();
    if (path.empty() || path.front() != '/') return nullptr;

    std::vector<std::string_view> path_segs;
    split_segments(path, &path_segs);
    std::vector<std::string_view> pat_segs;
    const Route* best = nullptr;
    uint64_t best_score = 0;
    for (const Route& r : routes_) {
        split_segments(r.pattern, &pat_segs);
        if (!segments_match(pat_segs, path_segs)) continue;
        if (r.method != method) {
            if (allowed && std::find(allowed->begin(), allowed->end(), r.method) == allowed->end())
                allowed->push_back(r.method);
            continue;
        }
        uint64_t score = specificity(pat_segs);
        if (!best || score > best_score) {
            best = &r;
            best_score = score;
        }
    }
    if (!best) {
        if (allowed) std::sort(allowed->begin(), allowed->end());
        return nullptr;
    }
    if (allowed) allowed->clear();
    if (params) {
        split_segments(best->pattern, &pat_segs);
        for (std::size_t i = 0; i < pat_segs.size(); ++i)
            if (is_param(pat_segs[i])) params->emplace_back(path_segs[i]);
    }
    return best;
}

}  // namespace telemed
