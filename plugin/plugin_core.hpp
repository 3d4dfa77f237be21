// PluginCore: the coordinator of janus.plugin.telemed's control plane, free
// of Janus headers. entrypoint.cpp forwards each Janus callback to one method
// here and implements Host; unit tests drive it with a recording Host.
//
// Who does what
//  - PluginCore owns the state mutex, the handle table, the rooms
//    (plugin/room.hpp) and the work queue; it runs client and Admin API
//    requests and turns every state change into queued events.
//    plugin_core.cpp: handle lifecycle, worker, join / leave;
//    negotiation.cpp: configure, PeerConnection up / down, media_changed;
//    moderation.cpp: admit / deny / mute / kick; precheck.cpp: the lobby's
//    pre-call check; admin.cpp: Admin API;
//    chat.cpp: chat / chat_history and their stored outcomes;
//    media_path.cpp: the per-packet path (on_rtp / on_rtcp / on_data).
//  - Lobby (plugin/lobby.hpp): the pure admission rule: admitted, waiting or
//    refused at join; who enters on start; who sees the waiting list.
//  - SlotAssigner (plugin/slots.hpp): which remote source goes on which
//    receiving m-line of each subscriber, and the joiners' kept key frames.
//  - ViewPublisher (plugin/view_publisher.hpp): builds the lock-free
//    MediaViews from that state, swaps them in, retires and frees old ones.
//  - Participant (plugin/participant.hpp): a handle's live capability bits,
//    hazard pointers and control-plane state; the media gate
//    (plugin/media_gate.hpp) decides per packet from those bits.
//
// Threads and locks
//  - mu_ (state mutex) guards the handle table, the rooms and every
//    Participant's identity. It is held only for in-memory work; the host's
//    push_event / close_pc / notify_event are never called under it.
//  - Every effect (an event to a handle, a PeerConnection close, a
//    notification) is queued under mu_, in state-change order, onto the same
//    queue as client messages; the single worker thread (or drain() in tests)
//    runs them with no lock held. So clients see events in the order the
//    state changed, and Janus locks and ours never nest.
//  - The last reference to a Participant is never dropped under mu_ (its
//    deleter gives the Janus handle reference back).
//  - Chat (plugin/chat.cpp, plugin/chat_store.hpp): the worker checks a
//    message under mu_ and hands it to the ChatStore, whose threads post it
//    to the controller with no lock of ours held; the outcome comes back as
//    a ChatStored task on the same queue, and the worker turns it into
//    events (queued under mu_, pushed unlocked like every other). The
//    worker never waits on HTTP.
//  - Recording (plugin/recording.cpp, recording.hpp, recording_rules.hpp):
//    consent answers and recording events go through the RecordingStore's
//    thread like chat; recorders are opened and closed by the worker with
//    no lock held; the media path writes through the TrackRecorder of its
//    view (recorded participants only).
//  - The media path (on_rtp / on_rtcp / on_data, Janus's media threads) takes
//    no lock at all: it reads the sender's capability bits and its MediaView
//    (plugin/media_view.hpp) under a hazard pointer. Views are rebuilt under
//    mu_ on every membership / negotiation change and swapped atomically; the
//    replaced ones go to a retire list (a leaf lock) that the worker frees
//    once no reader holds them (ViewPublisher, plugin/view_publisher.hpp).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <variant>
#include <vector>

#include "common/json.hpp"
#include "common/token.hpp"
#include "plugin/chat_store.hpp"
#include "plugin/errors.hpp"
#include "plugin/events.hpp"
#include "plugin/host.hpp"
#include "plugin/media_view.hpp"
#include "plugin/participant.hpp"
#include "plugin/plugin_config.hpp"
#include "plugin/protocol.hpp"
#include "plugin/recording.hpp"
#include "plugin/recording_store.hpp"
#include "plugin/room.hpp"
#include "plugin/slots.hpp"
#include "plugin/view_publisher.hpp"
#include "plugin/work_queue.hpp"

