// Typed REST request parsing (see requests.hpp and docs/API.md).
//
// Conventions for every JSON body parser:
//  - every key not listed for the request is refused: {field: <key>, "unknown field"}
//  - an optional field that is JSON null counts as absent
//  - wrong JSON type: "must be a string" / "must be an object" / ...
//  - texts go through check_text() with the field's limit
//  - all problems are collected, not only the first (unknown fields are
//    reported up to kMaxUnknownFieldErrors per object; every other error is
//    bounded by the fixed field list)
//  - messages never contain the offending value; field names that are not
//    printable text are reported as "(invalid name)"
#include "common/requests.hpp"

#include <array>
#include <cstring>
#include <initializer_list>

#include "common/ids.hpp"
#include "common/timeutil.hpp"
#include "common/utf8.hpp"

namespace telemed {
namespace {

constexpr std::size_t kMaxUnknownFieldErrors = 20;
constexpr std::size_t kMaxFieldNameChars = 64;
constexpr std::size_t kMaxCursorChars = 200;

// Metadata is stored as Postgres jsonb, whose numbers are `numeric`: a real
// such as 1e20 comes back as the integer 100000000000000000000, which no
// JSON library bound to int64 (Jansson included) reads again. So metadata
// numbers are refused at the edge beyond the int64 range (2^63).
constexpr double kMaxMetadataMagnitude = 9223372036854775808.0;

// True when every number in `v` (recursively) is within the bound.
bool metadata_numbers_fit(const json_t* v) {
    if (json_is_real(v)) {
        const double d = json_real_value(v);
        return d < kMaxMetadataMagnitude && d > -kMaxMetadataMagnitude;
    }
    if (json_is_object(v)) {
        const char* key;
        json_t* value;
        json_object_foreach(const_cast<json_t*>(v), key, value)
            if (!metadata_numbers_fit(value)) return false;
    } else if (json_is_array(v)) {
        std::size_t i;
        json_t* value;
        json_array_foreach(v, i, value)
            if (!metadata_numbers_fit(value)) return false;
    }
    return true;
}

constexpr std::string_view kPolicyNames[] = {"disabled", "optional", "required"};
constexpr std::string_view kStatusNames[] = {"scheduled", "active", "ended", "cancelled"};

constexpr char kMsgEmpty[] = "must not be empty";
constexpr char kMsgControl[] = "must not contain control characters";
constexpr char kMsgUtf8[] = "must be valid UTF-8";
constexpr char kMsgTooLong[] = "is too long";

void add_error(FieldErrors& errors, std::string field, std::string message) {
    errors.push_back(FieldError{std::move(field), std::move(message)});
}

// A client-chosen name (unknown key) is echoed only if it is short, valid text.
std::string safe_field_name(std::string_view name) {
    if (check_text(name, kMaxFieldNameChars) != nullptr) return "(invalid name)";
    return std::string(name);
}

std::string_view str(const json_t* j) { return std::string_view(json_string_value(j), json_string_length(j)); }

// Refuses every key of `body` that is not in `allowed`.
void check_fields(const json_t* body, std::initializer_list<std::string_view> allowed, FieldErrors& errors) {
    const char* key;
    json_t* value;
    // json_object_foreach needs a non-const object; iteration does not modify it.
    json_t* obj = const_cast<json_t*>(body);
    std::size_t reported = 0;
    json_object_foreach(obj, key, value) {
        const std::string_view k(key);
        bool ok = false;
        for (std::string_view a : allowed) ok = ok || a == k;
        if (!ok && reported++ < kMaxUnknownFieldErrors) add_error(errors, safe_field_name(k), "unknown field");
    }
}

// Returns the field or nullptr when absent or JSON null.
const json_t* optional_field(const json_t* body, const char* name) {
    const json_t* v = json_object_get(body, name);
    return json_is_null(v) ? nullptr : v;
}

std::string too_long_message(std::size_t max) {
    return "must be at most " + std::to_string(max) + " characters";
}

// Reads a text field. nullopt on error (reported) or when absent and not required.
std::optional<std::string> text_field(const json_t* body, const char* name, std::size_t max, bool required,
                                      FieldErrors& errors) {
    const json_t* v = optional_field(body, name);
    if (v == nullptr) {
        if (required) add_error(errors, name, "is required");
        return std::nullopt;
    }
    if (!json_is_string(v)) {
        add_error(errors, name, "must be a string");
        return std::nullopt;
    }
    const std::string_view s = str(v);
    if (const char* msg = check_text(s, max)) {
        add_error(errors, name, msg == kMsgTooLong ? too_long_message(max) : std::string(msg));
        return std::nullopt;
    }
    return std::string(s);
}

template <std::size_t N>
std::string one_of_message(const std::string_view (&names)[N]) {
    std::string m = "must be one of ";
    for (std::size_t i = 0; i < N; ++i) {
        if (i) m += ", ";
        m += names[i];
    }
    return m;
}

constexpr std::string_view kRoleNames[] = {"doctor", "patient", "paramedic", "observer"};
constexpr std::string_view kKindNames[] = {"consultation", "emergency", "follow_up"};
static_assert(std::size(kRoleNames) == kRoleCount);
static_assert(std::size(kKindNames) == static_cast<std::size_t>(SessionKind::Count_));

// Reads an enum-valued string field with `parse`.
template <class E, class Parse, std::size_t N>
std::optional<E> enum_field(const json_t* body, const char* name, bool required, Parse parse,
                            const std::string_view (&names)[N], FieldErrors& errors) {
    const json_t* v = optional_field(body, name);
    if (v == nullptr) {
        if (required) add_error(errors, name, "is required");
        return std::nullopt;
    }
    if (!json_is_string(v)) {
        add_error(errors, name, "must be a string");
        return std::nullopt;
    }
    const std::optional<E> e = parse(str(v));
    if (!e) add_error(errors, name, one_of_message(names));
    return e;
}

// "unknown permission, must be one of publish_audio, ..." (the valid names
// in canonical order; never the offending value). Only characters that
// tests/fuzz/fuzz_support.hpp counts as plain, so no part of this fixed text
// passes for an echo of the input.
std::string unknown_permission_message() {
    std::string m = "unknown permission, must be one of ";
    for (std::size_t i = 0; i < kPermissionCount; ++i) {
        if (i) m += ", ";
        m += to_string(static_cast<Permission>(i));
    }
    return m;
}

// "permissions": array of unique names (exact set) or object {name: bool}.
std::optional<PermissionsInput> permissions_field(const json_t* body, FieldErrors& errors) {
    const json_t* v = optional_field(body, "permissions");
    if (v == nullptr) return std::nullopt;
    const std::size_t before = errors.size();
    PermissionsInput in;
    if (json_is_array(v)) {
        in.exact = true;
        if (json_array_size(v) > kPermissionCount) {
            add_error(errors, "permissions", "has too many items or duplicates");
            return std::nullopt;
        }
        std::size_t i;
        json_t* item;
        json_array_foreach(v, i, item) {
            const std::string field = "permissions[" + std::to_string(i) + "]";
            if (!json_is_string(item)) {
                add_error(errors, field, "must be a string");
                continue;
            }
            const std::optional<Permission> p = parse_permission(str(item));
            if (!p) {
                add_error(errors, field, unknown_permission_message());
            } else if (has(in.exact_set, *p)) {
                add_error(errors, field, "duplicate permission");
            } else {
                in.exact_set |= bit(*p);
            }
        }
    } else if (json_is_object(v)) {
        in.exact = false;
        if (json_object_size(v) > kPermissionCount) {
            add_error(errors, "permissions", "has too many keys");
            return std::nullopt;
        }
        const char* key;
        json_t* value;
        json_t* obj = const_cast<json_t*>(v);
        json_object_foreach(obj, key, value) {
            const std::optional<Permission> p = parse_permission(key);
            if (!p) {
                add_error(errors, "permissions." + safe_field_name(key), unknown_permission_message());
                continue;
            }
            if (!json_is_boolean(value)) {
                add_error(errors, "permissions." + std::string(key), "must be a boolean");
                continue;
            }
            if (json_is_true(value)) {
                in.overrides.grant |= bit(*p);
            } else {
                in.overrides.revoke |= bit(*p);
            }
        }
    } else {
        add_error(errors, "permissions", "must be an array of permission names or an object of booleans");
        return std::nullopt;
    }
    if (errors.size() != before) return std::nullopt;
    return in;
}

bool is_unicode_space(uint32_t cp) {
    return cp == 0x20 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

}  // namespace

std::optional<RecordingPolicy> parse_recording_policy(std::string_view s) {
    for (std::size_t i = 0; i < std::size(kPolicyNames); ++i)
        if (kPolicyNames[i] == s) return static_cast<RecordingPolicy>(i);
    return std::nullopt;
}

std::optional<SessionStatus> parse_session_status(std::string_view s) {
    for (std::size_t i = 0; i < std::size(kStatusNames); ++i)
        if (kStatusNames[i] == s) return static_cast<SessionStatus>(i);
    return std::nullopt;
}

std::string_view to_string(RecordingPolicy p) {
    const auto i = static_cast<std::size_t>(p);
    return i < std::size(kPolicyNames) ? kPolicyNames[i] : std::string_view{};
}

std::string_view to_string(SessionStatus s) {
    const auto i = static_cast<std::size_t>(s);
    return i < std::size(kStatusNames) ? kStatusNames[i] : std::string_view{};
}

// Refused: invalid UTF-8, NUL and other C0 controls (tab, CR, LF too), DEL,
// C1 controls U+0080..U+009F; empty or only Unicode white space; more than
// max_chars code points.
const char* check_text(std::string_view s, std::size_t max_chars) {
    std::size_t count = 0;
    bool only_space = true;
    for (std::size_t i = 0; i < s.size();) {
        uint32_t cp = 0;
        const std::size_t n = utf8_next(s, i, &cp);
        if (n == 0) return kMsgUtf8;
        if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) return kMsgControl;
        if (!is_unicode_space(cp)) only_space = false;
        ++count;
        i += n;
    }
    if (only_space) return kMsgEmpty;
    if (count > max_chars) return kMsgTooLong;
    return nullptr;
}

PermissionOverrides PermissionsInput::resolve(Role role, SessionKind kind) const {
    if (exact) return overrides_for_exact(role, kind, exact_set);
    return overrides;
}

// Every body parser starts here: the body must be a JSON object.
static bool require_object(const json_t* body, FieldErrors& errors) {
    if (json_is_object(body)) return true;
    add_error(errors, "", "must be a JSON object");
    return false;
}

std::optional<CreateSessionRequest> parse_create_session(const json_t* body, FieldErrors& errors) {
    if (!require_object(body, errors)) return std::nullopt;
    const std::size_t before = errors.size();
    CreateSessionRequest r;
    check_fields(body, {"kind", "title", "scheduled_at", "recording_policy", "external_ref", "metadata",
                        "authorized_viewers"},
                 errors);

    if (auto k = enum_field<SessionKind>(body, "kind", true, parse_session_kind, kKindNames, errors)) r.kind = *k;
    r.title = text_field(body, "title", kMaxTitleChars, false, errors);
    if (const json_t* v = optional_field(body, "scheduled_at")) {
        if (!json_is_string(v)) {
            add_error(errors, "scheduled_at", "must be a string");
        } else if (auto t = parse_rfc3339_micros(str(v))) {
            r.scheduled_at_micros = *t;
        } else {
            add_error(errors, "scheduled_at", "must be an RFC 3339 date-time (years 1970..9999)");
        }
    }
    if (auto p = enum_field<RecordingPolicy>(body, "recording_policy", false, parse_recording_policy, kPolicyNames,
                                             errors))
        r.recording_policy = *p;
    r.external_ref = text_field(body, "external_ref", kMaxExternalRefChars, false, errors);
    if (const json_t* v = optional_field(body, "metadata")) {
        if (!json_is_object(v)) {
            add_error(errors, "metadata", "must be an object");
        } else {
            const std::string dumped = json_dump(v);
            if (dumped.empty() || dumped.size() > kMaxMetadataBytes) {
                add_error(errors, "metadata", "is too large (at most " + std::to_string(kMaxMetadataBytes) +
                                                  " bytes as compact JSON)");
            } else if (!metadata_numbers_fit(v)) {
                add_error(errors, "metadata",
                          "has a number beyond the 64-bit integer range (at most 9.2e18 in magnitude)");
            } else {
                r.metadata = Json(json_deep_copy(v));
                if (!r.metadata) add_error(errors, "metadata", "could not be stored");
            }
        }
    }
    if (const json_t* v = optional_field(body, "authorized_viewers")) {
        if (!json_is_array(v)) {
            add_error(errors, "authorized_viewers", "must be an array of user ids");
        } else if (json_array_size(v) > kMaxAuthorizedViewers) {
            add_error(errors, "authorized_viewers", "must hold at most " + std::to_string(kMaxAuthorizedViewers) +
                                                        " user ids");
        } else {
            std::size_t i;
            json_t* item;
            json_array_foreach(v, i, item) {
                const std::string field = "authorized_viewers[" + std::to_string(i) + "]";
                if (!json_is_string(item)) {
                    add_error(errors, field, "must be a string");
                    continue;
                }
                std::string id(json_string_value(item), json_string_length(item));
                if (const char* why = check_text(id, kMaxUserIdChars)) {
                    add_error(errors, field, why);
                    continue;
                }
                bool seen = false;
                for (const std::string& have : r.authorized_viewers) seen = seen || have == id;
                if (!seen) r.authorized_viewers.push_back(std::move(id));
            }
        }
    }
    if (errors.size() != before) return std::nullopt;
    if (!r.metadata) r.metadata = Json(json_object());
    if (!r.metadata) {
        add_error(errors, "metadata", "could not be stored");
        return std::nullopt;
    }
    return r;
}

std::optional<AddParticipantRequest> parse_add_participant(const json_t* body, FieldErrors& errors) {
    if (!require_object(body, errors)) return std::nullopt;
    const std::size_t before = errors.size();
    AddParticipantRequest r;
    check_fields(body, {"user_id", "role", "display_name", "permissions"}, errors);
    if (auto u = text_field(body, "user_id", kMaxUserIdChars, true, errors)) r.user_id = std::move(*u);
    if (auto role = enum_field<Role>(body, "role", true, parse_role, kRoleNames, errors)) r.role = *role;
    r.display_name = text_field(body, "display_name", kMaxDisplayNameChars, false, errors);
    r.permissions = permissions_field(body, errors);
    if (errors.size() != before) return std::nullopt;
    return r;
}

std::optional<UpdateParticipantRequest> parse_update_participant(const json_t* body, FieldErrors& errors) {
    if (!require_object(body, errors)) return std::nullopt;
    const std::size_t before = errors.size();
    UpdateParticipantRequest r;
    check_fields(body, {"role", "permissions"}, errors);
    r.role = enum_field<Role>(body, "role", false, parse_role, kRoleNames, errors);
    r.permissions = permissions_field(body, errors);
    if (errors.size() != before) return std::nullopt;
    if (!r.role && !r.permissions) {
        add_error(errors, "", "nothing to update: give role and/or permissions");
        return std::nullopt;
    }
    return r;
}

std::optional<RemoveParticipantRequest> parse_remove_participant(const json_t* body, FieldErrors& errors) {
    if (!require_object(body, errors)) return std::nullopt;
    const std::size_t before = errors.size();
    RemoveParticipantRequest r;
    check_fields(body, {"participant_id", "user_id"}, errors);
    const bool has_pid = optional_field(body, "participant_id") != nullptr;
    const bool has_uid = optional_field(body, "user_id") != nullptr;
    if (has_pid == has_uid) {
        add_error(errors, "", "give exactly one of participant_id or user_id");
        return std::nullopt;
    }
    if (has_pid) {
        const json_t* v = json_object_get(body, "participant_id");
        if (!json_is_string(v)) {
            add_error(errors, "participant_id", "must be a string");
        } else if (!is_uuid(str(v))) {
            add_error(errors, "participant_id", "must be a UUID");
        } else {
            r.participant_id = std::string(str(v));
        }
    } else {
        r.user_id = text_field(body, "user_id", kMaxUserIdChars, true, errors);
    }
    if (errors.size() != before) return std::nullopt;
    return r;
}

namespace {

// "limit" of a paginated list. Strict: 1..3 ASCII digits, no sign, no
// blanks; value 1..kMaxPageSize.
void page_limit(const std::string& key, const std::string& value, int* out, FieldErrors& errors) {
    bool ok = !value.empty() && value.size() <= 3;
    int n = 0;
    for (char c : value) {
        if (!ok) break;  // too long: never accumulate (no overflow)
        if (c < '0' || c > '9') {
            ok = false;
            break;
        }
        n = n * 10 + (c - '0');
    }
    if (!ok || n < 1 || n > kMaxPageSize) {
        add_error(errors, key, "must be an integer between 1 and " + std::to_string(kMaxPageSize));
    } else {
        *out = n;
    }
}

// "cursor" of a paginated list: opaque text, decoded by the repository.
void page_cursor(const std::string& key, const std::string& value, std::optional<std::string>* out,
                 FieldErrors& errors) {
    if (const char* msg = check_text(value, kMaxCursorChars)) {
        add_error(errors, key, msg == kMsgTooLong ? too_long_message(kMaxCursorChars) : std::string(msg));
    } else {
        *out = value;
    }
}

}  // namespace

std::optional<ListSessionsQuery> parse_list_sessions(const std::multimap<std::string, std::string>& query,
                                                     FieldErrors& errors) {
    const std::size_t before = errors.size();
    ListSessionsQuery q;
    std::size_t unknown = 0;
    for (auto it = query.begin(); it != query.end(); it = query.upper_bound(it->first)) {
        const std::string& key = it->first;
        const std::string& value = it->second;
        if (key != "status" && key != "user_id" && key != "limit" && key != "cursor") {
            if (unknown++ < kMaxUnknownFieldErrors) add_error(errors, safe_field_name(key), "unknown field");
            continue;
        }
        if (query.count(key) > 1) {
            add_error(errors, key, "must not be repeated");
            continue;
        }
        if (key == "status") {
            if (auto s = parse_session_status(value)) {
                q.status = *s;
            } else {
                add_error(errors, key, one_of_message(kStatusNames));
            }
        } else if (key == "user_id") {
            if (const char* msg = check_text(value, kMaxUserIdChars)) {
                add_error(errors, key, msg == kMsgTooLong ? too_long_message(kMaxUserIdChars) : std::string(msg));
            } else {
                q.user_id = value;
            }
        } else if (key == "limit") {
            page_limit(key, value, &q.limit, errors);
        } else {  // cursor
            page_cursor(key, value, &q.cursor, errors);
        }
    }
    if (errors.size() != before) return std::nullopt;
    return q;
}

std::optional<ListAuditQuery> parse_list_audit(const std::multimap<std::string, std::string>& query,
                                               FieldErrors& errors) {
    const std::size_t before = errors.size();
    ListAuditQuery q;
    std::size_t unknown = 0;
    for (auto it = query.begin(); it != query.end(); it = query.upper_bound(it->first)) {
        const std::string& key = it->first;
        if (key != "limit" && key != "cursor") {
            if (unknown++ < kMaxUnknownFieldErrors) add_error(errors, safe_field_name(key), "unknown field");
            continue;
        }
        if (query.count(key) > 1) {
            add_error(errors, key, "must not be repeated");
        } else if (key == "limit") {
            page_limit(key, it->second, &q.limit, errors);
        } else {
            page_cursor(key, it->second, &q.cursor, errors);
        }
    }
    if (errors.size() != before) return std::nullopt;
    return q;
}

}  // namespace telemed
