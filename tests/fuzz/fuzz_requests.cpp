// REST request parsing (common/json.hpp, common/requests.hpp).
//
// The input goes through json_parse; when it is an object, all four body
// parsers run on it. Independently, the raw input split on '&' and then at
// the first '=' (no percent-decoding) is the query of parse_list_sessions.
// Properties:
//  - a returned request respects the documented limits (every text passes
//    check_text with its limit, metadata is an object of at most 4096 bytes,
//    enums in range, scheduled_at in years 1970..9999 and round-tripping
//    through format_rfc3339_micros, permission bits known, ...);
//  - a refusal adds at least one error, a success adds none, and the number
//    of errors is bounded;
//  - error fields are printable bounded text, and error messages never echo
//    the input (fuzz::echoes).
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/ids.hpp"
#include "common/json.hpp"
#include "common/requests.hpp"
#include "common/timeutil.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace telemed;

namespace {

constexpr std::size_t kMaxErrors = 64;            // 20 unknown fields + the fixed field list
constexpr std::size_t kMaxFieldChars = 96;        // "permissions." + a 64-character name
constexpr std::size_t kMaxCursorChars = 200;      // requests.cpp
constexpr int64_t kMaxMicros = 253402300799999999;  // 9999-12-31T23:59:59.999999Z

void check_errors(const FieldErrors& errors, std::size_t before, bool ok, std::string_view input,
                  const std::vector<std::string>& strings) {
    if (ok) {
        FUZZ_CHECK(errors.size() == before);
        return;
    }
    FUZZ_CHECK(errors.size() > before);
    FUZZ_CHECK(errors.size() - before <= kMaxErrors);
    for (std::size_t i = before; i < errors.size(); ++i) {
        const FieldError& e = errors[i];
        FUZZ_CHECK(e.field.empty() || check_text(e.field, kMaxFieldChars) == nullptr);
        FUZZ_CHECK(!e.message.empty() && check_text(e.message, 200) == nullptr);
        FUZZ_CHECK(!fuzz::echoes(e.message, input, strings));
    }
}

bool text_ok(const std::optional<std::string>& s, std::size_t max) {
    return !s || check_text(*s, max) == nullptr;
}

void check_permissions(const std::optional<PermissionsInput>& p) {
    if (!p) return;
    if (p->exact) {
        FUZZ_CHECK((p->exact_set & ~kAllPermissions) == 0);
        FUZZ_CHECK(p->overrides.grant == 0 && p->overrides.revoke == 0);
    } else {
        FUZZ_CHECK(p->exact_set == 0);
        FUZZ_CHECK(((p->overrides.grant | p->overrides.revoke) & ~kAllPermissions) == 0);
        FUZZ_CHECK((p->overrides.grant & p->overrides.revoke) == 0);  // duplicate keys are refused
    }
}

void check_bodies(const json_t* body, std::string_view input) {
    std::vector<std::string> strings;
    fuzz::distinctive_strings(body, &strings);

    {
        FieldErrors errors;
        const auto r = parse_create_session(body, errors);
        check_errors(errors, 0, r.has_value(), input, strings);
        if (r) {
            FUZZ_CHECK(static_cast<std::size_t>(r->kind) < static_cast<std::size_t>(SessionKind::Count_));
            FUZZ_CHECK(r->recording_policy <= RecordingPolicy::Required);
            FUZZ_CHECK(text_ok(r->title, kMaxTitleChars));
            FUZZ_CHECK(text_ok(r->external_ref, kMaxExternalRefChars));
            FUZZ_CHECK(r->metadata && json_is_object(r->metadata.get()));
            FUZZ_CHECK(json_dump(r->metadata.get()).size() <= kMaxMetadataBytes);
            if (r->scheduled_at_micros) {
                const int64_t t = *r->scheduled_at_micros;
                FUZZ_CHECK(t >= 0 && t <= kMaxMicros);
                const auto back = parse_rfc3339_micros(format_rfc3339_micros(t));
                FUZZ_CHECK(back && *back == t);
            }
        }
    }
    {
        FieldErrors errors;
        const auto r = parse_add_participant(body, errors);
        check_errors(errors, 0, r.has_value(), input, strings);
        if (r) {
            FUZZ_CHECK(check_text(r->user_id, kMaxUserIdChars) == nullptr);
            FUZZ_CHECK(static_cast<std::size_t>(r->role) < kRoleCount);
            FUZZ_CHECK(text_ok(r->display_name, kMaxDisplayNameChars));
            check_permissions(r->permissions);
        }
    }
    {
        FieldErrors errors;
        errors.push_back(FieldError{"earlier", "kept"});  // parsers append, never clear
        const auto r = parse_update_participant(body, errors);
        FUZZ_CHECK(errors.front().field == "earlier");
        check_errors(errors, 1, r.has_value(), input, strings);
        if (r) {
            FUZZ_CHECK(r->role || r->permissions);
            if (r->role) FUZZ_CHECK(static_cast<std::size_t>(*r->role) < kRoleCount);
            check_permissions(r->permissions);
        }
    }
    {
        FieldErrors errors;
        const auto r = parse_remove_participant(body, errors);
        check_errors(errors, 0, r.has_value(), input, strings);
        if (r) {
            FUZZ_CHECK(r->participant_id.has_value() != r->user_id.has_value());
            if (r->participant_id) FUZZ_CHECK(fuzz::uuid_shape(*r->participant_id, false));
            FUZZ_CHECK(text_ok(r->user_id, kMaxUserIdChars));
        }
    }
}

void check_query(std::string_view input) {
    std::multimap<std::string, std::string> query;
    std::vector<std::string> strings;
    std::string_view rest = input;
    while (true) {
        const std::size_t amp = rest.find('&');
        const std::string_view item = rest.substr(0, amp);
        const std::size_t eq = item.find('=');
        const std::string_view key = item.substr(0, eq);
        const std::string_view value = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
        query.emplace(key, value);
        if (fuzz::distinctive(key)) strings.emplace_back(key);
        if (fuzz::distinctive(value)) strings.emplace_back(value);
        if (amp == std::string_view::npos) break;
        rest.remove_prefix(amp + 1);
    }
    FieldErrors errors;
    const auto q = parse_list_sessions(query, errors);
    check_errors(errors, 0, q.has_value(), input, strings);
    if (q) {
        FUZZ_CHECK(q->limit >= 1 && q->limit <= kMaxPageSize);
        FUZZ_CHECK(!q->status || *q->status <= SessionStatus::Cancelled);
        FUZZ_CHECK(text_ok(q->user_id, kMaxUserIdChars));
        FUZZ_CHECK(text_ok(q->cursor, kMaxCursorChars));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in = fuzz::as_view(data, size);
    std::string error;
    const Json body = json_parse(in, &error);
    if (!body) {
        FUZZ_CHECK(!error.empty());
        FUZZ_CHECK(!fuzz::echoes(error, in, {}));
    } else if (json_is_object(body.get())) {
        check_bodies(body.get(), in);
    } else {
        // Arrays are parsed too; every body parser refuses them.
        FieldErrors errors;
        FUZZ_CHECK(!parse_create_session(body.get(), errors) && !parse_add_participant(body.get(), errors) &&
                   !parse_update_participant(body.get(), errors) && !parse_remove_participant(body.get(), errors));
        FUZZ_CHECK(errors.size() == 4);
    }
    check_query(in);
    return 0;
}
