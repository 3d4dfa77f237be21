// Role × permission × session kind: every cell of the ARCHITECTURE.md table.
#include "common/permissions.hpp"

// Last: cmocka.h defines macros (fail, ...) that clash with C++ headers.
#include "tests/unit/test_common_support.hpp"

using namespace telemed;

namespace {

// The expected table, written independently of permissions.cpp from
// ARCHITECTURE.md "Roles and permissions".
bool expected(Role r, Permission p, SessionKind k) {
    switch (r) {
        case Role::Doctor:
            return true;
        case Role::Paramedic:
            if (p == Permission::Record) return false;
            if (p == Permission::Moderate) return k == SessionKind::Emergency;
            return true;
        case Role::Patient:
            return p == Permission::PublishAudio || p == Permission::PublishVideo || p == Permission::Subscribe ||
                   p == Permission::Chat || p == Permission::ShareFiles;
        case Role::Observer:
            return p == Permission::Subscribe || p == Permission::Chat;
        default:
            return false;
    }
}

const char* kRoles[] = {"doctor", "patient", "paramedic", "observer"};
const char* kKinds[] = {"consultation", "emergency", "follow_up"};
const char* kPerms[] = {"publish_audio", "publish_video", "publish_screen", "subscribe", "chat",
                        "share_files",   "record",        "moderate",       "bypass_lobby"};

void every_cell(void**) {
    static_assert(kRoleCount == 4 && kPermissionCount == 9, "update this test's expected table");
    int checked = 0;
    for (std::size_t r = 0; r < kRoleCount; ++r) {
        for (std::size_t k = 0; k < 3; ++k) {
            const PermissionSet s = default_permissions(static_cast<Role>(r), static_cast<SessionKind>(k));
            assert_int_equal(s & ~kAllPermissions, 0);
            for (std::size_t p = 0; p < kPermissionCount; ++p) {
                const bool want = expected(static_cast<Role>(r), static_cast<Permission>(p),
                                           static_cast<SessionKind>(k));
                const bool got = has(s, static_cast<Permission>(p));
                if (got != want)
                    fail_msg("role %s, kind %s, permission %s: got %d, want %d", kRoles[r], kKinds[k], kPerms[p],
                             got, want);
                ++checked;
            }
        }
    }
    assert_int_equal(checked, 4 * 3 * 9);
}

// A few cells spelled out, so a reader sees the table without the helper.
void spelled_out(void**) {
    const PermissionSet all = kAllPermissions;
    assert_int_equal(all, 0x1FF);
    assert_int_equal(default_permissions(Role::Doctor, SessionKind::Consultation), all);
    assert_int_equal(default_permissions(Role::Paramedic, SessionKind::Emergency), all & ~bit(Permission::Record));
    assert_int_equal(default_permissions(Role::Paramedic, SessionKind::FollowUp),
                     all & ~bit(Permission::Record) & ~bit(Permission::Moderate));
    assert_int_equal(default_permissions(Role::Patient, SessionKind::Emergency),
                     bit(Permission::PublishAudio) | bit(Permission::PublishVideo) | bit(Permission::Subscribe) |
                         bit(Permission::Chat) | bit(Permission::ShareFiles));
    assert_int_equal(default_permissions(Role::Observer, SessionKind::Emergency),
                     bit(Permission::Subscribe) | bit(Permission::Chat));
}

void out_of_range_denies(void**) {
    assert_int_equal(default_permissions(static_cast<Role>(7), SessionKind::Consultation), 0);
    assert_int_equal(default_permissions(Role::Doctor, static_cast<SessionKind>(9)), 0);
    assert_int_equal(default_permissions(Role::Count_, SessionKind::Count_), 0);
}

void bit_order_is_canonical(void**) {
    // docs/DESIGN.md: bit 0 = publish_audio ... bit 8 = bypass_lobby.
    for (std::size_t i = 0; i < kPermissionCount; ++i) {
        const auto p = parse_permission(kPerms[i]);
        assert_true(p.has_value());
        assert_int_equal(bit(*p), 1u << i);
        assert_str_eq(to_string(*p), kPerms[i]);
    }
}

void effective_applies_overrides(void**) {
    PermissionOverrides o;
    o.grant = bit(Permission::Record) | bit(Permission::Moderate);
    PermissionSet s = effective_permissions(Role::Patient, SessionKind::Consultation, o);
    assert_true(has(s, Permission::Record));
    assert_true(has(s, Permission::Moderate));
    assert_true(has(s, Permission::Chat));
    assert_false(has(s, Permission::BypassLobby));

    o = {};
    o.revoke = bit(Permission::Chat) | bit(Permission::PublishVideo);
    s = effective_permissions(Role::Doctor, SessionKind::Consultation, o);
    assert_int_equal(s, kAllPermissions & ~o.revoke);

    // Revoke wins when both are set.
    o.grant = bit(Permission::Chat);
    o.revoke = bit(Permission::Chat);
    s = effective_permissions(Role::Observer, SessionKind::Consultation, o);
    assert_false(has(s, Permission::Chat));
    assert_true(has(s, Permission::Subscribe));

    // Bits outside the known permissions never leak through.
    o = {};
    o.grant = 0xFFFFFFFFu;
    assert_int_equal(effective_permissions(Role::Observer, SessionKind::Consultation, o), kAllPermissions);
    // No overrides: defaults.
    assert_int_equal(effective_permissions(Role::Paramedic, SessionKind::Emergency, {}),
                     default_permissions(Role::Paramedic, SessionKind::Emergency));
}

void exact_round_trips(void**) {
    const PermissionSet wanted_sets[] = {0, kAllPermissions, bit(Permission::Chat),
                                         bit(Permission::Record) | bit(Permission::Subscribe), 0x155, 0x0AA};
    for (std::size_t r = 0; r < kRoleCount; ++r)
        for (std::size_t k = 0; k < 3; ++k)
            for (PermissionSet w : wanted_sets) {
                const auto role = static_cast<Role>(r);
                const auto kind = static_cast<SessionKind>(k);
                const PermissionOverrides o = overrides_for_exact(role, kind, w);
                assert_int_equal(effective_permissions(role, kind, o), w);
                assert_int_equal(o.grant & o.revoke, 0);
                // Minimal: grants only what defaults lack, revokes only what they have.
                assert_int_equal(o.grant & default_permissions(role, kind), 0);
                assert_int_equal(o.revoke & ~default_permissions(role, kind), 0);
            }
}

void names_parse_and_print(void**) {
    for (std::size_t r = 0; r < kRoleCount; ++r) {
        const auto role = parse_role(kRoles[r]);
        assert_true(role.has_value());
        assert_int_equal(static_cast<int>(*role), static_cast<int>(r));
        assert_str_eq(to_string(*role), kRoles[r]);
    }
    for (std::size_t k = 0; k < 3; ++k) {
        const auto kind = parse_session_kind(kKinds[k]);
        assert_true(kind.has_value());
        assert_int_equal(static_cast<int>(*kind), static_cast<int>(k));
        assert_str_eq(to_string(*kind), kKinds[k]);
    }
    assert_false(parse_role("Doctor").has_value());
    assert_false(parse_role("").has_value());
    assert_false(parse_role("admin").has_value());
    assert_false(parse_role(std::string_view("doctor\0", 7)).has_value());
    assert_false(parse_session_kind("follow-up").has_value());
    assert_false(parse_permission("record ").has_value());
    assert_false(parse_permission("RECORD").has_value());
    assert_true(to_string(static_cast<Role>(200)).empty());
    assert_true(to_string(static_cast<Permission>(200)).empty());
}

void names_in_canonical_order(void**) {
    const auto names = permission_names(bit(Permission::BypassLobby) | bit(Permission::PublishAudio) |
                                        bit(Permission::Chat));
    assert_int_equal(names.size(), 3);
    assert_str_eq(names[0], "publish_audio");
    assert_str_eq(names[1], "chat");
    assert_str_eq(names[2], "bypass_lobby");
    assert_int_equal(permission_names(0).size(), 0);
    assert_int_equal(permission_names(0xFFFFFFFFu).size(), kPermissionCount);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_cell),
        cmocka_unit_test(spelled_out),
        cmocka_unit_test(out_of_range_denies),
        cmocka_unit_test(bit_order_is_canonical),
        cmocka_unit_test(effective_applies_overrides),
        cmocka_unit_test(exact_round_trips),
        cmocka_unit_test(names_parse_and_print),
        cmocka_unit_test(names_in_canonical_order),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
