// Moderation requests of clients: admit / deny from the lobby, mute / unmute
// (a moderator's forced mute, or one's own), kick. Each changes the target's
// live capability bits first, so the media gate enforces it from the next
// packet on, whatever the target's client does.
#include <string>

#include "plugin/lobby.hpp"
#include "plugin/plugin_core.hpp"

namespace telemed::plugin {

Room* PluginCore::moderation_room(const std::shared_ptr<Participant>& p, const std::string& target,
                                  const std::optional<std::string>& txn, bool need_moderate) {
    if (!p->identity()) {
        reply_error(p, txn, Failure::of(ErrorCode::NotJoined));
        return nullptr;
    }
    if (!p->admitted()) {
        reply_error(p, txn, Failure::of(ErrorCode::NotAdmitted));
        return nullptr;
    }
    if (need_moderate && !p->may(Permission::Moderate)) {
        reply_error(p, txn, Failure::of(ErrorCode::PermissionDenied, "permission denied: moderate"));
        return nullptr;
    }
    if (need_moderate && target == p->identity()->participant_id) {
        reply_error(p, txn, Failure::of(ErrorCode::CannotTargetSelf));
        return nullptr;
    }
    Room* room = find_room(p->identity()->room_id);
    if (!room) reply_error(p, txn, Failure::of(ErrorCode::NoSuchRoom));
    return room;
}

// {"request":"admit"|"deny","participant_id"} → {"telemed":"ok","request","participant_id"}
void PluginCore::moderate_admit(const std::shared_ptr<Participant>& p, const AdmitRequest& req,
                                const std::optional<std::string>& txn) {
    Room* room = moderation_room(p, req.participant_id, txn, true);
    if (!room) return;
    std::shared_ptr<Participant> target = room->member(req.participant_id);
    const lobby::TargetState state = !target              ? lobby::TargetState::Absent
                                     : target->admitted() ? lobby::TargetState::Admitted
                                                          : lobby::TargetState::Waiting;
    const lobby::ModeratorDecision decision = lobby::decide_admit(state, req.deny);
    if (decision.outcome == lobby::ModeratorOutcome::Refused)
        return reply_error(p, txn, lobby::to_failure(decision.refusal));
    // Required recording: nobody enters without stored consent (the
    // waiting entry says "reason":"consent_required").
    if (decision.outcome == lobby::ModeratorOutcome::Admit &&
        !recording::moderator_admit_allowed(room->recording_policy(), room->consent(req.participant_id).value))
        return reply_error(p, txn, Failure::of(ErrorCode::ConsentRequired));
    const char* request = req.deny ? "deny" : "admit";
    push_locked(p, txn, ok_event(request, req.participant_id));
    if (decision.outcome == lobby::ModeratorOutcome::Deny) {
        evict(*room, target);
        push_locked(target, std::nullopt, denied_event());
        close_pc_locked(target);
        broadcast_lobby(*room);
        notify_locked(target, plugin_notification("denied", room->id(), req.participant_id));
        log(LogLevel::Info, "denied: room " + room->id() + " participant " + req.participant_id);
    } else {
        admit_member(*room, target);
    }
}

// {"request":"mute"|"unmute","participant_id"?,"media"}
void PluginCore::moderate_mute(const std::shared_ptr<Participant>& p, const MuteRequest& req,
                               const std::optional<std::string>& txn) {
    if (!p->identity()) return reply_error(p, txn, Failure::of(ErrorCode::NotJoined));
    const std::string self_id = p->identity()->participant_id;
    const bool self = !req.participant_id || *req.participant_id == self_id;
    const std::string target_id = self ? self_id : *req.participant_id;
    const char* request = req.mute ? "mute" : "unmute";
    Room* room;
    std::shared_ptr<Participant> target;
    if (self) {
        room = find_room(p->identity()->room_id);
        if (!room) return reply_error(p, txn, Failure::of(ErrorCode::NoSuchRoom));
        target = p;
    } else {
        room = moderation_room(p, target_id, txn, true);
        if (!room) return;
        target = room->member(target_id);
        if (!target || !target->admitted())
            return reply_error(p, txn, Failure::of(ErrorCode::NoSuchParticipant));
    }
    MuteState m = room->mute_state(target_id);
    const uint8_t b = source_bit(req.media);
    if (self) {
        if (req.mute) {
            m.self |= b;
        } else {
            if (m.moderator & b) return reply_error(p, txn, Failure::of(ErrorCode::MutedByModerator));
            m.self &= static_cast<uint8_t>(~b);
        }
    } else if (req.mute) {
        m.moderator |= b;
        m.by = self_id;
    } else {
        m.moderator &= static_cast<uint8_t>(~b);
    }
    const MuteState before = room->mute_state(target_id);
    room->set_mute_state(target_id, m);
    refresh_caps(*room, target);  // the gate sees it from the next packet
    push_locked(p, txn, ok_event(request, target_id, req.media));
    if (before.self != m.self || before.moderator != m.moderator) {
        push_locked(target, std::nullopt, muted_event(m.all(), m.moderator, self ? std::string_view{} : m.by));
        broadcast_roster(*room);
        if (!self)
            log(LogLevel::Info, std::string(request) + " by moderator: room " + room->id() + " participant " +
                                    target_id + " " + std::string(to_string(req.media)));
    }
}

// {"request":"kick","participant_id"} → {"telemed":"ok","request":"kick","participant_id"}
void PluginCore::moderate_kick(const std::shared_ptr<Participant>& p, const ClientKickRequest& req,
                               const std::optional<std::string>& txn) {
    Room* room = moderation_room(p, req.participant_id, txn, true);
    if (!room) return;
    std::shared_ptr<Participant> target = room->member(req.participant_id);
    if (!target) return reply_error(p, txn, Failure::of(ErrorCode::NoSuchParticipant));
    if (!room->revoke(req.participant_id))
        return reply_error(p, txn, Failure::of(ErrorCode::LimitReached, "revoked list full"));
    const bool was_admitted = target->admitted();
    evict(*room, target);
    push_locked(p, txn, ok_event("kick", req.participant_id));
    push_locked(target, std::nullopt, kicked_event("kicked"));
    close_pc_locked(target);
    if (was_admitted)
        broadcast_roster(*room);
    else
        broadcast_lobby(*room);
    notify_locked(target, plugin_notification("kicked", room->id(), req.participant_id));
    log(LogLevel::Info, "kicked by moderator: room " + room->id() + " participant " + req.participant_id);
}

}  // namespace telemed::plugin
