// The plugin Admin API contract: the requests the controller sends to
// janus.plugin.telemed with Janus `message_plugin`, and the plugin's answers.
// Written once, here, and used by both sides (docs/PROTOCOL.md "Admin API" is
// the reference for the wire format):
//  - typed requests and their builders (struct -> JSON body: the controller);
//  - the parser (JSON body -> typed request or a numbered refusal: the
//    plugin), with the limits below; codes in common/plugin_errors.hpp;
//  - the reply builders (the plugin's success shapes; refusals are
//    error_reply in plugin_errors.hpp);
//  - the message_plugin envelope and the controller's reading of Janus's
//    reply (ok / numbered plugin error / no plugin answer).
// tests/unit/test_common_admin_api.cpp checks that every builder's output
// parses back to an equal struct; tests/fuzz fuzzes both parsers.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/json.hpp"
#include "common/permissions.hpp"
#include "common/plugin_errors.hpp"
#include "common/requests.hpp"

namespace telemed::admin_api {

// The Janus package name message_plugin is addressed to.
inline constexpr const char* kPluginPackage = "janus.plugin.telemed";

// ---- limits (docs/PROTOCOL.md "Limits"; over a limit: 4003) ----
inline constexpr std::size_t kMaxRequestBytes = 65536;     // compact serialisation of a request
inline constexpr std::size_t kMaxRevokedInRequest = 1000;  // "revoked" ids in one create_room
inline constexpr std::size_t kMaxGrantsInRequest = 1000;   // "grants" in one create_room
inline constexpr std::size_t kMaxPermissionNames = 32;     // names in one "permissions" array
inline constexpr std::size_t kMaxReasonChars = 200;        // kick "reason"
inline constexpr std::size_t kMaxGrantDisplayNameChars = kMaxDisplayNameChars;  // the REST bound

// ---- requests ----
// Ids are lower-case UUIDs once parsed (normalize_uuid, common/ids.hpp);
// builders send them as given.

// {"request":"ping"} -> pong_reply
struct PingRequest {
    bool operator==(const PingRequest&) const = default;
};

// Media names of a mute state on the wire ("audio", "video", "screen"), as
// bits: the same bits as the plugin's source_bit (plugin/media_gate.hpp
// checks it).
inline constexpr uint8_t kMuteAudio = 1, kMuteVideo = 2, kMuteScreen = 4, kMuteAll = 7;

// A participant's mute state in a room, as the plugin keeps it: what a
// moderator forced (only a moderator lifts it) and what it muted itself.
struct MuteEntry {
    std::string participant_id;
    uint8_t moderator = 0;          // kMute* bits
    uint8_t self = 0;               // kMute* bits
    std::optional<std::string> by;  // participant id of the moderator of the last forced mute
    bool operator==(const MuteEntry&) const = default;
};

// {"request":"create_room","room","kind","state","recording_policy"?,"revoked"?,
//  "grants":[{"participant_id","role","permissions":[...],"display_name"?}]?,
//  "admitted":[pid...]?,"muted":[{"participant_id","moderator":[media],"self":[media],"by"?}]?,
//  "consents":[{"participant_id","recording":bool,"consent_id"}]?}
// -> room_created_reply. An upsert. "admitted" and "muted" restore a room's
// live state after a Janus restart (the controller's room reconciler sends
// what the last `snapshot` showed): an admitted id rejoins without the lobby
// within reconnect_grace_s of the restore, a mute is merged into the id's
// mute state. "consents" are the stored recording consents (the latest
// stored answer of each active participant, with its recording_consents
// id), sent by the reconciler with every restore: an id that has given no
// answer in this room yet takes it as if it had just been stored; an id that
// answered in this room already (after the restart) keeps its own.
struct CreateRoomRequest {
    // The authoritative permission set and role of one participant (the
    // controller's effective set): stored like set_permissions, so a room
    // re-created after a Janus restart still overrides tokens minted before
    // a permission change.
    struct Grant {
        std::string participant_id;
        Role role = Role::Observer;
        PermissionSet permissions = 0;
        std::optional<std::string> display_name;  // shown to the others; never logged
        bool operator==(const Grant&) const = default;
    };
    std::string room;  // the session id
    SessionKind kind = SessionKind::Consultation;
    SessionStatus state = SessionStatus::Scheduled;  // Scheduled or Active only
    std::optional<RecordingPolicy> recording_policy;  // absent: optional (new room) / unchanged
    std::vector<std::string> revoked;  // banned participant ids; sent only when not empty
    std::vector<Grant> grants;         // always sent (possibly [])
    std::vector<std::string> admitted; // sent only when not empty (<= kMaxGrantsInRequest)
    std::vector<MuteEntry> muted;      // sent only when not empty (<= kMaxGrantsInRequest)
    // A stored consent answer of one participant (recording_consents row).
    struct Consent {
        std::string participant_id;
        bool recording = false;  // true = consents; false = refused or withdrew
        std::string consent_id;  // the stored row's id (UUID)
        bool operator==(const Consent&) const = default;
    };
    std::vector<Consent> consents;     // sent only when not empty (<= kMaxGrantsInRequest, one per id)
    bool operator==(const CreateRoomRequest&) const = default;
};

// {"request":"destroy_room","room"} -> room_destroyed_reply; unknown room 4040
struct DestroyRoomRequest {
    std::string room;
    bool operator==(const DestroyRoomRequest&) const = default;
};

// {"request":"list_rooms"} -> rooms_reply
struct ListRoomsRequest {
    bool operator==(const ListRoomsRequest&) const = default;
};

// {"request":"room_info","room"} -> room_info_reply; unknown room 4040
struct RoomInfoRequest {
    std::string room;
    bool operator==(const RoomInfoRequest&) const = default;
};

// {"request":"set_permissions","room","participant_id","role"?,"permissions":[...]}
// -> permissions_set_reply; unknown room 4040
struct SetPermissionsRequest {
    std::string room;
    std::string participant_id;
    PermissionSet permissions = 0;  // the complete effective set
    std::optional<Role> role;       // absent: the stored role is kept
    bool operator==(const SetPermissionsRequest&) const = default;
};

// {"request":"kick","room","participant_id","reason"?} -> kicked_reply; unknown room 4040
struct KickRequest {
    std::string room;
    std::string participant_id;
    // Free text, validated by the parser; the plugin never stores, logs or
    // forwards it.
    std::optional<std::string> reason;
    bool operator==(const KickRequest&) const = default;
};

// {"request":"snapshot"} -> snapshot_reply: every room's live state that a
// Janus restart would lose (admissions, mutes, bans from moderator kicks),
// and the plugin instance id (new at each plugin start: a changed id means
// Janus restarted and lost its rooms).
struct SnapshotRequest {
    bool operator==(const SnapshotRequest&) const = default;
};

// {"request":"stats"} -> stats_reply: how many objects of each kind the
// plugin holds right now (diagnostics: a soak or churn test reads them
// before and after to see that nothing is left behind).
struct StatsRequest {
    bool operator==(const StatsRequest&) const = default;
};

// A stored file as the room hears of it (the REST file resource,
// docs/API.md "Files"): ids lower-case UUIDs, name the sanitised name
// (1..255 bytes of UTF-8, shown to the recipients, never logged), sha256 64
// lower-case hex digits, to 0..50 participant ids (empty = everyone),
// created_at RFC 3339.
struct SharedFile {
    std::string id;
    std::string session_id;
    std::string name;
    int64_t size = 0;
    std::string content_type;
    std::string sha256;
    std::string sender;
    std::vector<std::string> to;
    std::string created_at;
    bool operator==(const SharedFile&) const = default;
};
inline constexpr std::size_t kMaxFileNameBytes = 255;
inline constexpr std::size_t kMaxFileRecipients = 50;
// {"id","session_id","name","size","content_type","sha256","sender","to":[...],"created_at"}
Json shared_file_json(const SharedFile& f);
// The reader of that object (4003 for anything malformed).
std::optional<SharedFile> parse_shared_file(const json_t* j, PluginFailure* f);

// {"request":"file_shared","room","file":{SharedFile}} -> file_shared_reply.
// Sent after the file's row is committed; the plugin tells the admitted
// members it is addressed to ({"telemed":"file","file":{...}}). Unknown room 4040.
struct FileSharedRequest {
    std::string room;
    SharedFile file;
    bool operator==(const FileSharedRequest&) const = default;
};

// {"request":"record","room","action":"start","recording_id"?} and
// {"request":"record","room","action":"stop"} -> recording_reply. Same rules
// as the client request (docs/PROTOCOL.md "record"): 4040 no room, 4060
// policy, 4062 a start naming another id than the one on, 5032 no
// recordings_dir. Without recording_id the plugin makes one (UUID v4).
struct AdminRecordRequest {
    std::string room;
    bool start = true;                          // "start" | "stop"
    std::optional<std::string> recording_id;    // start only
    bool operator==(const AdminRecordRequest&) const = default;
};

using AdminRequest = std::variant<PingRequest, CreateRoomRequest, DestroyRoomRequest, ListRoomsRequest,
                                  RoomInfoRequest, SetPermissionsRequest, KickRequest, SnapshotRequest,
                                  FileSharedRequest, AdminRecordRequest, StatsRequest>;

// Builders: the JSON body of a request (the "request" member of
// message_plugin), keys in the order of docs/PROTOCOL.md.
Json build_request(const PingRequest& r);
Json build_request(const CreateRoomRequest& r);
Json build_request(const DestroyRoomRequest& r);
Json build_request(const ListRoomsRequest& r);
Json build_request(const RoomInfoRequest& r);
Json build_request(const SetPermissionsRequest& r);
Json build_request(const KickRequest& r);
Json build_request(const SnapshotRequest& r);
Json build_request(const FileSharedRequest& r);
Json build_request(const AdminRecordRequest& r);
Json build_request(const StatsRequest& r);
Json build_request(const AdminRequest& r);

// The parser: a request body (borrowed) becomes a typed request, or a
// refusal 4001 (not an object), 4002 (request missing or unknown) or 4003
// (unknown field, wrong type, bad value, over a limit). Texts never echo input.
Parsed<AdminRequest> parse_request(const json_t* body);

// ---- replies (the plugin's "response" object) ----
// Every success answer is {"telemed":<kind>,...}; refusals are error_reply
// (common/plugin_errors.hpp).

// {"telemed":"pong","rooms":N,"instance"?}: `instance` (when not empty) is the
// plugin instance id of `snapshot` (the controller notices a Janus restart by it).
Json pong_reply(std::size_t rooms, std::string_view instance = {});
// The instance id of a pong reply; "" if none or malformed.
std::string pong_instance(const json_t* response);
// {"telemed":"room_created","room","state","existed"}: `state` the room's real state
Json room_created_reply(std::string_view room, SessionStatus state, bool existed);
// {"telemed":"room_destroyed","room","participants_disconnected":N}
Json room_destroyed_reply(std::string_view room, std::size_t participants_disconnected);
// One entry of list_rooms.
struct RoomSummary {
    std::string room;
    SessionKind kind = SessionKind::Consultation;
    SessionStatus state = SessionStatus::Scheduled;
    std::size_t participants = 0;  // joined participants (those waiting in the lobby too)
    bool operator==(const RoomSummary&) const = default;
};
// {"telemed":"rooms","rooms":[{"room","kind","state","participants"}]}
Json rooms_reply(const std::vector<RoomSummary>& rooms);
// The reader of that answer (controller side: the session lifecycle job's
// presence check): nullopt for anything malformed or over kMaxSnapshotRooms
// rooms (room ids must be UUIDs; they come back lower-case).
std::optional<std::vector<RoomSummary>> parse_rooms_reply(const json_t* response);
// {"telemed":"room","room","kind","state","recording_policy","participants":[...],"revoked":N}.
// `participants` (an array, taken) holds the plugin's per-member view
// (docs/PROTOCOL.md "room_info"): its media vocabulary stays in plugin/.
Json room_info_reply(std::string_view room, SessionKind kind, SessionStatus state, RecordingPolicy policy,
                     Json participants, std::size_t revoked);
// {"telemed":"permissions_set","room","participant_id","connected"}
Json permissions_set_reply(std::string_view room, std::string_view participant_id, bool connected);
// {"telemed":"kicked","room","participant_id","connected"}
Json kicked_reply(std::string_view room, std::string_view participant_id, bool connected);
// A room's recording as the record answer and room_info show it.
struct RecordingState {
    bool on = false;
    std::optional<std::string> recording_id;
    RecordingPolicy policy = RecordingPolicy::Optional;
    std::vector<std::string> recorded;  // participant ids whose tracks are being written
    bool operator==(const RecordingState&) const = default;
};
// {"telemed":"recording","room","state":"on"|"off","recording_id":uuid|null,"policy","recorded":[...]}
Json recording_reply(std::string_view room, const RecordingState& s);
// The reader of that answer (controller side): nullopt if malformed.
std::optional<RecordingState> parse_recording_reply(const json_t* response);
// {"telemed":"file_shared","room","file_id","delivered":N}
Json file_shared_reply(std::string_view room, std::string_view file_id, std::size_t delivered);

// One room of a snapshot: ids admitted (joined and admitted, or admitted and
// gone less than reconnect_grace_s ago), mute states, and banned ids. Each
// list is cut at kMaxGrantsInRequest (admitted, muted) / kMaxRevokedInRequest
// (revoked) so that it fits a create_room.
struct RoomSnapshot {
    std::string room;
    SessionStatus state = SessionStatus::Scheduled;
    std::vector<std::string> admitted;
    std::vector<MuteEntry> muted;
    std::vector<std::string> revoked;
    bool operator==(const RoomSnapshot&) const = default;
};
struct Snapshot {
    std::string instance;  // 1..64 printable ASCII
    std::vector<RoomSnapshot> rooms;
    bool operator==(const Snapshot&) const = default;
};
inline constexpr std::size_t kMaxInstanceChars = 64;
inline constexpr std::size_t kMaxSnapshotRooms = 100000;
// {"telemed":"snapshot","instance","rooms":[RoomSnapshot...]}
Json snapshot_reply(const Snapshot& s);
// {"room","state","admitted":[...],"muted":[{"participant_id","moderator":[...],"self":[...],"by"?}],"revoked":[...]}
// (also the form the controller stores it in).
Json room_snapshot_json(const RoomSnapshot& r);
// The readers (controller side): nullopt for anything malformed or over a
// limit (ids must be UUIDs; they come back lower-case).
std::optional<RoomSnapshot> parse_room_snapshot(const json_t* j);
std::optional<Snapshot> parse_snapshot_reply(const json_t* response);

// The plugin's live object counts (docs/PROTOCOL.md "stats"). Everything a
// handle, a participant or a room leaves behind is counted somewhere here,
// so after every client has gone the handle and participant counts are 0,
// and after every room is destroyed all of them are (but worker_wakeups).
struct PluginStats {
    struct Handles {
        std::size_t attached = 0;             // Janus handles in the plugin's handle table
        std::size_t joined = 0;               // of those, joined to a room
        std::size_t media_ready = 0;          // of those, with their PeerConnection up
        std::size_t participant_objects = 0;  // live Participant objects: the table's, and those
                                              // still held by queued work or retired views
        bool operator==(const Handles&) const = default;
    } handles;
    struct Rooms {
        std::size_t count = 0;
        std::size_t members = 0;  // joined participants, admitted or waiting
        std::size_t admitted = 0;
        std::size_t waiting = 0;  // the lobbies
        // Per-id tables of the rooms (they live as long as their room, bounded per room).
        std::size_t grants = 0, revoked = 0, mutes = 0, prechecks = 0, consents = 0, departures = 0;
        std::size_t chat_buckets = 0, chat_ids = 0;
        bool operator==(const Rooms&) const = default;
    } rooms;
    struct Work {
        std::size_t queued_tasks = 0;       // the worker's queue (client messages, events, closes...)
        std::size_t retired_views = 0;      // media views waiting to be freed
        std::size_t keyframe_captures = 0;  // kept key frames not freed yet
        std::size_t chat_rooms = 0;         // chat store: rooms with queued or in-flight messages
        std::size_t chat_messages = 0;      // chat store: queued messages
        std::size_t chat_history = 0;       // chat store: queued history reads
        std::size_t recording_jobs = 0;     // recording store: queued consents and events
        uint64_t worker_wakeups = 0;        // since the plugin started (not a count of objects)
        bool operator==(const Work&) const = default;
    } work;
    struct Recording {
        std::size_t rooms_recording = 0;
        std::size_t tracks_open = 0;         // recorders of the rooms recording
        std::size_t tracks_closing = 0;      // recorders left, waiting to be closed
        std::size_t manifests_pending = 0;   // stopped recordings waiting for their files
        bool operator==(const Recording&) const = default;
    } recording;
    bool operator==(const PluginStats&) const = default;
};
// {"telemed":"stats","instance","handles":{...},"rooms":{...},"work":{...},"recording":{...}}
Json stats_reply(std::string_view instance, const PluginStats& s);

// The "telemed" kind of an answer ("pong", "error", ...); "" if none.
std::string_view reply_kind(const json_t* response);

// ---- the Janus Admin API envelope (controller side) ----

// {"janus":"message_plugin","transaction","admin_secret","plugin":kPluginPackage,
//  "request":<request>}. `request` is borrowed; nullptr unless it is an
// object. Holds the secret: never log it.
Json build_message_plugin(const json_t* request, std::string_view admin_secret, std::string_view transaction);
// {"janus":"ping","transaction","admin_secret"} (Janus itself answers).
Json build_janus_ping(std::string_view admin_secret, std::string_view transaction);

// The reading of Janus's reply to message_plugin. Exactly one of: ok, a
// plugin error (plugin_error 1..1000000) or unreachable.
struct Reply {
    bool ok = false;           // Janus success and a plugin answer that is not an error
    bool unreachable = false;  // no plugin answer: Janus error, malformed reply, another
                               // transaction (the HTTP client also sets it on transport failure)
    int plugin_error = 0;      // "error_code" of a {"telemed":"error"} answer
    std::string error;         // short text for logs; never echoes the reply
    Json response;             // the plugin's answer when ok or a plugin error
    bool refused_with(PluginError c) const { return !unreachable && plugin_error == to_int(c); }
};
//   {"janus":"success","response":{"telemed":"error","error_code":N}} -> plugin error N
//   {"janus":"success","response":{...}}                             -> ok
//   {"janus":"error",...}, not a JSON object, duplicate keys, another
//   "transaction", no response object, an error without a valid code -> unreachable
Reply parse_message_plugin_reply(std::string_view body, std::string_view transaction);
// True for {"janus":"pong"} with no or our transaction.
bool parse_ping_reply(std::string_view body, std::string_view transaction);

}  // namespace telemed::admin_api