namespace telemed::plugin {

inline constexpr std::size_t kMaxQueuedMessages = 4096;
inline constexpr std::size_t kMaxHandles = 100000;

class PluginCore {
public:
    PluginCore(Host& host, PluginConfig config, KeyRing keys);
    ~PluginCore();  // stops the worker; drops queued work
    PluginCore(const PluginCore&) = delete;
    PluginCore& operator=(const PluginCore&) = delete;

    const PluginConfig& config() const { return config_; }

    // ---- Janus handle lifecycle (create_session / destroy_session / ...) ----
    // Registers a new handle. false: already known, table full or stopping (the
    // host keeps its reference then). Sets nothing on the host side.
    bool attach(HostHandle h);
    // The raw object for plugin_handle (diagnostics only; look-ups go through
    // the table). nullptr if unknown.
    Participant* find_raw(HostHandle h) const;
    // destroy_session: leaves the room (others are told), marks destroyed.
    // false if the handle was unknown.
    bool detach(HostHandle h);
    // setup_media: the PeerConnection is up; keyframes are requested for it.
    void media_up(HostHandle h);
    // hangup_media: the PeerConnection is gone; the participant stays joined
    // (it may configure again) but publishes and receives nothing.
    void hangup(HostHandle h);

    // ---- media path (Janus media threads; lock-free, allocation-free, noexcept) ----
    // `p` is the handle's Participant (plugin_handle). `buf` may be modified
    // (header rewriting) but is restored before return.
    void on_rtp(Participant& p, int mindex, bool video, uint8_t* buf, std::size_t len, const void* ext) noexcept;
    void on_rtcp(Participant& p, int mindex, bool video, const uint8_t* buf, std::size_t len) noexcept;
    void on_data(Participant& p) noexcept;
    // Frees the key frame captures that are done, and takes back those
    // waiting longer than kCaptureMaxAgeUs (the worker does it on its own;
    // tests call it). Returns the number still held.
    std::size_t sweep_captures();
    // Frees retired views that no reader holds (the worker does it on its own;
    // tests call it). Returns the number still retired.
    std::size_t reclaim_views();
    // Times the worker thread woke up (a task, a nudge or its 250 ms look
    // while views or key frames wait to be freed): an idle plugin adds none.
    uint64_t worker_wakeups() const noexcept { return worker_wakeups_.load(std::memory_order_relaxed); }
    // query_session: {"participant_id","session_id","role","permissions","joined"}
    // (ids only, never tokens). nullptr if unknown.
    Json query(HostHandle h) const;

    // ---- client messages: queued, answered later by the worker ----
    enum class Enqueued { Ok, UnknownHandle, Busy, Stopped };
    Enqueued enqueue_message(HostHandle h, std::optional<std::string> transaction, Json message, Json jsep);

    // ---- Admin API (message_plugin): synchronous, returns the response ----
    Json handle_admin(const json_t* request);

    // ---- chat (plugin/chat.cpp) ----
    // Gives the core its chat store: messages go through `backend` on
    // `threads` store threads (0: nothing runs until pump_chat(), for
    // tests). Call before start_worker(). Without it every chat answers 5030.
    void attach_chat_backend(ChatBackend& backend, std::size_t threads);
    // threads == 0: runs the queued batches / history reads on this thread;
    // their outcomes are queued for the worker (drain()). Returns how many.
    std::size_t pump_chat();

    // ---- recording (plugin/recording.cpp) ----
    // Gives the core its recording store (consents, recording events), like
    // attach_chat_backend. Without it consent=true answers 5031.
    void attach_recording_backend(RecordingBackend& backend, std::size_t threads);
    std::size_t pump_recording();
    // Closes the recorders no view holds any more, writes the manifests of
    // stopped recordings whose files are all closed, handles write failures
    // (the worker does it on its own; tests call it). Returns the number of
    // things still pending (recorders to close, manifests to write, rooms
    // recording).
    std::size_t sweep_recorders();

    // ---- worker ----
    void start_worker();
    void stop_worker();  // idempotent; queued work is dropped; stops the chat store first
    // Runs queued work on the calling thread until the queue is empty (tests;
    // must not be mixed with a running worker). Returns the number of tasks.
    std::size_t drain();

