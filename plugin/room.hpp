// A room: the live media side of one telemed session (id = session UUID).
// Created and destroyed by the controller through the Admin API; clients join
// it with a token whose "sid" is the room id.
//
// Not thread-safe by itself: PluginCore guards every Room with its state
// mutex. A Room never calls the host.
#pragma once
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/chat.hpp"
#include "common/permissions.hpp"
#include "common/requests.hpp"
#include "plugin/participant.hpp"
#include "plugin/precheck.hpp"
#include "plugin/recording.hpp"

namespace telemed::plugin {

enum class RoomState : uint8_t { Scheduled = 0, Active };
std::string_view to_string(RoomState s);

// Limits on per-room tables that the Admin API can grow.
inline constexpr std::size_t kMaxRevokedPerRoom = 10000;
inline constexpr std::size_t kMaxGrantsPerRoom = 10000;
inline constexpr std::size_t kMaxRememberedChatIds = 4096;
inline constexpr std::size_t kMaxConsentsPerRoom = 10000;

// What set_permissions stored for a participant: it overrides the token's
// perms (and role, when given) at every later join.
struct StoredGrant {
    PermissionSet permissions = 0;
    std::optional<Role> role;
    std::optional<std::string> display_name;  // from create_room grants; never logged
};

// Mute state of a participant id in this room: it outlives handles, so a
// reconnect or rejoin cannot shed a moderator's mute.
struct MuteState {
    uint8_t self = 0;       // source bits the participant muted itself
    uint8_t moderator = 0;  // source bits a moderator muted (only a moderator lifts them)
    std::string by;         // participant id of the moderator of the last forced mute
    uint8_t all() const { return static_cast<uint8_t>(self | moderator); }
};

class Room {
public:
    Room(std::string id, SessionKind kind, RoomState state, RecordingPolicy policy)
        : id_(std::move(id)), kind_(kind), state_(state), policy_(policy) {}

    const std::string& id() const { return id_; }
    SessionKind kind() const { return kind_; }
    RoomState state() const { return state_; }
    RecordingPolicy recording_policy() const { return policy_; }
    void set_kind(SessionKind k) { kind_ = k; }
    void set_recording_policy(RecordingPolicy p) { policy_ = p; }
    // scheduled -> active only; asking for scheduled on an active room is ignored.
    void advance_state(RoomState s) {
        if (s == RoomState::Active) state_ = RoomState::Active;
    }

    // Members: participant id -> the handle it joined on.
    std::shared_ptr<Participant> member(std::string_view participant_id) const;
    void add_member(const std::string& participant_id, std::shared_ptr<Participant> p);
    // Removes and returns the member (nullptr if absent).
    std::shared_ptr<Participant> remove_member(std::string_view participant_id);
    const std::map<std::string, std::shared_ptr<Participant>, std::less<>>& members() const { return members_; }
    std::size_t member_count() const { return members_.size(); }

    // Ban list (kicked participant ids): every token of theirs is dead here.
    bool is_revoked(std::string_view participant_id) const;
    // false when the table is full (the id is then not stored). A banned id
    // never comes back: its pre-call check is dropped.
    bool revoke(const std::string& participant_id);
    std::size_t revoked_count() const { return revoked_.size(); }
    const std::set<std::string, std::less<>>& revoked() const { return revoked_; }
    // Every id with a mute state (admin snapshot).
    const std::map<std::string, MuteState, std::less<>>& mutes() const { return mutes_; }
    // Ids admitted and gone at or after `since` (admin snapshot).
    std::vector<std::string> departed_ids(int64_t since) const;
    std::size_t grant_count() const { return grants_.size(); }

    // Pre-call check of a participant id (docs/PROTOCOL.md "precheck"):
    // like mutes it outlives handles (a reconnect or rejoin keeps it), and
    // it lives as long as the room; a ban (revoke) drops it. nullptr: none
    // reported. set_precheck is false when the table is full and the id is
    // new (bounded like the grant table: only ids that joined have one).
    const Precheck* precheck(std::string_view participant_id) const;
    bool set_precheck(const std::string& participant_id, const Precheck& p);
    std::size_t precheck_count() const { return prechecks_.size(); }

    // Mute state (all zero for an id never muted).
    MuteState mute_state(std::string_view participant_id) const;
    void set_mute_state(const std::string& participant_id, MuteState m);

    // Admitted participants that lost their handle: when, for the reconnect
    // grace. Entries older than `horizon` are pruned on each call.
    void remember_departure(const std::string& participant_id, int64_t now, int64_t horizon);
    bool departed_since(std::string_view participant_id, int64_t since) const;
    void forget_departure(std::string_view participant_id);

    uint64_t next_join_order() { return ++join_counter_; }

    // Chat rate limit of a participant id (outlives its handles, like mutes).
    chat::TokenBucket& chat_bucket(const std::string& participant_id) { return chat_buckets_[participant_id]; }
    // Chat message ids delivered in this room (the last kMaxRememberedChatIds):
    // a stored message whose first answer was lost is delivered when its
    // retry comes back as a duplicate, and only then (docs/DESIGN.md).
    // true: newly remembered (deliver it); false: delivered before.
    bool remember_delivered(const std::string& message_id);

    // Consent to recording of a participant id (plugin/recording.hpp): like
    // mutes it outlives handles, and it lives as long as the room.
    // consent() is Unanswered for an id never answered; set_consent is false
    // when the table is full and the id is new (only ids that joined have one).
    ConsentState consent(std::string_view participant_id) const;
    bool set_consent(const std::string& participant_id, const ConsentState& c);
    // The room's recording (off until started).
    RoomRecording& recording() { return recording_; }
    const RoomRecording& recording() const { return recording_; }

    const StoredGrant* grant(std::string_view participant_id) const;
    // false when the table is full and the id is new.
    bool store_grant(const std::string& participant_id, StoredGrant g);

    // Entries of the per-id tables above (admin `stats`).
    struct TableSizes {
        std::size_t grants = 0, revoked = 0, mutes = 0, prechecks = 0, consents = 0, departures = 0;
        std::size_t chat_buckets = 0, chat_ids = 0;
    };
    TableSizes table_sizes() const {
        return TableSizes{grants_.size(),   revoked_.size(),      mutes_.size(),       prechecks_.size(),
                          consents_.size(), departures_.size(), chat_buckets_.size(), delivered_ids_.size()};
    }

private:
    std::string id_;
    SessionKind kind_;
    RoomState state_;
    RecordingPolicy policy_;
    std::map<std::string, std::shared_ptr<Participant>, std::less<>> members_;
    std::set<std::string, std::less<>> revoked_;
    std::map<std::string, StoredGrant, std::less<>> grants_;
    std::map<std::string, MuteState, std::less<>> mutes_;
    std::map<std::string, Precheck, std::less<>> prechecks_;
    std::map<std::string, ConsentState, std::less<>> consents_;
    RoomRecording recording_;
    std::map<std::string, int64_t, std::less<>> departures_;
    uint64_t join_counter_ = 0;
    std::map<std::string, chat::TokenBucket, std::less<>> chat_buckets_;
    std::set<std::string, std::less<>> delivered_ids_;
    std::deque<std::string> delivered_order_;  // oldest first
};

}  // namespace telemed::plugin
