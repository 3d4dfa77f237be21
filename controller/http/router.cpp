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

// Character edit distance (Levenshtein), one row of the table at a time.
std::size_t char_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({up + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

std::size_t segment_gap_cost(std::string_view seg) { return is_param(seg) ? 2 : seg.size() + 1; }

std::size_t segment_swap_cost(std::string_view path_seg, std::string_view pattern_seg) {
    if (is_param(pattern_seg)) return path_seg.empty() ? 1 : 0;
    return char_distance(path_seg, pattern_seg);
}

// Segment-level edit distance between a path and a pattern (see suggest()).
std::size_t route_distance(const std::vector<std::string_view>& path, const std::vector<std::string_view>& pattern) {
    std::vector<std::size_t> row(pattern.size() + 1);
    row[0] = 0;
    for (std::size_t j = 1; j <= pattern.size(); ++j) row[j] = row[j - 1] + segment_gap_cost(pattern[j - 1]);
    for (std::size_t i = 1; i <= path.size(); ++i) {
        std::size_t diag = row[0];
        row[0] += segment_gap_cost(path[i - 1]);
        for (std::size_t j = 1; j <= pattern.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({up + segment_gap_cost(path[i - 1]), row[j - 1] + segment_gap_cost(pattern[j - 1]),
                               diag + segment_swap_cost(path[i - 1], pattern[j - 1])});
            diag = up;
        }
    }
    return row[pattern.size()];
}

}  // namespace

void Router::add(std::string method, std::string pattern, bool requires_auth, Lane lane, Handler handler) {
    Route r;
    r.method = std::move(method);
    r.pattern = std::move(pattern);
    r.requires_auth = requires_auth;
    r.lane = lane;
    r.handler = std::move(handler);
    add(std::move(r));
}

void Router::add(Route route) {
    if (!valid_method(route.method)) throw std::invalid_argument("route method must be upper-case letters");
    validate_pattern(route.pattern);
    if (!route.handler) throw std::invalid_argument("route handler is empty");
    if (route.participant_auth && !route.requires_auth)
        throw std::invalid_argument("participant_auth needs requires_auth");
    if (route.sink && route.lane == Lane::Inline) throw std::invalid_argument("a body sink needs a lane");
    if (route.inline_first && (route.lane == Lane::Inline || route.sink))
        throw std::invalid_argument("inline_first is for a lane route with a buffered body");
    for (const Route& r : routes_)
        if (r.method == route.method && r.pattern == route.pattern)
            throw std::invalid_argument("duplicate route " + route.method + " " + route.pattern);
    routes_.push_back(std::move(route));
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

std::vector<std::string> Router::suggest(std::string_view path, std::size_t max) const {
    std::vector<std::string> out;
    if (max == 0 || path.empty() || path.front() != '/' || path.size() > kSuggestMaxPathBytes) return out;
    std::vector<std::string_view> path_segs;
    split_segments(path, &path_segs);
    if (path_segs.size() > kSuggestMaxSegments) return out;
    std::vector<std::string_view> pat_segs;
    std::size_t best = kSuggestMaxDistance + 1;
    for (const Route& r : routes_) {
        if (std::find(out.begin(), out.end(), r.pattern) != out.end()) continue;
        split_segments(r.pattern, &pat_segs);
        const std::size_t d = route_distance(path_segs, pat_segs);
        if (d < best) {
            best = d;
            out.clear();
        }
        if (d == best && out.size() < max) out.push_back(r.pattern);
    }
    return out;
}

std::string Router::not_found_detail(std::string_view path) const {
    std::string detail = "No resource at this path.";
    const std::vector<std::string> near = suggest(path);
    for (std::size_t i = 0; i < near.size(); ++i) {
        detail += i == 0 ? " Did you mean " : " or ";
        detail += near[i];
        std::string methods;
        for (const Route& r : routes_)
            if (r.pattern == near[i]) methods += (methods.empty() ? "" : ", ") + r.method;
        detail += " (" + methods + ")";
    }
    if (!near.empty()) detail += "?";
    return detail;
}

}  // namespace telemed
