// Admin API requests (Janus message_plugin → handle_admin_message): the
// controller's room lifecycle, live permission changes and kicks. Synchronous:
// state changes apply before the response; the events they cause for clients
// are queued and sent by the worker right after. The requests, their limits
// and the response shapes are the contract in common/admin_api.hpp; this file
// applies them to the rooms.
#include <algorithm>
#include <string>
#include <vector>

#include "common/admin_api.hpp"
#include "plugin/lobby.hpp"
#include "plugin/media_gate.hpp"
#include "plugin/plugin_core.hpp"

namespace telemed::plugin {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

// The wire names a room's state like the session's status it mirrors.
SessionStatus wire_state(RoomState s) {
    return s == RoomState::Active ? SessionStatus::Active : SessionStatus::Scheduled;
}
RoomState room_state(SessionStatus s) { return s == SessionStatus::Active ? RoomState::Active : RoomState::Scheduled; }

Json refusal(ErrorCode c) { return error_reply(Failure::of(c)); }
Json refusal(ErrorCode c, std::string_view text) { return error_reply(Failure::of(c, text)); }

static_assert(source_bit(Source::Audio) == admin_api::kMuteAudio && source_bit(Source::Video) == admin_api::kMuteVideo &&
                  source_bit(Source::Screen) == admin_api::kMuteScreen,
              "admin_api mute bits are the media gate's source bits");

}  // namespace

Json PluginCore::handle_admin(const json_t* request) {
    Parsed<AdminRequest> parsed = admin_api::parse_request(request);
    if (!parsed.ok()) return error_reply(parsed.failure);
    std::lock_guard lk(mu_);
    return std::visit(Overloaded{
                          [&](const PingRequest&) { return admin_ping(); },
                          [&](const CreateRoomRequest& r) { return admin_create_room(r); },
                          [&](const DestroyRoomRequest& r) { return admin_destroy_room(r); },
                          [&](const ListRoomsRequest&) { return admin_list_rooms(); },
                          [&](const RoomInfoRequest& r) { return admin_room_info(r); },
                          [&](const SetPermissionsRequest& r) { return admin_set_permissions(r); },
                          [&](const KickRequest& r) { return admin_kick(r); },
                          [&](const SnapshotRequest&) { return admin_snapshot(); },
                          [&](const admin_api::FileSharedRequest& r) { return admin_file_shared(r); },
                          [&](const AdminRecordRequest& r) { return admin_record(r); },
                          [&](const StatsRequest&) { return admin_stats(); },
                      },
                      *parsed.value);
}

// {"request":"ping"} → {"telemed":"pong","rooms":N,"instance"}
Json PluginCore::admin_ping() {
    return admin_api::pong_reply(rooms_.size(), instance_);
}

// {"request":"create_room","room","kind","state","recording_policy"?,"revoked"?,"grants"?,
//  "admitted"?,"muted"?,"consents"?}
// → {"telemed":"room_created","room","state","existed"}. Upsert.
Json PluginCore::admin_create_room(const CreateRoomRequest& r) {
    Room* room = find_room(r.room);
    const bool existed = room != nullptr;
    if (existed && room->revoked_count() + r.revoked.size() > kMaxRevokedPerRoom)
        return refusal(ErrorCode::LimitReached, "revoked list full");
    if (existed && room->grant_count() + r.grants.size() > kMaxGrantsPerRoom)
        return refusal(ErrorCode::LimitReached, "grant table full");
    if (!room) {
        if (rooms_.size() >= config_.max_rooms)
            return refusal(ErrorCode::LimitReached, "room limit reached");
        auto fresh = std::make_unique<Room>(r.room, r.kind, room_state(r.state),
                                            r.recording_policy.value_or(RecordingPolicy::Optional));
        room = fresh.get();
        rooms_.emplace(r.room, std::move(fresh));
        notify_locked(nullptr, plugin_notification("room_created", r.room));
        log(LogLevel::Info, "room created: " + r.room);
    }
    const bool starts = existed && room->state() == RoomState::Scheduled && r.state == SessionStatus::Active;
    if (existed) {
        room->set_kind(r.kind);
        if (r.recording_policy) room->set_recording_policy(*r.recording_policy);
        room->advance_state(room_state(r.state));
    }
    static_assert(admin_api::kMaxRevokedInRequest <= kMaxRevokedPerRoom, "a new room always takes a full request");
    for (const std::string& pid : r.revoked) {
        room->revoke(pid);
        kick_member(*room, pid);
    }
    // Stored for later joins only: connected members received their current
    // set through set_permissions when it changed.
    static_assert(admin_api::kMaxGrantsInRequest <= kMaxGrantsPerRoom, "a new room always takes a full request");
    for (const CreateRoomRequest::Grant& g : r.grants)
        room->store_grant(g.participant_id, StoredGrant{g.permissions, g.role, g.display_name});
    // Consents before the admissions: a required room admits on them.
    if (!r.consents.empty()) restore_consents(*room, r);
    if (!r.admitted.empty() || !r.muted.empty()) restore_room_state(*room, r);
    // The session starts: whoever waits with bypass_lobby enters now.
    if (starts) {
        std::vector<std::shared_ptr<Participant>> entering;
        for (const auto& [pid, member] : room->members())
            if (!member->admitted() && lobby::enters_from_lobby(room->state(), member->granted()))
                entering.push_back(member);
        for (const auto& member : entering) enter_or_wait_consent(*room, member);
        if (!entering.empty()) log(LogLevel::Info, "session started: " + std::to_string(entering.size()) +
                                                       " with a lobby ticket, room " + room->id());
    }
    // Required: records while active (started here), consent before admission.
    apply_recording_policy(*room);

    return admin_api::room_created_reply(room->id(), wire_state(room->state()), existed);
}

