// Consent-gated recording: the pure rules (docs/PROTOCOL.md "Recording",
// docs/DESIGN.md "Recording"). Who may enter a room under a recording policy,
// what `record start|stop` does, whose tracks are written, what a consent
// answer changes, and when a room records by itself.
//
// Like the lobby (plugin/lobby.hpp) a pure policy written as tables
// (recording_rules.cpp) and tested cell by cell
// (tests/unit/test_plugin_recording.cpp): no lock, no Host, no Room.
// PluginCore gathers the facts under its state mutex and carries the answer
// out (events, capability bits, recorders, the views of the media path).
//
// The rule (contract of issue 14, slice 1):
//  - `required`: consent is a condition of admission. A participant without
//    stored consent=true is never admitted: one the lobby would let in (a
//    ticket: bypass_lobby, returning within the grace, replacing its own
//    admitted handle) waits with reason consent_required and enters as soon
//    as its consent is stored; a moderator's admit of it is 4061; an
//    admitted one that withdraws goes back to the lobby. The room records
//    whenever it is active (the plugin starts it), and stop is 4060.
//  - `optional`: consent never affects admission; record start / stop by
//    holders of `record` (or the controller).
//  - `disabled`: start is 4060; consent never affects admission.
//  - Whatever the policy, a participant's tracks are written iff the room
//    records AND it is admitted AND its consent=true is stored (and the
//    media gate forwards the packet: media_path.cpp). Unanswered and "no"
//    are never written, not even the first packet.
#pragma once
#include <cstddef>
#include <cstdint>

#include "common/requests.hpp"
#include "plugin/errors.hpp"

namespace telemed::plugin::recording {

// A participant's consent as the plugin holds it. Yes only once the
// controller stored it (2xx); No at once when said.
enum class Consent : uint8_t { Unanswered = 0, No, Yes, Count_ };
inline constexpr std::size_t kConsentCount = static_cast<std::size_t>(Consent::Count_);
inline constexpr std::size_t kPolicyCount = 3;  // RecordingPolicy: Disabled, Optional, Required
static_assert(static_cast<std::size_t>(RecordingPolicy::Required) == kPolicyCount - 1,
              "recording tables: add a row for the new RecordingPolicy");

// ---- admission ----
// A participant the lobby admits (a ticket, a moderator's admit, a restore):
// does the policy let it in, or does it wait for its consent?
enum class Entry : uint8_t { Enters, WaitsConsent };
Entry gate_entry(RecordingPolicy policy, Consent consent);
// A moderator's admit of a waiting participant: 4061 when it waits for consent.
inline bool moderator_admit_allowed(RecordingPolicy policy, Consent consent) {
    return gate_entry(policy, consent) == Entry::Enters;
}

// ---- record start / stop ----
enum class Action : uint8_t { Start = 0, Stop };
enum class RecordOutcome : uint8_t { Start, Stop, Unchanged, Refused };
struct RecordDecision {
    RecordOutcome outcome = RecordOutcome::Refused;
    ErrorCode code = ErrorCode::Internal;  // when Refused
};
// `on`: the room records now; `other_id`: a start named a recording id that
// is not the one on (Admin API) -> 4062 instead of Unchanged.
RecordDecision decide_record(RecordingPolicy policy, bool on, Action action, bool other_id = false);

// ---- what is written ----
bool records(bool on, bool admitted, Consent consent);

// ---- a consent answer of a joined participant ----
enum class ConsentEffect : uint8_t {
    None,         // nothing beyond the recorded set changes
    BackToLobby,  // admitted in a required room and withdrew: lobby, reason consent_required
    Enters,       // waited for consent only (it holds a ticket): admitted now
};
// `ticket`: the lobby would admit it (it waits only for its consent).
ConsentEffect consent_effect(RecordingPolicy policy, bool admitted, bool ticket, Consent after);

// ---- recording by itself ----
// A required room records whenever it is active; a disabled one never.
// `halted`: its last recording stopped on a fault (a write failed): no
// restart by itself (it would fail again at once, over and over) until a
// start is asked for. Returns the action the plugin takes by itself.
enum class AutoAction : uint8_t { None, Start, Stop };
AutoAction auto_action(RecordingPolicy policy, bool room_active, bool on, bool halted);

}  // namespace telemed::plugin::recording