    std::size_t room_count() const;
    std::size_t handle_count() const;

private:
    struct ClientMessage {
        std::shared_ptr<Participant> from;
        std::optional<std::string> transaction;
        Json message;
        Json jsep;
    };
    struct Push {
        std::shared_ptr<Participant> to;
        std::optional<std::string> transaction;
        Json event;
        Json jsep;  // may be null
    };
    struct SendPli {
        std::shared_ptr<Participant> to;
        int mindex = -1;
    };
    struct ClosePc {
        std::shared_ptr<Participant> to;
    };
    struct Notify {
        std::shared_ptr<Participant> about;  // may be null
        Json event;
    };
    // A chat batch came back from the store (chat.cpp).
    struct ChatStored {
        ChatBatchDone done;
    };
    struct ChatHistoryAnswered {
        ChatHistoryDone done;
    };
    // Recorders to open (worker, no lock held), and a consent answer stored.
    struct OpenRecorders {
        std::vector<std::shared_ptr<TrackRecorder>> tracks;
    };
    struct ConsentStored {
        ConsentDone done;
    };
    using Task = std::variant<ClientMessage, Push, ClosePc, Notify, SendPli, ChatStored, ChatHistoryAnswered,
                              OpenRecorders, ConsentStored>;

    void run(Task& task) noexcept;
    void run_client(ClientMessage& m);
    void worker_loop() noexcept;

    // --- helpers below require mu_ held ---
    Room* find_room(std::string_view id);
    void push_locked(const std::shared_ptr<Participant>& to, const std::optional<std::string>& txn, Json event,
                     Json jsep = nullptr);
    void close_pc_locked(const std::shared_ptr<Participant>& to);
    void notify_locked(const std::shared_ptr<Participant>& about, Json event);
    void reply_error(const std::shared_ptr<Participant>& to, const std::optional<std::string>& txn, const Failure& f);
    // reply_error for a request that carried a jsep offer; also has the
    // half-made PeerConnection closed when none was negotiated (negotiation.cpp).
    void refuse_offer(const ClientMessage& m, const Failure& f);
    // Admitted members other than `participant_id`, as the others see them.
    std::vector<RosterEntry> roster_without(const Room& room, std::string_view participant_id) const;
    // `participants` to every admitted member.
    void broadcast_roster(const Room& room);
    std::vector<LobbyEntry> waiting_list(const Room& room) const;
    // `waiting` to every admitted member holding `moderate`.
    void broadcast_lobby(const Room& room);
    // Recomputes the live capability bits from admission, permissions and
    // mutes; requests keyframes when a video source becomes allowed.
    void refresh_caps(const Room& room, const std::shared_ptr<Participant>& p);
    // Waiting -> admitted: events, roster, lobby, media.
    void admit_member(Room& room, const std::shared_ptr<Participant>& p);
    // Removes a member from its room and the room's media: capability bits are
    // cleared first, then the views are rebuilt without it. The caller decides
    // which events the removed one gets.
    void evict(Room& room, const std::shared_ptr<Participant>& p);
    // Slot assignment (slots_) + view rebuild (views_) for the whole room;
    // `streams` events to the members whose assignment changed (except `quiet`).
    void media_changed(Room& room, const Participant* quiet = nullptr);
    void request_keyframes(const std::shared_ptr<Participant>& publisher, bool video_only_sources = true);

    void join(const std::shared_ptr<Participant>& p, const JoinRequest& req, const std::optional<std::string>& txn,
              int64_t now);
    void leave(const std::shared_ptr<Participant>& p, const std::optional<std::string>& txn);
    // configure: the pure work (parse, plan, answer) happens outside mu_.
    void configure(ClientMessage& m, const ConfigureRequest& req);
    void moderate_admit(const std::shared_ptr<Participant>& p, const AdmitRequest& req,
                        const std::optional<std::string>& txn);
    void moderate_mute(const std::shared_ptr<Participant>& p, const MuteRequest& req,
                       const std::optional<std::string>& txn);
    void moderate_kick(const std::shared_ptr<Participant>& p, const ClientKickRequest& req,
                       const std::optional<std::string>& txn);
    // precheck.cpp: a participant's pre-call check, stored in its room.
    void report_precheck(const std::shared_ptr<Participant>& p, const PrecheckRequest& req,
                         const std::optional<std::string>& txn);
    // Checks shared by moderation requests: joined, admitted, `moderate`
    // (unless !need_moderate), target != self. Replies the error and returns
    // null on failure; the caller's room otherwise.
    Room* moderation_room(const std::shared_ptr<Participant>& p, const std::string& target,
                          const std::optional<std::string>& txn, bool need_moderate);