// {"request":"destroy_room","room"} → {"telemed":"room_destroyed","room","participants_disconnected":N}
Json PluginCore::admin_destroy_room(const DestroyRoomRequest& r) {
    auto it = rooms_.find(r.room);
    if (it == rooms_.end()) return refusal(ErrorCode::NoSuchRoom);
    // The recording stops first: files closed, manifest written, `stopped` sent (worker).
    stop_recording(*it->second, std::nullopt);
    std::unique_ptr<Room> room = std::move(it->second);
    rooms_.erase(it);
    // Members are still referenced by the handle table: no deleter runs here.
    std::vector<std::shared_ptr<Participant>> members;
    for (const auto& [pid, member] : room->members()) members.push_back(member);
    for (const auto& member : members) {
        evict(*room, member);
        push_locked(member, std::nullopt, ended_event());
        close_pc_locked(member);
    }
    notify_locked(nullptr, plugin_notification("room_destroyed", r.room));
    log(LogLevel::Info, "room destroyed: " + r.room + ", " + std::to_string(members.size()) + " disconnected");

    return admin_api::room_destroyed_reply(r.room, members.size());
}

// {"request":"list_rooms"} → {"telemed":"rooms","rooms":[{"room","kind","state","participants"}]}
Json PluginCore::admin_list_rooms() {
    std::vector<admin_api::RoomSummary> list;
    list.reserve(rooms_.size());
    for (const auto& [id, room] : rooms_)
        list.push_back(admin_api::RoomSummary{id, room->kind(), wire_state(room->state()), room->member_count()});
    return admin_api::rooms_reply(list);
}

