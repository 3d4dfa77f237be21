// Shared files in the room (docs/PROTOCOL.md "Files"): the controller stores
// the file, then tells the plugin with the Admin API request
//   {"request":"file_shared","room","file":{id, session_id, name, size,
//     content_type, sha256, sender, to, created_at}}
// and the plugin pushes {"telemed":"file","file":{...}} to the admitted
// members it is addressed to: everyone admitted (the sender included) when
// `to` is empty, else the sender and the listed ids. Waiting members hear
// nothing (they can list the files once admitted). Answer:
//   {"telemed":"file_shared","room","file_id","delivered":N}; unknown room 4040.
// The file's name is never logged.
#include <algorithm>

#include "common/admin_api.hpp"
#include "plugin/plugin_core.hpp"

namespace telemed::plugin {

Json PluginCore::admin_file_shared(const admin_api::FileSharedRequest& r) {
    Room* room = find_room(r.room);
    if (!room) return error_reply(Failure::of(ErrorCode::NoSuchRoom));
    const admin_api::SharedFile& f = r.file;
    std::size_t delivered = 0;
    for (const auto& [pid, member] : room->members()) {
        if (!member->admitted()) continue;
        const bool addressed =
            f.to.empty() || pid == f.sender || std::find(f.to.begin(), f.to.end(), pid) != f.to.end();
        if (!addressed) continue;
        Json event(json_object());
        json_object_set_new(event.get(), "telemed", json_string("file"));
        json_object_set_new(event.get(), "file", admin_api::shared_file_json(f).release());
        push_locked(member, std::nullopt, std::move(event));
        ++delivered;
    }
    log(LogLevel::Info, "file shared: room " + r.room + " file " + f.id + ", told " + std::to_string(delivered));
    return admin_api::file_shared_reply(r.room, f.id, delivered);
}

}  // namespace telemed::plugin
