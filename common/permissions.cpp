// The role × permission policy table and the one decision function.
//
// The table is data: one row per Permission, one cell per Role. A cell is a
// Grant whose zero value is Invalid, so a row that is too short (a Role was
// added) leaves a zero cell, and a missing row (a Permission was added) is
// caught by the row-count check: both fail static_assert below.
#include "common/permissions.hpp"

#include <array>

namespace telemed {
namespace {

enum class Grant : uint8_t {
    Invalid = 0,        // zero value: an unfilled cell
    Allow = 1,
    Deny = 2,
    EmergencyOnly = 3,  // allowed only when SessionKind::Emergency
};

struct Row {
    Permission permission;
    std::string_view name;
    std::array<Grant, kRoleCount> grants;  // indexed by Role
};

constexpr Grant A = Grant::Allow;
constexpr Grant D = Grant::Deny;
constexpr Grant E = Grant::EmergencyOnly;

// Columns: Doctor, Patient, Paramedic, Observer (the Role enumerator order).
constexpr Row kTable[] = {
    {Permission::PublishAudio, "publish_audio", {A, A, A, D}},
    {Permission::PublishVideo, "publish_video", {A, A, A, D}},
    {Permission::PublishScreen, "publish_screen", {A, D, A, D}},
    {Permission::Subscribe, "subscribe", {A, A, A, A}},
    {Permission::Chat, "chat", {A, A, A, A}},
    {Permission::ShareFiles, "share_files", {A, A, A, D}},
    {Permission::Record, "record", {A, D, D, D}},
    {Permission::Moderate, "moderate", {A, D, E, D}},
    {Permission::BypassLobby, "bypass_lobby", {A, D, A, D}},
};

constexpr std::string_view kRoleNames[] = {"doctor", "patient", "paramedic", "observer"};
constexpr std::string_view kKindNames[] = {"consultation", "emergency", "follow_up"};
constexpr std::size_t kKindCount = static_cast<std::size_t>(SessionKind::Count_);

constexpr bool table_is_complete() {
    if (std::size(kTable) != kPermissionCount) return false;
    for (std::size_t i = 0; i < std::size(kTable); ++i) {
        // Rows in canonical (bit) order, each permission exactly once.
        if (static_cast<std::size_t>(kTable[i].permission) != i) return false;
        if (kTable[i].name.empty()) return false;
        for (Grant g : kTable[i].grants) {
            if (g != Grant::Allow && g != Grant::Deny && g != Grant::EmergencyOnly) return false;
        }
    }
    return true;
}
static_assert(std::size(kTable) == kPermissionCount,
              "permissions table: one row per Permission (add the new row)");
static_assert(table_is_complete(),
              "permissions table: every Role × Permission cell needs Allow, Deny or EmergencyOnly");
static_assert(std::size(kRoleNames) == kRoleCount, "role names: one per Role");
static_assert(std::size(kKindNames) == kKindCount, "session kind names: one per SessionKind");
static_assert(kPermissionCount <= 32, "PermissionSet is 32 bits");

constexpr PermissionSet compute_defaults(Role role, SessionKind kind) {
    PermissionSet s = 0;
    const auto r = static_cast<std::size_t>(role);
    for (const Row& row : kTable) {
        const Grant g = row.grants[r];
        if (g == Grant::Allow || (g == Grant::EmergencyOnly && kind == SessionKind::Emergency)) {
            s |= bit(row.permission);
        }
        // Deny, Invalid: not granted (deny by default).
    }
    return s;
}

constexpr auto make_defaults() {
    std::array<std::array<PermissionSet, kKindCount>, kRoleCount> t{};
    for (std::size_t r = 0; r < kRoleCount; ++r)
        for (std::size_t k = 0; k < kKindCount; ++k)
            t[r][k] = compute_defaults(static_cast<Role>(r), static_cast<SessionKind>(k));
    return t;
}
constexpr auto kDefaults = make_defaults();

// Spot checks of the ARCHITECTURE.md table at compile time (the unit test
// checks every cell at run time).
static_assert(kDefaults[0][0] == kAllPermissions, "doctor: all");
static_assert(!has(kDefaults[2][1], Permission::Record) && has(kDefaults[2][1], Permission::Moderate),
              "paramedic in emergency: all but record");
static_assert(!has(kDefaults[2][0], Permission::Moderate), "paramedic: moderate only in emergency");

}  // namespace

PermissionSet default_permissions(Role role, SessionKind kind) {
    const auto r = static_cast<std::size_t>(role);
    const auto k = static_cast<std::size_t>(kind);
    if (r >= kRoleCount || k >= kKindCount) return 0;  // deny by default
    return kDefaults[r][k];
}

PermissionSet effective_permissions(Role role, SessionKind kind, const PermissionOverrides& o) {
    return ((default_permissions(role, kind) | o.grant) & ~o.revoke) & kAllPermissions;
}

PermissionOverrides overrides_for_exact(Role role, SessionKind kind, PermissionSet wanted) {
    wanted &= kAllPermissions;
    const PermissionSet d = default_permissions(role, kind);
    PermissionOverrides o;
    o.grant = wanted & ~d;
    o.revoke = d & ~wanted;
    return o;
}

std::optional<Role> parse_role(std::string_view s) {
    for (std::size_t i = 0; i < kRoleCount; ++i)
        if (kRoleNames[i] == s) return static_cast<Role>(i);
    return std::nullopt;
}

std::optional<SessionKind> parse_session_kind(std::string_view s) {
    for (std::size_t i = 0; i < kKindCount; ++i)
        if (kKindNames[i] == s) return static_cast<SessionKind>(i);
    return std::nullopt;
}

std::optional<Permission> parse_permission(std::string_view s) {
    for (const Row& row : kTable)
        if (row.name == s) return row.permission;
    return std::nullopt;
}

std::string_view to_string(Role r) {
    const auto i = static_cast<std::size_t>(r);
    return i < kRoleCount ? kRoleNames[i] : std::string_view{};
}

std::string_view to_string(SessionKind k) {
    const auto i = static_cast<std::size_t>(k);
    return i < kKindCount ? kKindNames[i] : std::string_view{};
}

std::string_view to_string(Permission p) {
    const auto i = static_cast<std::size_t>(p);
    return i < kPermissionCount ? kTable[i].name : std::string_view{};
}

std::vector<std::string_view> permission_names(PermissionSet s) {
    std::vector<std::string_view> out;
    for (const Row& row : kTable)
        if (has(s, row.permission)) out.push_back(row.name);
    return out;
}

Json permissions_to_json(PermissionSet s) {
    Json arr(json_array());
    for (std::string_view name : permission_names(s)) json_array_append_new(arr.get(), json_str(name));
    return arr;
}

}  // namespace telemed