// {"request":"room_info","room"} → {"telemed":"room","room","kind","state","recording_policy",
//   "participants":[{"participant_id","role","permissions"}],"revoked":N}
Json PluginCore::admin_room_info(const RoomInfoRequest& r) {
    Room* room = find_room(r.room);
    if (!room) return refusal(ErrorCode::NoSuchRoom);
    json_t* arr = json_array();
    for (const auto& [pid, member] : room->members()) {
        json_t* o = json_object();
        json_object_set_new(o, "participant_id", json_str(pid));
        const Role role = member->identity() ? member->identity()->role : Role::Observer;
        json_object_set_new(o, "role", json_str(to_string(role)));
        json_object_set_new(o, "permissions", permissions_to_json(member->granted()).release());
        json_object_set_new(o, "capabilities", permissions_to_json(member->capabilities()).release());
        json_object_set_new(o, "status", json_str(member->admitted() ? "admitted" : "waiting"));
        const MuteState m = room->mute_state(pid);
        json_object_set_new(o, "muted", sources_to_json(m.all()).release());
        json_object_set_new(o, "muted_by_moderator", sources_to_json(m.moderator).release());
        uint8_t publishing = 0;
        for (const PublishedStream& ps : member->negotiated().publishing) publishing |= source_bit(ps.source);
        json_object_set_new(o, "publishing", sources_to_json(publishing).release());
        json_object_set_new(o, "media_ready", json_boolean(member->media_ready()));
        const MediaCounters& c = member->counters();
        json_t* stats = json_object();
        auto put = [&](const char* k, const std::atomic<uint64_t>& v) {
            json_object_set_new(stats, k, json_integer(static_cast<json_int_t>(v.load(std::memory_order_relaxed))));
        };
        put("rtp_in", c.rtp_in);
        put("rtp_forwarded", c.rtp_forwarded);
        put("rtp_replayed", c.rtp_replayed);
        put("rtp_dropped", c.rtp_dropped);
        put("rtcp_dropped", c.rtcp_dropped);
        put("data_dropped", c.data_dropped);
        put("sdp_refused", c.sdp_refused);
        put("rtp_recorded", c.rtp_recorded);
        json_object_set_new(o, "stats", stats);
        const recording::Consent consent = room->consent(pid).value;
        json_object_set_new(o, "consent",
                            consent == recording::Consent::Unanswered ? json_null()
                                                                      : json_boolean(consent == recording::Consent::Yes));
        json_array_append_new(arr, o);
    }
    Json reply = admin_api::room_info_reply(room->id(), room->kind(), wire_state(room->state()),
                                            room->recording_policy(), Json(arr), room->revoked_count());
    Json rec = recording_fields(recording_status(*room));
    json_object_del(rec.get(), "policy");  // room_info has recording_policy
    json_object_set_new(reply.get(), "recording", rec.release());
    return reply;
}

// {"request":"set_permissions","room","participant_id","permissions":[...],"role"?}
// → {"telemed":"permissions_set","room","participant_id","connected"}
Json PluginCore::admin_set_permissions(const SetPermissionsRequest& r) {
    Room* room = find_room(r.room);
    if (!room) return refusal(ErrorCode::NoSuchRoom);
    StoredGrant g{r.permissions, r.role, std::nullopt};
    if (const StoredGrant* old = room->grant(r.participant_id)) {
        if (!g.role) g.role = old->role;
        g.display_name = old->display_name;
    }
    if (!room->store_grant(r.participant_id, g))
        return refusal(ErrorCode::LimitReached, "permission table full");
    std::shared_ptr<Participant> member = room->member(r.participant_id);
    if (member) {
        const bool was_moderator = lobby::sees_waiting_list(member->admitted(), member->capabilities());
        const uint8_t refused_before = not_permitted_sources(member->granted());
        member->set_granted(r.permissions);
        refresh_caps(*room, member);  // live: the media gate reads these bits
        const Role before = member->identity()->role;
        if (r.role) member->set_role(*r.role);
        const Role after = member->identity()->role;
        push_locked(member, std::nullopt, permissions_event(r.permissions, after));
        if (!member->admitted() && lobby::enters_from_lobby(room->state(), r.permissions) &&
            consent_allows_entry(*room, r.participant_id)) {
            admit_member(*room, member);
        } else {
            if (!member->admitted() && lobby::enters_from_lobby(room->state(), r.permissions) &&
                !member->consent_ticket()) {
                member->set_consent_ticket(true);  // waits for its consent only
                broadcast_lobby(*room);
            }
            // The roster shows roles and the sources it may not publish
            // ("not_permitted"): the others' apps say why its camera is off.
            if (before != after || refused_before != not_permitted_sources(r.permissions)) broadcast_roster(*room);
            if (before != after && !member->admitted()) broadcast_lobby(*room);  // the lobby shows roles
            media_changed(*room);  // subscribe may have changed
            if (!was_moderator && lobby::sees_waiting_list(member->admitted(), member->capabilities()))
                push_locked(member, std::nullopt, waiting_event(waiting_list(*room)));
        }
    }
    notify_locked(member, plugin_notification("permissions_set", r.room, r.participant_id));
    log(LogLevel::Info, "permissions set: room " + r.room + " participant " + r.participant_id);

    return admin_api::permissions_set_reply(r.room, r.participant_id, member != nullptr);
}

// {"request":"kick","room","participant_id","reason"?}
// → {"telemed":"kicked","room","participant_id","connected"}. Bans the id in the room.
Json PluginCore::admin_kick(const KickRequest& r) {
    Room* room = find_room(r.room);
    if (!room) return refusal(ErrorCode::NoSuchRoom);
    if (!room->revoke(r.participant_id))
        return refusal(ErrorCode::LimitReached, "revoked list full");
    const bool connected = kick_member(*room, r.participant_id);
    log(LogLevel::Info, "kicked: room " + r.room + " participant " + r.participant_id +
                            (connected ? " (connected)" : ""));

    return admin_api::kicked_reply(r.room, r.participant_id, connected);
}

