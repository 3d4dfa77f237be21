// The recording tables and the decisions read from them (see recording_rules.hpp).
//
// Each table is data, indexed by enumerators; a zero cell is Invalid, so a
// short row (a new Consent value) or a missing row (a new policy) fails the
// static_asserts below.
#include "plugin/recording_rules.hpp"

#include <array>

namespace telemed::plugin::recording {
namespace {

constexpr std::size_t idx(RecordingPolicy p) { return static_cast<std::size_t>(p); }
constexpr std::size_t idx(Consent c) { return static_cast<std::size_t>(c); }

// ---- admission: policy x consent ----
enum class EntryCell : uint8_t { Invalid = 0, Enters, Waits };
constexpr EntryCell E = EntryCell::Enters;
constexpr EntryCell W = EntryCell::Waits;
// Columns: Unanswered, No, Yes (stored).
constexpr std::array<std::array<EntryCell, kConsentCount>, kPolicyCount> kEntry = {{
    /* disabled */ {E, E, E},
    /* optional */ {E, E, E},
    /* required */ {W, W, E},
}};

// ---- record: policy x (action, on) ----
enum class RecCell : uint8_t { Invalid = 0, Start, Stop, Same, Refuse };
constexpr RecCell S = RecCell::Start;
constexpr RecCell P = RecCell::Stop;
constexpr RecCell U = RecCell::Same;
constexpr RecCell R = RecCell::Refuse;
// Columns: start while off, start while on, stop while off, stop while on.
constexpr std::array<std::array<RecCell, 4>, kPolicyCount> kRecord = {{
    /* disabled */ {R, R, U, P},  // on only if the policy changed meanwhile: stopping is allowed
    /* optional */ {S, U, U, P},
    /* required */ {S, U, R, R},
}};

// ---- consent effect: policy x (admitted, ticket, consent after) ----
enum class EffCell : uint8_t { Invalid = 0, None, Back, In };
constexpr EffCell N = EffCell::None;
constexpr EffCell B = EffCell::Back;
constexpr EffCell I = EffCell::In;
// Index: admitted * 2 * kConsentCount + ticket * kConsentCount + consent.
// A waiting participant without ticket waits for the moderator whatever it answers.
constexpr std::array<std::array<EffCell, 2 * 2 * kConsentCount>, kPolicyCount> kEffect = {{
    /* disabled */ {N, N, N, N, N, N, /* admitted: */ N, N, N, N, N, N},
    /* optional */ {N, N, N, N, N, N, /* admitted: */ N, N, N, N, N, N},
    //             waiting, no ticket | waiting, ticket | admitted (ticket irrelevant)
    /* required */ {N, N, N, N, N, I, /* admitted: */ B, B, N, B, B, N},
}};

template <class Table, class Cell>
constexpr bool complete(const Table& t, Cell invalid) {
    for (const auto& row : t)
        for (Cell c : row)
            if (c == invalid) return false;
    return true;
}
static_assert(complete(kEntry, EntryCell::Invalid), "entry table: every cell filled");
static_assert(complete(kRecord, RecCell::Invalid), "record table: every cell filled");
static_assert(complete(kEffect, EffCell::Invalid), "consent effect table: every cell filled");
// Spot checks of the contract (the unit test checks every cell).
static_assert(kEntry[idx(RecordingPolicy::Required)][idx(Consent::Unanswered)] == W, "required: no consent waits");
static_assert(kRecord[idx(RecordingPolicy::Disabled)][0] == R, "disabled: start refused");
static_assert(kRecord[idx(RecordingPolicy::Required)][3] == R, "required: stop refused");

bool in_range(RecordingPolicy p) { return idx(p) < kPolicyCount; }
bool in_range(Consent c) { return idx(c) < kConsentCount; }

}  // namespace

Entry gate_entry(RecordingPolicy policy, Consent consent) {
    if (!in_range(policy) || !in_range(consent)) return Entry::WaitsConsent;  // deny by default
    return kEntry[idx(policy)][idx(consent)] == EntryCell::Enters ? Entry::Enters : Entry::WaitsConsent;
}

RecordDecision decide_record(RecordingPolicy policy, bool on, Action action, bool other_id) {
    if (!in_range(policy)) return RecordDecision{RecordOutcome::Refused, ErrorCode::RecordingNotAllowed};
    const std::size_t col = (action == Action::Stop ? 2u : 0u) + (on ? 1u : 0u);
    switch (kRecord[idx(policy)][col]) {
        case RecCell::Start: return RecordDecision{RecordOutcome::Start, ErrorCode::Internal};
        case RecCell::Stop: return RecordDecision{RecordOutcome::Stop, ErrorCode::Internal};
        case RecCell::Same:
            // A start naming another recording than the one on is a conflict.
            if (action == Action::Start && on && other_id)
                return RecordDecision{RecordOutcome::Refused, ErrorCode::RecordingBusy};
            return RecordDecision{RecordOutcome::Unchanged, ErrorCode::Internal};
        case RecCell::Refuse:
        case RecCell::Invalid: break;
    }
    return RecordDecision{RecordOutcome::Refused, ErrorCode::RecordingNotAllowed};
}

bool records(bool on, bool admitted, Consent consent) { return on && admitted && consent == Consent::Yes; }

ConsentEffect consent_effect(RecordingPolicy policy, bool admitted, bool ticket, Consent after) {
    if (!in_range(policy) || !in_range(after)) return ConsentEffect::None;
    const std::size_t col = (admitted ? 2u : 0u) * kConsentCount + (ticket ? 1u : 0u) * kConsentCount + idx(after);
    switch (kEffect[idx(policy)][col]) {
        case EffCell::Back: return ConsentEffect::BackToLobby;
        case EffCell::In: return ConsentEffect::Enters;
        default: return ConsentEffect::None;
    }
}

AutoAction auto_action(RecordingPolicy policy, bool room_active, bool on, bool halted) {
    if (policy == RecordingPolicy::Required && room_active && !on && !halted) return AutoAction::Start;
    if (policy == RecordingPolicy::Disabled && on) return AutoAction::Stop;
    return AutoAction::None;
}

}  // namespace telemed::plugin::recording