    // chat.cpp (mu_ held for the two requests; the outcomes take it themselves)
    void chat_send(const std::shared_ptr<Participant>& p, ChatRequest& req, const std::optional<std::string>& txn);
    void chat_history(const std::shared_ptr<Participant>& p, const ChatHistoryRequest& req,
                      const std::optional<std::string>& txn);
    void chat_stored(ChatBatchDone& done);
    void chat_history_answered(ChatHistoryDone& done);

    // recording.cpp (mu_ held unless said otherwise)
    void consent(const std::shared_ptr<Participant>& p, const ConsentRequest& req,
                 const std::optional<std::string>& txn);
    void record(const std::shared_ptr<Participant>& p, const RecordRequest& req,
                const std::optional<std::string>& txn);
    void consent_stored(ConsentDone& done);       // takes mu_
    void open_recorders(OpenRecorders& task);     // no lock held; takes mu_ at the end
    Json admin_record(const AdminRecordRequest& r);
    // The room's recording fields; `recorded` = recorded_ids.
    RecordingStatus recording_status(const Room& room) const;
    // Admitted members with stored consent while the room records (and whose
    // writes did not fail), sorted.
    std::vector<std::string> recorded_ids(const Room& room) const;
    // Opens / closes tracks so that exactly the published m-lines of
    // recorded_ids are recorded (media_changed calls it before the views).
    void sync_recording(Room& room);
    // `recording` to every admitted member (but `except`) when what it says changed.
    void tell_recording(Room& room, const Participant* except = nullptr);
    // false and *f: 5032. `by`: the participant who asked (null: the controller / policy).
    bool start_recording(Room& room, std::optional<std::string> id, std::optional<std::string> by, Failure* f);
    // `fault`: why it stops by itself ("write_failed"), kept for the events.
    void stop_recording(Room& room, std::optional<std::string> by, std::string fault = {});
    // Policy side effects after a room's policy or state changed: a required
    // room records when active, a disabled one never; admitted members
    // without consent leave a required room for the lobby.
    void apply_recording_policy(Room& room);
    // Whether a participant the lobby lets in may enter by the recording
    // policy (else it keeps waiting, its consent_ticket set).
    bool consent_allows_entry(const Room& room, const std::string& participant_id) const;
    // Admits `p` (admit_member) or, when it waits only for its consent, marks it so.
    void enter_or_wait_consent(Room& room, const std::shared_ptr<Participant>& p);
    // A consent change of `participant_id` took effect: lobby, roster, recorded set.
    void consent_changed(Room& room, const std::string& participant_id);
    void send_back_to_lobby(Room& room, const std::shared_ptr<Participant>& p);
    // Write failures seen by the media path: stop those rooms' recordings (fault write_failed).
    void handle_recording_faults();
    ManifestTrack* manifest_track(const std::string& room_id, const std::string& recording_id, std::size_t index);
    // ~PluginCore: every recording stopped, files closed, manifests written
    // (no media thread runs any more).
    void finalize_recordings_at_exit() noexcept;
    // Writes the manifest of a stopped recording and queues its `stopped` event (no lock held).
    void finish_recording(const RecordingRecord& r, bool via_store);
    // The media path's write (recorded participants only; media thread).
    void record_packet(Participant& p, TrackRecorder& t, uint8_t* buf, std::size_t len) noexcept;