// create_room's "admitted" and "muted" (sent by the controller's reconciler
// after a Janus restart): an admitted id that is not here now counts as
// departed now, so it rejoins without the lobby within reconnect_grace_s;
// one that is back already and waits in the lobby (the room was re-created
// before the restore, by a create_room without "admitted") is admitted now,
// as by a moderator's admit, if the lobby lets a returning participant in
// (the room is active); mutes are merged (bits OR-ed) into the id's mute
// state and applied at once to a connected member.
void PluginCore::restore_room_state(Room& room, const CreateRoomRequest& r) {
    const int64_t now = host_.now_unix();
    std::vector<std::shared_ptr<Participant>> entering;
    for (const std::string& pid : r.admitted) {
        if (room.is_revoked(pid)) continue;
        std::shared_ptr<Participant> member = room.member(pid);
        if (!member) {
            room.remember_departure(pid, now, config_.reconnect_grace_s);
            continue;
        }
        if (member->admitted() || std::find(entering.begin(), entering.end(), member) != entering.end()) continue;
        lobby::JoinFacts facts;  // its rejoin, as if within reconnect_grace_s
        facts.room_state = room.state();
        facts.previous = lobby::PreviousHandle::Waiting;
        facts.permissions = member->granted();
        facts.returns_within_grace = true;
        if (lobby::decide_join(facts).outcome == lobby::JoinOutcome::Admitted) entering.push_back(member);
    }
    for (const admin_api::MuteEntry& e : r.muted) {
        MuteState m = room.mute_state(e.participant_id);
        const MuteState before = m;
        m.moderator = static_cast<uint8_t>(m.moderator | e.moderator);
        m.self = static_cast<uint8_t>(m.self | e.self);
        if (e.by && (e.moderator & ~before.moderator)) m.by = *e.by;
        room.set_mute_state(e.participant_id, m);
        std::shared_ptr<Participant> member = room.member(e.participant_id);
        if (member && (m.moderator != before.moderator || m.self != before.self)) {
            refresh_caps(room, member);
            push_locked(member, std::nullopt, muted_event(m.all(), m.moderator, m.by));
        }
    }
    // After the mutes, so the capability bits it is admitted with hold them.
    for (const auto& member : entering) enter_or_wait_consent(room, member);
    log(LogLevel::Info, "room state restored: " + room.id() + ", " + std::to_string(r.admitted.size()) +
                            " admitted (" + std::to_string(entering.size()) + " from the lobby), " +
                            std::to_string(r.muted.size()) + " mute states");
}

// create_room's "consents": the answers the controller stored (the latest
// of each active participant, with its recording_consents id), sent with a
// room's restore after a Janus restart, so that nobody has to answer again
// and a required room records (and admits) them at once. An id that has
// answered in this room already (a consent request since the restart: its
// sequence number is not 0) keeps its own answer, which is newer; the others
// take the stored one as if it had just been stored (consent_stored's
// effect: lobby, roster, recorded set). A stored `false` is a withdrawal.
void PluginCore::restore_consents(Room& room, const CreateRoomRequest& r) {
    std::size_t taken = 0;
    for (const CreateRoomRequest::Consent& sc : r.consents) {
        if (room.is_revoked(sc.participant_id)) continue;
        ConsentState c = room.consent(sc.participant_id);
        if (c.seq != 0 || c.value != recording::Consent::Unanswered) continue;  // answered here: newer
        c.value = sc.recording ? recording::Consent::Yes : recording::Consent::No;
        c.consent_id = sc.consent_id;
        if (!room.set_consent(sc.participant_id, c)) break;  // table full (bounded like the grants)
        ++taken;
        consent_changed(room, sc.participant_id);
    }
    log(LogLevel::Info, "consents restored: room " + room.id() + ", " + std::to_string(taken) + " of " +
                            std::to_string(r.consents.size()));
}

