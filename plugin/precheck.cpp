// The client's `precheck` request (plugin/precheck.hpp) applied to the room.
#include "plugin/precheck.hpp"

#include <string>

#include "plugin/plugin_core.hpp"

namespace telemed::plugin {

// {"request":"precheck","result","camera"?,"microphone"?}
//   → {"telemed":"ok","request":"precheck","result"}
// Any joined participant, waiting or admitted. Stored under its participant
// id in the room (replacing the previous report as a whole); when it changed,
// the moderators get a new `waiting` list (the participant waits) or every
// admitted member a new roster (it is admitted): both entries carry it.
void PluginCore::report_precheck(const std::shared_ptr<Participant>& p, const PrecheckRequest& req,
                                 const std::optional<std::string>& txn) {
    if (!p->identity()) return reply_error(p, txn, Failure::of(ErrorCode::NotJoined));
    Room* room = find_room(p->identity()->room_id);
    if (!room) return reply_error(p, txn, Failure::of(ErrorCode::NoSuchRoom));
    const std::string& pid = p->identity()->participant_id;
    const Precheck* before = room->precheck(pid);
    const bool changed = !before || !(*before == req.precheck);
    if (changed && !room->set_precheck(pid, req.precheck))
        return reply_error(p, txn, Failure::of(ErrorCode::LimitReached, "precheck table full"));
    push_locked(p, txn, precheck_ok_event(req.precheck));
    if (!changed) return;
    if (p->admitted())
        broadcast_roster(*room);
    else
        broadcast_lobby(*room);
    log(LogLevel::Info, "precheck: room " + room->id() + " participant " + pid + " " +
                            std::string(to_string(req.precheck.result)));
}

}  // namespace telemed::plugin
