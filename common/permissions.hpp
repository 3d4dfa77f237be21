// Roles × permissions: the one policy function shared by controller and plugin.
// The table lives in permissions.cpp and is validated at compile time.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.hpp"

namespace telemed {

enum class Permission : uint8_t {
    PublishAudio = 0,
    PublishVideo,
    PublishScreen,
    Subscribe,
    Chat,
    ShareFiles,
    Record,
    Moderate,
    BypassLobby,
    Count_  // keep last
};
inline constexpr std::size_t kPermissionCount = static_cast<std::size_t>(Permission::Count_);

enum class Role : uint8_t { Doctor = 0, Patient, Paramedic, Observer, Count_ };
inline constexpr std::size_t kRoleCount = static_cast<std::size_t>(Role::Count_);

enum class SessionKind : uint8_t { Consultation = 0, Emergency, FollowUp, Count_ };

// Bit i set <=> Permission(i) granted.
using PermissionSet = uint32_t;
inline constexpr PermissionSet bit(Permission p) { return PermissionSet{1} << static_cast<unsigned>(p); }
inline constexpr PermissionSet kAllPermissions = (PermissionSet{1} << kPermissionCount) - 1;
inline constexpr bool has(PermissionSet s, Permission p) { return (s & bit(p)) != 0; }

// Overrides relative to role defaults: bits in `grant` are added, bits in
// `revoke` removed (revoke wins if both are set).
struct PermissionOverrides {
    PermissionSet grant = 0;
    PermissionSet revoke = 0;
};

PermissionSet default_permissions(Role role, SessionKind kind);
PermissionSet effective_permissions(Role role, SessionKind kind, const PermissionOverrides& o);
// Overrides that turn role defaults into exactly `wanted`.
PermissionOverrides overrides_for_exact(Role role, SessionKind kind, PermissionSet wanted);

std::optional<Role> parse_role(std::string_view s);
std::optional<SessionKind> parse_session_kind(std::string_view s);
std::optional<Permission> parse_permission(std::string_view s);
std::string_view to_string(Role r);
std::string_view to_string(SessionKind k);
std::string_view to_string(Permission p);
// Names of the set bits in canonical order.
std::vector<std::string_view> permission_names(PermissionSet s);
// The same as a JSON array of strings (the wire form everywhere: REST
// responses, join token "perms", plugin events and admin requests).
Json permissions_to_json(PermissionSet s);

}  // namespace telemed