// {"request":"snapshot"} → {"telemed":"snapshot","instance","rooms":[{"room","state",
//   "admitted":[...],"muted":[...],"revoked":[...]}]}: what a Janus restart
// would lose, polled by the controller's reconciler.
Json PluginCore::admin_snapshot() {
    admin_api::Snapshot s;
    s.instance = instance_;
    s.rooms.reserve(rooms_.size());
    const int64_t since = host_.now_unix() - config_.reconnect_grace_s;
    for (const auto& [id, room] : rooms_) {
        admin_api::RoomSnapshot rs;
        rs.room = id;
        rs.state = wire_state(room->state());
        for (const auto& [pid, member] : room->members())
            if (member->admitted() && rs.admitted.size() < admin_api::kMaxGrantsInRequest) rs.admitted.push_back(pid);
        for (std::string& pid : room->departed_ids(since)) {
            if (rs.admitted.size() >= admin_api::kMaxGrantsInRequest) break;
            if (!room->member(pid)) rs.admitted.push_back(std::move(pid));
        }
        for (const auto& [pid, m] : room->mutes()) {
            if (rs.muted.size() >= admin_api::kMaxGrantsInRequest) break;
            admin_api::MuteEntry e;
            e.participant_id = pid;
            e.moderator = m.moderator;
            e.self = m.self;
            if (m.moderator != 0 && !m.by.empty()) e.by = m.by;
            rs.muted.push_back(std::move(e));
        }
        for (const std::string& pid : room->revoked()) {
            if (rs.revoked.size() >= admin_api::kMaxRevokedInRequest) break;
            rs.revoked.push_back(pid);
        }
        s.rooms.push_back(std::move(rs));
    }
    return admin_api::snapshot_reply(s);
}

// {"request":"stats"} → {"telemed":"stats","instance","handles":{...},"rooms":{...},
//   "work":{...},"recording":{...}}: the live object counts (admin_api::PluginStats).
// mu_ is held (handle_admin); the queue, the retire list and the stores'
// locks are leaves taken after it, as everywhere else.
Json PluginCore::admin_stats() {
    admin_api::PluginStats s;
    s.handles.attached = handles_.size();
    for (const auto& [h, p] : handles_) {
        if (p->joined()) ++s.handles.joined;
        if (p->media_ready()) ++s.handles.media_ready;
    }
    s.handles.participant_objects = participants_alive_->load(std::memory_order_relaxed);
    s.rooms.count = rooms_.size();
    for (const auto& [id, room] : rooms_) {
        for (const auto& [pid, member] : room->members()) {
            ++s.rooms.members;
            if (member->admitted())
                ++s.rooms.admitted;
            else
                ++s.rooms.waiting;
        }
        const Room::TableSizes t = room->table_sizes();
        s.rooms.grants += t.grants;
        s.rooms.revoked += t.revoked;
        s.rooms.mutes += t.mutes;
        s.rooms.prechecks += t.prechecks;
        s.rooms.consents += t.consents;
        s.rooms.departures += t.departures;
        s.rooms.chat_buckets += t.chat_buckets;
        s.rooms.chat_ids += t.chat_ids;
        const RoomRecording& rec = room->recording();
        if (rec.on) ++s.recording.rooms_recording;
        for (const auto& [pid, tracks] : rec.active) s.recording.tracks_open += tracks.size();
    }
    s.recording.tracks_closing = closing_.size();
    s.recording.manifests_pending = finishing_.size();
    s.work.queued_tasks = queue_.size();
    s.work.retired_views = views_.retired_count();
    s.work.keyframe_captures = slots_.captures_held();
    if (chat_store_) {
        const ChatStore::Backlog b = chat_store_->backlog();
        s.work.chat_rooms = b.rooms;
        s.work.chat_messages = b.messages;
        s.work.chat_history = b.history;
    }
    if (recording_store_) s.work.recording_jobs = recording_store_->backlog();
    s.work.worker_wakeups = worker_wakeups();
    return admin_api::stats_reply(instance_, s);
}

bool PluginCore::kick_member(Room& room, const std::string& participant_id) {
    std::shared_ptr<Participant> member = room.member(participant_id);
    if (!member) return false;
    const bool was_admitted = member->admitted();
    evict(room, member);
    push_locked(member, std::nullopt, kicked_event("removed"));
    close_pc_locked(member);
    if (was_admitted)
        broadcast_roster(room);
    else
        broadcast_lobby(room);
    notify_locked(member, plugin_notification("kicked", room.id(), participant_id));
    return true;
}

}  // namespace telemed::plugin
