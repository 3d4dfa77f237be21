// Typed REST request parsing: JSON bodies and query strings become these
// structs in one place, with field-level errors. Unknown fields, wrong types,
// oversized or control-character-laden values are refused here.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.hpp"
#include "common/permissions.hpp"

namespace telemed {

struct FieldError {
    std::string field;    // JSON pointer-ish name: "kind", "metadata", "permissions.record"
    std::string message;  // never echoes the offending value
};
using FieldErrors = std::vector<FieldError>;

enum class RecordingPolicy : uint8_t { Disabled = 0, Optional, Required };
enum class SessionStatus : uint8_t { Scheduled = 0, Active, Ended, Cancelled };
std::optional<RecordingPolicy> parse_recording_policy(std::string_view s);
std::optional<SessionStatus> parse_session_status(std::string_view s);
std::string_view to_string(RecordingPolicy p);
std::string_view to_string(SessionStatus s);

// Limits (documented in docs/API.md).
inline constexpr std::size_t kMaxTitleChars = 200;
inline constexpr std::size_t kMaxExternalRefChars = 256;
inline constexpr std::size_t kMaxDisplayNameChars = 100;
inline constexpr std::size_t kMaxUserIdChars = 128;
inline constexpr std::size_t kMaxAuthorizedViewers = 50;   // POST /sessions authorized_viewers
inline constexpr std::size_t kMaxMetadataBytes = 4096;      // serialised compact JSON
inline constexpr std::size_t kMaxIdempotencyKeyChars = 255;
inline constexpr int kDefaultPageSize = 20;
inline constexpr int kMaxPageSize = 100;

// Text rules: valid UTF-8 (Jansson guarantees), no NUL, no C0/C1 control
// characters or DEL (tab is refused too), length counted in code points, not
// empty after trimming when present. Returns nullptr if ok, else the message.
const char* check_text(std::string_view s, std::size_t max_chars);

struct PermissionsInput {
    bool exact = false;           // array form: exactly these permissions
    PermissionSet exact_set = 0;  // when exact
    PermissionOverrides overrides;  // when !exact: {"perm": bool}
    // Resolved against a role/kind into the overrides that are stored.
    PermissionOverrides resolve(Role role, SessionKind kind) const;
};

struct CreateSessionRequest {
    SessionKind kind = SessionKind::Consultation;
    std::optional<std::string> title;
    std::optional<int64_t> scheduled_at_micros;
    RecordingPolicy recording_policy = RecordingPolicy::Optional;
    std::optional<std::string> external_ref;
    Json metadata;  // always an object (empty when absent or null)
    // user_ids (like participants') who may watch the session's recordings
    // besides its participants: at most kMaxAuthorizedViewers, repeats dropped
    // (first occurrence kept), empty when absent or null.
    std::vector<std::string> authorized_viewers;
};

struct AddParticipantRequest {
    std::string user_id;
    Role role = Role::Observer;
    std::optional<std::string> display_name;
    std::optional<PermissionsInput> permissions;
};

struct UpdateParticipantRequest {  // at least one field
    std::optional<Role> role;
    std::optional<PermissionsInput> permissions;
};

struct RemoveParticipantRequest {  // exactly one of the two
    std::optional<std::string> participant_id;
    std::optional<std::string> user_id;
};

struct ListSessionsQuery {
    std::optional<SessionStatus> status;
    std::optional<std::string> user_id;
    int limit = kDefaultPageSize;
    std::optional<std::string> cursor;  // opaque, validated by the repository
};

// GET /sessions/{id}/audit
struct ListAuditQuery {
    int limit = kDefaultPageSize;
    std::optional<std::string> cursor;  // opaque, validated by the repository
};

// Each parser returns nullopt and appends to `errors` when the input is not
// acceptable. `body` must be a JSON object (callers check that first and
// answer 400/422 accordingly); it is only borrowed.
std::optional<CreateSessionRequest> parse_create_session(const json_t* body, FieldErrors& errors);
std::optional<AddParticipantRequest> parse_add_participant(const json_t* body, FieldErrors& errors);
std::optional<UpdateParticipantRequest> parse_update_participant(const json_t* body, FieldErrors& errors);
std::optional<RemoveParticipantRequest> parse_remove_participant(const json_t* body, FieldErrors& errors);
std::optional<ListSessionsQuery> parse_list_sessions(const std::multimap<std::string, std::string>& query,
                                                     FieldErrors& errors);
std::optional<ListAuditQuery> parse_list_audit(const std::multimap<std::string, std::string>& query,
                                               FieldErrors& errors);

}  // namespace telemed