    Json admin_ping();
    Json admin_create_room(const CreateRoomRequest& r);
    Json admin_destroy_room(const DestroyRoomRequest& r);
    Json admin_list_rooms();
    Json admin_room_info(const RoomInfoRequest& r);
    Json admin_set_permissions(const SetPermissionsRequest& r);
    Json admin_kick(const KickRequest& r);
    Json admin_snapshot();
    Json admin_stats();
    Json admin_file_shared(const admin_api::FileSharedRequest& r);  // plugin/files.cpp
    // create_room's "admitted" / "muted": a room's live state after a Janus restart.
    void restore_room_state(Room& room, const CreateRoomRequest& r);
    // create_room's "consents" (the controller's stored answers, sent with
    // every restore): taken by ids that have not answered in this room yet.
    void restore_consents(Room& room, const CreateRoomRequest& r);
    // Kicks a connected member (reason "removed"); the others get the new
    // roster or lobby. Returns true if it was connected.
    bool kick_member(Room& room, const std::string& participant_id);

    // The media path's pieces (plugin/keyframe_capture.hpp for the kept
    // keyframes); all run on the publisher's media thread.
    // Rewrites seq/ts/PT of `buf` for slot `t` and relays it (the header is
    // left rewritten); `now_us` the monotonic clock. false (nothing sent) for
    // a late packet from before a gap in the slot's stream (rtp.hpp).
    bool relay_to_slot(const Target& t, uint8_t* buf, std::size_t len, const void* ext, int64_t now_us) noexcept;
    // Sends the kept keyframes of every video route of `v` whose subscriber
    // has come up (on any packet of the publisher: audio comes every 20 ms).
    void replay_ready(Participant& p, const MediaView& v, PermissionSet caps) noexcept;
    // Keeps a packet of publisher `p` for `t`'s subscriber, not up yet;
    // false if the capture was taken back meanwhile (not kept).
    bool keep_for(const Participant& p, const Target& t, const uint8_t* buf, std::size_t len,
                  const void* ext) noexcept;
    // Sends what was kept for `t` (m-line `mindex` of `p`), then the capture
    // is Done; a keyframe request to `p` if media_up counted on the capture
    // and nothing valid was kept. Returns the number of packets sent.
    std::size_t replay_to(Participant& p, int mindex, const Target& t) noexcept;

    void log(LogLevel level, std::string_view line) const { host_.log(level, line); }

    Host& host_;
    const PluginConfig config_;
    const KeyRing keys_;
    // Random at construction: tells the controller's reconciler this plugin
    // instance from the one before a Janus restart (admin `snapshot`).
    const std::string instance_;
    // Live Participant objects (admin `stats`): raised by attach, lowered by
    // the object's deleter, wherever its last reference goes (shared: a
    // deleter may run after this core is gone).
    const std::shared_ptr<std::atomic<std::size_t>> participants_alive_ =
        std::make_shared<std::atomic<std::size_t>>(0);

    mutable std::mutex mu_;
    std::unordered_map<HostHandle, std::shared_ptr<Participant>> handles_;
    std::map<std::string, std::unique_ptr<Room>, std::less<>> rooms_;

    WorkQueue<Task> queue_{kMaxQueuedMessages};
    std::thread worker_;
    std::atomic<uint64_t> worker_wakeups_{0};

    // Chat store (chat_store.hpp); null until attach_chat_backend.
    std::unique_ptr<ChatStore> chat_store_;

    // Recording (recording.cpp). Guarded by mu_: recorders left the active
    // set and wait until no view holds them, stopped recordings wait for
    // their files to be closed. The media path raises recording_fault_ (an
    // atomic, no lock, no wake-up) when a write fails; the worker looks.
    std::unique_ptr<RecordingStore> recording_store_;
    std::vector<std::shared_ptr<TrackRecorder>> closing_;
    std::vector<RecordingRecord> finishing_;
    std::atomic<bool> recording_fault_{false};

    SlotAssigner slots_{host_};
    // A retired view nudges the worker, which frees it once no reader holds it.
    ViewPublisher views_{[this] { queue_.nudge(); }};
};

}  // namespace telemed::plugin
