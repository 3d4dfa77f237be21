// plugin/media_gate: the per-packet permission check, cell by cell.
// Everything under test is constexpr / noexcept and works on plain integers,
// so the test bodies hold no C++ object with a destructor.
#include <cstring>
#include <string_view>

#include "common/permissions.hpp"
#include "plugin/media_gate.hpp"

#include <cstdarg>
#include <cstddef>
#include <csetjmp>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

using namespace telemed;
using namespace telemed::plugin;

namespace {

constexpr Source kSources[] = {Source::Audio, Source::Video, Source::Screen};

bool name_is(Source s, const char* want) { return to_string(s) == std::string_view(want); }

// 1 if parse_source(text) gives `want`, 0 if it gives another source, -1 if nullopt.
int parses_to(const char* text, Source want) {
    const std::optional<Source> s = parse_source(text);
    if (!s) return -1;
    return *s == want ? 1 : 0;
}

bool refused(std::string_view text) { return !parse_source(text).has_value(); }

}  // namespace

static void source_names_round_trip(void**) {
    assert_true(name_is(Source::Audio, "audio"));
    assert_true(name_is(Source::Video, "video"));
    assert_true(name_is(Source::Screen, "screen"));
    assert_true(name_is(Source::Count_, ""));
    for (Source s : kSources) {
        const std::string_view name = to_string(s);
        assert_true(parse_source(name).has_value());
        assert_int_equal(static_cast<int>(*parse_source(name)), static_cast<int>(s));
    }
    assert_int_equal(parses_to("audio", Source::Audio), 1);
    assert_int_equal(parses_to("screen", Source::Screen), 1);
}

static void source_names_are_exact(void**) {
    assert_true(refused(""));
    assert_true(refused("Audio"));
    assert_true(refused("VIDEO"));
    assert_true(refused("screen "));
    assert_true(refused(" audio"));
    assert_true(refused("camera"));
    assert_true(refused("publish_audio"));
    assert_true(refused(std::string_view("audio\0", 6)));
    assert_true(refused(std::string_view("aud", 3)));
}

static void source_permissions_and_bits(void**) {
    assert_int_equal(kSourceCount, 3);
    assert_int_equal(static_cast<int>(permission_for(Source::Audio)), static_cast<int>(Permission::PublishAudio));
    assert_int_equal(static_cast<int>(permission_for(Source::Video)), static_cast<int>(Permission::PublishVideo));
    assert_int_equal(static_cast<int>(permission_for(Source::Screen)), static_cast<int>(Permission::PublishScreen));
    assert_int_equal(static_cast<int>(permission_for(Source::Count_)), static_cast<int>(Permission::Count_));
    assert_false(is_video(Source::Audio));
    assert_true(is_video(Source::Video));
    assert_true(is_video(Source::Screen));
    assert_int_equal(source_bit(Source::Audio), 1);
    assert_int_equal(source_bit(Source::Video), 2);
    assert_int_equal(source_bit(Source::Screen), 4);
    assert_int_equal(kAllSourceBits, 7);
}

// Every Source × Permission cell: a set holding only permission p lets a
// packet of source s through exactly when p is the source's permission.
static void gate_every_cell(void**) {
    for (Source s : kSources) {
        for (std::size_t i = 0; i < kPermissionCount; ++i) {
            const auto p = static_cast<Permission>(i);
            const bool want = p == permission_for(s);
            assert_int_equal(gate_allows(bit(p), s), want);
            // ... and every other permission together does not.
            assert_int_equal(gate_allows(kAllPermissions & ~bit(p), s), !want);
        }
        assert_true(gate_allows(kAllPermissions, s));
        assert_false(gate_allows(0, s));  // the lobby: zero bits, nothing passes
        assert_false(gate_allows(~PermissionSet{0} & ~bit(permission_for(s)), s));
    }
    assert_false(gate_allows(kAllPermissions, Source::Count_));
    assert_false(gate_allows(~PermissionSet{0}, Source::Count_));
}

static void receive_needs_subscribe(void**) {
    for (std::size_t i = 0; i < kPermissionCount; ++i) {
        const auto p = static_cast<Permission>(i);
        assert_int_equal(may_receive(bit(p)), p == Permission::Subscribe);
    }
    assert_false(may_receive(0));
    assert_true(may_receive(kAllPermissions));
    assert_false(may_receive(kAllPermissions & ~bit(Permission::Subscribe)));
}

// Every mute mask against every source, from all permissions: a muted
// source is closed, an unmuted one open, and no other bit is touched.
static void without_muted_every_mask(void**) {
    const PermissionSet non_source = kAllPermissions & ~bit(Permission::PublishAudio) &
                                     ~bit(Permission::PublishVideo) & ~bit(Permission::PublishScreen);
    for (unsigned mask = 0; mask <= kAllSourceBits; ++mask) {
        const PermissionSet live = without_muted(kAllPermissions, static_cast<uint8_t>(mask));
        assert_int_equal(live & non_source, non_source);
        for (Source s : kSources) {
            const bool muted = (mask & source_bit(s)) != 0;
            assert_int_equal(gate_allows(live, s), !muted);
        }
        // Muting never grants: from nothing stays nothing.
        assert_int_equal(without_muted(0, static_cast<uint8_t>(mask)), 0);
    }
    // Bits above kAllSourceBits in the mask are ignored.
    assert_int_equal(without_muted(kAllPermissions, 0xf8), kAllPermissions);
    assert_int_equal(without_muted(kAllPermissions, 0xff), non_source);
}

// The role defaults through the gate: the cells the product promises.
static void role_defaults_through_gate(void**) {
    const PermissionSet doctor = default_permissions(Role::Doctor, SessionKind::Consultation);
    const PermissionSet patient = default_permissions(Role::Patient, SessionKind::Consultation);
    const PermissionSet observer = default_permissions(Role::Observer, SessionKind::Consultation);
    for (Source s : kSources) assert_true(gate_allows(doctor, s));
    assert_true(gate_allows(patient, Source::Audio));
    assert_true(gate_allows(patient, Source::Video));
    assert_false(gate_allows(patient, Source::Screen));
    for (Source s : kSources) assert_false(gate_allows(observer, s));
    assert_true(may_receive(doctor));
    assert_true(may_receive(patient));
    assert_true(may_receive(observer));
    // A doctor muted by a moderator on audio keeps video and screen.
    const PermissionSet muted = without_muted(doctor, source_bit(Source::Audio));
    assert_false(gate_allows(muted, Source::Audio));
    assert_true(gate_allows(muted, Source::Video));
    assert_true(gate_allows(muted, Source::Screen));
    assert_true(may_receive(muted));
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(source_names_round_trip),
        cmocka_unit_test(source_names_are_exact),
        cmocka_unit_test(source_permissions_and_bits),
        cmocka_unit_test(gate_every_cell),
        cmocka_unit_test(receive_needs_subscribe),
        cmocka_unit_test(without_muted_every_mask),
        cmocka_unit_test(role_defaults_through_gate),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
