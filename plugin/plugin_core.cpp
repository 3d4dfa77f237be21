// Handle lifecycle, the worker and the client requests (join / leave).
// Admin requests live in admin.cpp.
#include "plugin/plugin_core.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <exception>
#include <utility>

#include "common/ids.hpp"
#include "plugin/lobby.hpp"

namespace telemed::plugin {

namespace {
std::optional<bool> consent_value(recording::Consent c) {
    if (c == recording::Consent::Unanswered) return std::nullopt;
    return c == recording::Consent::Yes;
}

std::string new_instance_id() {
    std::random_device rd;
    char buf[33];
    std::snprintf(buf, sizeof buf, "%08x%08x%08x%08x", rd(), rd(), rd(), rd());
    return buf;
}
}  // namespace

PluginCore::PluginCore(Host& host, PluginConfig config, KeyRing keys)
    : host_(host), config_(std::move(config)), keys_(std::move(keys)), instance_(new_instance_id()) {}

PluginCore::~PluginCore() {
    stop_worker();
    queue_.clear();
    // Every recording stops here: files closed, manifests written (Janus's destroy()).
    finalize_recordings_at_exit();
    // Rooms and handles go with the members; participants' deleters hand the
    // host references back. Move them out so no deleter runs under mu_.
    std::unordered_map<HostHandle, std::shared_ptr<Participant>> handles;
    std::map<std::string, std::unique_ptr<Room>, std::less<>> rooms;
    {
        std::lock_guard lk(mu_);
        // Views hold members (and members' views each other): break the cycles.
        for (auto& [h, p] : handles_) views_.clear(p);
        handles.swap(handles_);
        rooms.swap(rooms_);
    }
    // Janus calls no media callback after destroy(): no reader is left.
    views_.free_all();
}

// ---------------------------------------------------------------- lifecycle

bool PluginCore::attach(HostHandle h) {
    if (h == nullptr || queue_.closed()) return false;
    std::lock_guard lk(mu_);
    if (handles_.count(h) != 0 || handles_.size() >= kMaxHandles) return false;
    Host* host = &host_;
    auto* fresh = new Participant(h);
    participants_alive_->fetch_add(1, std::memory_order_relaxed);  // the deleter lowers it (also if this throws)
    std::shared_ptr<Participant> p(fresh, [host, alive = participants_alive_](Participant* q) {
        const HostHandle hh = q->handle();
        const bool release = q->holds_host_ref();
        delete q;
        alive->fetch_sub(1, std::memory_order_relaxed);
        if (release) host->release_handle(hh);
    });
    handles_.emplace(h, p);
    p->set_holds_host_ref();
    return true;
}

Participant* PluginCore::find_raw(HostHandle h) const {
    std::lock_guard lk(mu_);
    auto it = handles_.find(h);
    return it == handles_.end() ? nullptr : it->second.get();
}

bool PluginCore::detach(HostHandle h) {
    std::shared_ptr<Participant> doomed;  // released after mu_, below
    {
        std::lock_guard lk(mu_);
        auto it = handles_.find(h);
        if (it == handles_.end()) return false;
        doomed = std::move(it->second);
        handles_.erase(it);
        doomed->mark_destroyed();
        doomed->set_media_ready(false);
        if (const auto& id = doomed->identity()) {
            const std::string room_id = id->room_id, pid = id->participant_id;
            if (Room* room = find_room(room_id)) {
                const bool was_admitted = doomed->admitted();
                // A dropped connection may come back within the grace period.
                if (was_admitted)
                    room->remember_departure(pid, host_.now_unix(), config_.reconnect_grace_s);
                evict(*room, doomed);
                if (was_admitted)
                    broadcast_roster(*room);
                else
                    broadcast_lobby(*room);
                notify_locked(nullptr, plugin_notification("left", room_id, pid));
            }
            log(LogLevel::Info, "detached while joined: room " + room_id + " participant " + pid);
        }
        views_.clear(doomed);
        doomed->clear();
    }
    return true;
}

Json PluginCore::query(HostHandle h) const {
    std::lock_guard lk(mu_);
    auto it = handles_.find(h);
    if (it == handles_.end()) return nullptr;
    const Participant& p = *it->second;
    Json j(json_object());
    const auto& id = p.identity();
    json_object_set_new(j.get(), "participant_id", id ? json_string(id->participant_id.c_str()) : json_null());
    json_object_set_new(j.get(), "session_id", id ? json_string(id->room_id.c_str()) : json_null());
    json_object_set_new(j.get(), "role",
                        id ? json_stringn(to_string(id->role).data(), to_string(id->role).size()) : json_null());
    json_object_set_new(j.get(), "permissions", permissions_to_json(p.capabilities()).release());
    json_object_set_new(j.get(), "joined", json_boolean(id.has_value()));
    json_object_set_new(j.get(), "status",
                        id ? json_string(p.admitted() ? "admitted" : "waiting") : json_null());
    json_object_set_new(j.get(), "media_ready", json_boolean(p.media_ready()));
    json_object_set_new(j.get(), "destroyed", json_boolean(p.destroyed()));
    return j;
}

std::size_t PluginCore::room_count() const {
    std::lock_guard lk(mu_);
    return rooms_.size();
}

std::size_t PluginCore::handle_count() const {
    std::lock_guard lk(mu_);
    return handles_.size();
}

// ---------------------------------------------------------------- queue / worker

PluginCore::Enqueued PluginCore::enqueue_message(HostHandle h, std::optional<std::string> transaction, Json message,
                                                 Json jsep) {
    if (queue_.closed()) return Enqueued::Stopped;
    std::shared_ptr<Participant> p;
    {
        std::lock_guard lk(mu_);
        auto it = handles_.find(h);
        if (it == handles_.end() || it->second->destroyed()) return Enqueued::UnknownHandle;
        p = it->second;
    }
    if (!queue_.try_push(ClientMessage{p, std::move(transaction), std::move(message), std::move(jsep)}))
        return queue_.closed() ? Enqueued::Stopped : Enqueued::Busy;
    return Enqueued::Ok;
}

void PluginCore::start_worker() {
    if (worker_.joinable()) return;
    worker_ = std::thread([this] { worker_loop(); });
}

void PluginCore::stop_worker() {
    // The store threads first: a batch in flight finishes (or times out) and
    // finds the queue still open or closed; either way nothing waits on it.
    if (chat_store_) chat_store_->stop();
    if (recording_store_) recording_store_->stop();
    queue_.close();
    if (worker_.joinable()) worker_.join();
}

// The worker sleeps until a task comes, or is nudged (retire, a new kept key
// frame). Only while retired views are still in use or key frames are kept
// does it also look every 250 ms: an idle plugin does not wake up.
void PluginCore::worker_loop() noexcept {
    bool pending = false;
    while (true) {
        std::optional<Task> task;
        bool closed = false;
        try {
            task = queue_.pop_wait_for(pending ? std::optional(std::chrono::milliseconds(250)) : std::nullopt, &closed);
        } catch (...) {
            continue;
        }
        if (closed) return;
        worker_wakeups_.fetch_add(1, std::memory_order_relaxed);
        if (task) run(*task);
        // task (and the participant references it holds) dies here, unlocked.
        try {
            const std::size_t views_left = reclaim_views();
            const std::size_t captures_left = sweep_captures();
            // While a room records, the worker also looks every 250 ms for
            // write failures the media path flagged (it cannot wake us).
            const std::size_t recorders_left = sweep_recorders();
            pending = views_left > 0 || captures_left > 0 || recorders_left > 0;
        } catch (...) {
            pending = true;
        }
    }
}

std::size_t PluginCore::drain() {
    std::size_t n = 0;
    while (auto task = queue_.try_pop()) {
        run(*task);
        ++n;
    }
    reclaim_views();
    sweep_captures();
    sweep_recorders();
    return n;
}

std::size_t PluginCore::reclaim_views() { return views_.reclaim(); }

void PluginCore::run(Task& task) noexcept {
    try {
        if (auto* m = std::get_if<ClientMessage>(&task)) {
            run_client(*m);
        } else if (auto* push = std::get_if<Push>(&task)) {
            if (!push->to->destroyed())
                host_.push_event(push->to->handle(), push->transaction ? push->transaction->c_str() : nullptr,
                                 push->event.get(), push->jsep.get());
        } else if (auto* close = std::get_if<ClosePc>(&task)) {
            if (!close->to->destroyed()) host_.close_pc(close->to->handle());
        } else if (auto* note = std::get_if<Notify>(&task)) {
            HostHandle h = note->about && !note->about->destroyed() ? note->about->handle() : nullptr;
            host_.notify_event(h, std::move(note->event));
        } else if (auto* pli = std::get_if<SendPli>(&task)) {
            if (!pli->to->destroyed() && pli->to->media_ready()) host_.send_pli(pli->to->handle(), pli->mindex);
        } else if (auto* stored = std::get_if<ChatStored>(&task)) {
            chat_stored(stored->done);
        } else if (auto* answered = std::get_if<ChatHistoryAnswered>(&task)) {
            chat_history_answered(answered->done);
        } else if (auto* open = std::get_if<OpenRecorders>(&task)) {
            open_recorders(*open);
        } else if (auto* consented = std::get_if<ConsentStored>(&task)) {
            consent_stored(consented->done);
        }
    } catch (const std::exception& e) {
        log(LogLevel::Error, std::string("worker task failed: ") + e.what());
        if (auto* m = std::get_if<ClientMessage>(&task)) {
            try {
                std::lock_guard lk(mu_);
                reply_error(m->from, m->transaction, Failure::of(ErrorCode::Internal));
            } catch (...) {
            }
        }
    } catch (...) {
        log(LogLevel::Error, "worker task failed");
    }
}

// ---------------------------------------------------------------- helpers (mu_ held)

Room* PluginCore::find_room(std::string_view id) {
    auto it = rooms_.find(id);
    return it == rooms_.end() ? nullptr : it->second.get();
}

void PluginCore::push_locked(const std::shared_ptr<Participant>& to, const std::optional<std::string>& txn,
                             Json event, Json jsep) {
    queue_.push(Push{to, txn, std::move(event), std::move(jsep)});
}

void PluginCore::close_pc_locked(const std::shared_ptr<Participant>& to) { queue_.push(ClosePc{to}); }

void PluginCore::notify_locked(const std::shared_ptr<Participant>& about, Json event) {
    if (!config_.events) return;
    queue_.push(Notify{about, std::move(event)});
}

void PluginCore::reply_error(const std::shared_ptr<Participant>& to, const std::optional<std::string>& txn,
                             const Failure& f) {
    push_locked(to, txn, error_event(f));
}

std::vector<RosterEntry> PluginCore::roster_without(const Room& room, std::string_view participant_id) const {
    std::vector<RosterEntry> out;
    out.reserve(room.member_count());
    for (const auto& [pid, member] : room.members()) {
        if (pid == participant_id || !member->admitted()) continue;
        RosterEntry e;
        e.participant_id = pid;
        e.role = member->identity()->role;
        if (const StoredGrant* g = room.grant(pid)) e.display_name = g->display_name;
        for (const PublishedStream& ps : member->negotiated().publishing) e.publishing |= source_bit(ps.source);
        const MuteState m = room.mute_state(pid);
        e.muted = m.all();
        e.muted_by_moderator = m.moderator;
        e.not_permitted = not_permitted_sources(member->granted());
        if (const Precheck* pc = room.precheck(pid)) e.precheck = *pc;
        e.consent = consent_value(room.consent(pid).value);
        out.push_back(std::move(e));
    }
    return out;
}

void PluginCore::broadcast_roster(const Room& room) {
    for (const auto& [pid, member] : room.members())
        if (member->admitted()) push_locked(member, std::nullopt, participants_event(roster_without(room, pid)));
}

std::vector<LobbyEntry> PluginCore::waiting_list(const Room& room) const {
    std::vector<std::pair<uint64_t, LobbyEntry>> waiting;
    for (const auto& [pid, member] : room.members()) {
        if (!member->identity() || member->admitted()) continue;
        LobbyEntry e;
        e.participant_id = pid;
        e.role = member->identity()->role;
        if (const StoredGrant* g = room.grant(pid)) e.display_name = g->display_name;
        if (const Precheck* pc = room.precheck(pid)) e.precheck = *pc;
        e.consent = consent_value(room.consent(pid).value);
        e.consent_required = !consent_allows_entry(room, pid);
        waiting.emplace_back(member->join_order(), std::move(e));
    }
    std::sort(waiting.begin(), waiting.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<LobbyEntry> out;
    out.reserve(waiting.size());
    for (auto& w : waiting) out.push_back(std::move(w.second));
    return out;
}

void PluginCore::broadcast_lobby(const Room& room) {
    std::vector<LobbyEntry> list = waiting_list(room);
    for (const auto& [pid, member] : room.members())
        if (lobby::sees_waiting_list(member->admitted(), member->capabilities()))
            push_locked(member, std::nullopt, waiting_event(list));
}

void PluginCore::refresh_caps(const Room& room, const std::shared_ptr<Participant>& p) {
    if (!p->identity()) {
        p->set_capabilities(0);
        return;
    }
    const PermissionSet before = p->capabilities();
    const PermissionSet after =
        p->admitted() ? without_muted(p->granted(), room.mute_state(p->identity()->participant_id).all()) : 0;
    p->set_capabilities(after);
    // A video source that starts flowing again needs a keyframe at once.
    const PermissionSet video_bits = bit(Permission::PublishVideo) | bit(Permission::PublishScreen);
    if (((after & ~before) & video_bits) != 0) request_keyframes(p);
}

void PluginCore::admit_member(Room& room, const std::shared_ptr<Participant>& p) {
    p->set_admission(Admission::Admitted);
    refresh_caps(room, p);
    const std::string& pid = p->identity()->participant_id;
    push_locked(p, std::nullopt,
                admitted_event(roster_without(room, pid), recording_fields(recording_status(room)).get()));
    for (const auto& [other_id, member] : room.members())
        if (member != p && member->admitted())
            push_locked(member, std::nullopt, participants_event(roster_without(room, other_id)));
    broadcast_lobby(room);  // includes p itself when it moderates
    media_changed(room);
    notify_locked(p, plugin_notification("admitted", room.id(), pid));
    log(LogLevel::Info, "admitted: room " + room.id() + " participant " + pid);
}

void PluginCore::evict(Room& room, const std::shared_ptr<Participant>& p) {
    p->set_capabilities(0);  // the media gate sees this first
    if (const auto& id = p->identity()) {
        auto current = room.member(id->participant_id);
        if (current == p) room.remove_member(id->participant_id);
    }
    p->clear();
    views_.clear(p);
    media_changed(room);
}

// ---------------------------------------------------------------- client requests

void PluginCore::run_client(ClientMessage& m) {
    // Pure work first, outside the lock.
    Parsed<ClientRequest> parsed = parse_client_request(m.message.get());
    if (parsed.ok()) {
        if (auto* c = std::get_if<ConfigureRequest>(&*parsed.value)) {
            configure(m, *c);  // takes mu_ itself, around the host's SDP work
            return;
        }
        if (m.jsep) {
            parsed.value.reset();
            parsed.failure =
                Failure::of(ErrorCode::InvalidElement, "invalid element: jsep (not accepted by this request)");
        }
    }
    const int64_t now = host_.now_unix();

    std::lock_guard lk(mu_);
    if (m.from->destroyed()) return;
    if (!parsed.ok()) {
        refuse_offer(m, parsed.failure);  // an error reply; a jsep's half-made PeerConnection closed
        return;
    }
    if (auto* j = std::get_if<JoinRequest>(&*parsed.value)) {
        join(m.from, *j, m.transaction, now);
    } else if (std::holds_alternative<LeaveRequest>(*parsed.value)) {
        leave(m.from, m.transaction);
    } else if (auto* a = std::get_if<AdmitRequest>(&*parsed.value)) {
        moderate_admit(m.from, *a, m.transaction);
    } else if (auto* mu = std::get_if<MuteRequest>(&*parsed.value)) {
        moderate_mute(m.from, *mu, m.transaction);
    } else if (auto* k = std::get_if<ClientKickRequest>(&*parsed.value)) {
        moderate_kick(m.from, *k, m.transaction);
    } else if (auto* c = std::get_if<ChatRequest>(&*parsed.value)) {
        chat_send(m.from, *c, m.transaction);
    } else if (auto* h = std::get_if<ChatHistoryRequest>(&*parsed.value)) {
        chat_history(m.from, *h, m.transaction);
    } else if (auto* pc = std::get_if<PrecheckRequest>(&*parsed.value)) {
        report_precheck(m.from, *pc, m.transaction);
    } else if (auto* cs = std::get_if<ConsentRequest>(&*parsed.value)) {
        consent(m.from, *cs, m.transaction);
    } else if (auto* rr = std::get_if<RecordRequest>(&*parsed.value)) {
        record(m.from, *rr, m.transaction);
    }
}

void PluginCore::join(const std::shared_ptr<Participant>& p, const JoinRequest& req,
                      const std::optional<std::string>& txn, int64_t now) {
    if (p->identity()) return reply_error(p, txn, Failure::of(ErrorCode::AlreadyJoined));

    VerifyOptions opts;
    opts.issuer = config_.token_issuer;
    opts.now = now;
    opts.leeway = config_.clock_skew;
    VerifyResult v = verify_token(req.token, keys_, opts);
    if (!v.ok()) {
        log(LogLevel::Info, std::string("join refused: token ") + std::string(to_string(v.error)));
        return reply_error(p, txn, Failure::of(error_for(v.error)));
    }
    if (!is_uuid(v.claims.sub) || !is_uuid(v.claims.sid))
        return reply_error(p, txn, Failure::of(ErrorCode::TokenBadClaims));
    const std::string pid = normalize_uuid(v.claims.sub);
    const std::string sid = normalize_uuid(v.claims.sid);

    if (req.session_id && *req.session_id != sid)
        return reply_error(p, txn, Failure::of(ErrorCode::TokenWrongSession));
    Room* room = find_room(sid);
    if (!room) return reply_error(p, txn, Failure::of(ErrorCode::NoSuchRoom));
    std::shared_ptr<Participant> previous = room->member(pid);

    Role role = v.claims.role;
    PermissionSet perms = v.claims.perms & kAllPermissions;
    if (const StoredGrant* g = room->grant(pid)) {  // set_permissions overrides the token
        perms = g->permissions;
        if (g->role) role = *g->role;
    }

    // Ban, seat and lobby: plugin/lobby.hpp decides.
    lobby::JoinFacts facts;
    facts.room_state = room->state();
    facts.revoked = room->is_revoked(pid);
    facts.room_full = room->member_count() >= config_.max_participants_per_room;
    facts.previous = !previous             ? lobby::PreviousHandle::None
                     : previous->admitted() ? lobby::PreviousHandle::Admitted
                                            : lobby::PreviousHandle::Waiting;
    facts.permissions = perms;
    facts.returns_within_grace = room->departed_since(pid, now - config_.reconnect_grace_s);
    const lobby::JoinDecision decision = lobby::decide_join(facts);
    if (decision.outcome == lobby::JoinOutcome::Refused) {
        if (decision.refusal.code == ErrorCode::TokenRevoked)
            log(LogLevel::Info, "join refused: revoked participant " + pid + " room " + sid);
        return reply_error(p, txn, lobby::to_failure(decision.refusal));
    }
    // Required recording: the lobby's ticket counts only with stored consent.
    const bool ticket = decision.outcome == lobby::JoinOutcome::Admitted;
    const bool admitted = ticket && consent_allows_entry(*room, pid);

    if (previous) {  // same participant on another handle: the newest wins
        evict(*room, previous);
        push_locked(previous, std::nullopt, kicked_event("replaced"));
        close_pc_locked(previous);
        notify_locked(previous, plugin_notification("replaced", sid, pid));
        log(LogLevel::Info, "participant " + pid + " replaced on a new handle, room " + sid);
    }

    p->join(Identity{pid, sid, role}, perms, admitted ? Admission::Admitted : Admission::Waiting);
    p->set_consent_ticket(ticket && !admitted);
    p->set_join_order(room->next_join_order());
    room->add_member(pid, p);
    room->forget_departure(pid);
    refresh_caps(*room, p);
    push_locked(p, txn,
                joined_event(sid, pid, role, perms, room->state(), admitted,
                             admitted ? roster_without(*room, pid) : std::vector<RosterEntry>{},
                             recording_fields(recording_status(*room)).get(), !consent_allows_entry(*room, pid)));
    const MuteState mutes = room->mute_state(pid);
    if (mutes.all() != 0) push_locked(p, std::nullopt, muted_event(mutes.all(), mutes.moderator, mutes.by));
    if (admitted) {
        for (const auto& [other_id, member] : room->members())
            if (member != p && member->admitted())
                push_locked(member, std::nullopt, participants_event(roster_without(*room, other_id)));
        if (lobby::sees_waiting_list(p->admitted(), p->capabilities()))
            push_locked(p, std::nullopt, waiting_event(waiting_list(*room)));
    } else {
        broadcast_lobby(*room);
    }
    notify_locked(p, plugin_notification(admitted ? "joined" : "waiting", sid, pid));
    log(LogLevel::Info, std::string(admitted ? "joined: room " : "waiting: room ") + sid + " participant " + pid);
}

void PluginCore::leave(const std::shared_ptr<Participant>& p, const std::optional<std::string>& txn) {
    if (!p->identity()) return reply_error(p, txn, Failure::of(ErrorCode::NotJoined));
    const std::string sid = p->identity()->room_id, pid = p->identity()->participant_id;
    Room* room = find_room(sid);
    if (room) {
        const bool was_admitted = p->admitted();
        if (was_admitted) room->remember_departure(pid, host_.now_unix(), config_.reconnect_grace_s);
        evict(*room, p);
        if (was_admitted)
            broadcast_roster(*room);
        else
            broadcast_lobby(*room);
    } else {
        p->clear();
        views_.clear(p);
    }
    push_locked(p, txn, left_event());
    close_pc_locked(p);
    notify_locked(p, plugin_notification("left", sid, pid));
    log(LogLevel::Info, "left: room " + sid + " participant " + pid);
}

}  // namespace telemed::plugin
