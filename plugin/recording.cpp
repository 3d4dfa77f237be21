// Consent-gated recording in PluginCore (docs/PROTOCOL.md "Recording",
// docs/DESIGN.md "Recording"; the rules: recording_rules.hpp).
//
//   {"request":"consent","recording":true|false}   any joined participant
//       true: stored first through the controller (RecordingStore, POST
//       /internal/v1/consents); effective only after a 2xx, answered then
//       {"telemed":"consent","recording":true,"consent_id"}; failure 5031
//       (retryable), nothing changed. false: effective at once (the views
//       lose its recorders before the next packet), then stored (best
//       effort); answered {"telemed":"consent","recording":false,"consent_id":uuid|null}.
//   {"request":"record","action":"start"|"stop"}   admitted holders of `record`
//       answered with the `recording` event; 4060 / 5032 by the rules.
//   Admin {"request":"record","room","action","recording_id"?} -> {"telemed":"recording","room",...}
//
// Files and threads: sync_recording (mu_) decides which tracks are open and
// puts their TrackRecorders into the views; the worker opens them (no lock),
// closes them once no view holds them, and writes manifest.json when a
// stopped recording's files are all closed. The controller hears "started"
// / "stopped" through the RecordingStore. Logs carry ids only.
#include <algorithm>
#include <utility>

#include "common/ids.hpp"
#include "plugin/lobby.hpp"
#include "plugin/plugin_core.hpp"

namespace telemed::plugin {
namespace {

using recording::Consent;

Json consent_unavailable_event() {
    Json ev = error_event(Failure::of(ErrorCode::ConsentUnavailable));
    json_object_set_new(ev.get(), "retryable", json_true());
    return ev;
}

}  // namespace

void PluginCore::attach_recording_backend(RecordingBackend& backend, std::size_t threads) {
    recording_store_ = std::make_unique<RecordingStore>(
        backend, threads, [this](ConsentDone done) { queue_.push(ConsentStored{std::move(done)}); });
    recording_store_->start();
}

std::size_t PluginCore::pump_recording() { return recording_store_ ? recording_store_->pump() : 0; }

// ---------------------------------------------------------------- state (mu_ held)

std::vector<std::string> PluginCore::recorded_ids(const Room& room) const {
    std::vector<std::string> out;
    const RoomRecording& rec = room.recording();
    if (!rec.on) return out;
    for (const auto& [pid, member] : room.members())
        if (recording::records(rec.on, member->admitted(), room.consent(pid).value))
            out.push_back(pid);
    return out;  // members() is ordered: sorted
}

RecordingStatus PluginCore::recording_status(const Room& room) const {
    RecordingStatus s;
    s.on = room.recording().on;
    if (s.on) s.recording_id = room.recording().record.recording_id;
    s.policy = room.recording_policy();
    s.recorded = recorded_ids(room);
    if (!s.on) s.fault = room.recording().fault;
    return s;
}

void PluginCore::sync_recording(Room& room) {
    RoomRecording& rec = room.recording();
    const int64_t now = host_.now_unix_micros();
    // What must be written now: (participant, mindex) -> source.
    std::map<std::pair<std::string, int>, Source> want;
    for (const std::string& pid : recorded_ids(room)) {
        auto member = room.member(pid);
        for (const PublishedStream& ps : member->negotiated().publishing) want[{pid, ps.mindex}] = ps.source;
    }
    // Close what is no longer wanted (or now carries another source).
    for (auto pit = rec.active.begin(); pit != rec.active.end();) {
        auto& tracks = pit->second;
        for (auto tit = tracks.begin(); tit != tracks.end();) {
            auto w = want.find({pit->first, tit->first});
            if (w != want.end() && w->second == tit->second->source) {
                ++tit;
                continue;
            }
            std::shared_ptr<TrackRecorder> t = std::move(tit->second);
            t->stopping.store(true, std::memory_order_release);
            if (t->manifest_index < rec.record.tracks.size()) rec.record.tracks[t->manifest_index].stopped_us = now;
            closing_.push_back(std::move(t));  // closed by the worker once no view holds it
            tit = tracks.erase(tit);
        }
        pit = tracks.empty() ? rec.active.erase(pit) : std::next(pit);
    }
    if (!rec.on) return;
    // Open what is new: a new file per (re)start.
    OpenRecorders task;
    for (const auto& [key, source] : want) {
        auto& tracks = rec.active[key.first];
        if (tracks.count(key.second) != 0) continue;
        auto t = std::make_shared<TrackRecorder>();
        t->room_id = room.id();
        t->recording_id = rec.record.recording_id;
        t->dir = rec.record.dir;
        t->participant_id = key.first;
        t->source = source;
        t->mindex = key.second;
        t->codec = is_video(source) ? "vp8" : "opus";
        const int n = rec.next_n[{key.first, source}]++;
        t->name = key.first + "-" + std::string(to_string(source)) + "-" + std::to_string(n);
        t->manifest_index = rec.record.tracks.size();
        ManifestTrack m;
        m.file = t->name + ".mjr";
        m.participant = key.first;
        m.source = source;
        m.codec = t->codec;
        m.consent_id = room.consent(key.first).consent_id;
        m.started_us = now;
        rec.record.tracks.push_back(std::move(m));
        tracks.emplace(key.second, t);
        task.tracks.push_back(std::move(t));
    }
    if (!task.tracks.empty()) queue_.push(std::move(task));
}

void PluginCore::tell_recording(Room& room, const Participant* except) {
    RoomRecording& rec = room.recording();
    RecordingStatus s = recording_status(room);
    const std::string id = s.recording_id.value_or(std::string());
    if (s.on == rec.told_on && id == rec.told_id && s.fault == rec.told_fault && s.recorded == rec.told_recorded)
        return;
    rec.told_on = s.on;
    rec.told_id = id;
    rec.told_fault = s.fault;
    rec.told_recorded = s.recorded;
    for (const auto& [pid, member] : room.members())
        if (member->admitted() && member.get() != except) push_locked(member, std::nullopt, recording_event(s));
}

bool PluginCore::start_recording(Room& room, std::optional<std::string> id, std::optional<std::string> by,
                                 Failure* f) {
    if (config_.recordings_dir.empty()) {
        *f = Failure::of(ErrorCode::RecordingUnavailable, "recording unavailable: no recordings_dir");
        return false;
    }
    const std::string rid = id ? *id : new_uuid_v4();
    const std::string dir = config_.recordings_dir + "/" + room.id() + "/" + rid;
    if (!host_.make_dirs(dir)) {
        log(LogLevel::Error, "recording folder cannot be made: room " + room.id() + " recording " + rid);
        *f = Failure::of(ErrorCode::RecordingUnavailable, "recording unavailable: folder cannot be made");
        return false;
    }
    RoomRecording& rec = room.recording();
    rec.on = true;
    rec.record = RecordingRecord{};
    rec.record.room_id = room.id();
    rec.record.recording_id = rid;
    rec.record.dir = dir;
    rec.record.started_us = host_.now_unix_micros();
    rec.record.started_by = by;
    rec.active.clear();
    rec.next_n.clear();
    rec.fault.clear();
    if (recording_store_) {
        RecordingEventMsg ev{room.id(), rid, "started", by, rec.record.started_us, nullptr, {}};
        if (!recording_store_->submit_event(std::move(ev)))
            log(LogLevel::Warn, "recording event not queued: room " + room.id() + " recording " + rid + " started");
    }
    log(LogLevel::Info, "recording started: room " + room.id() + " recording " + rid);
    media_changed(room);  // opens the recorded participants' tracks, views carry them
    return true;
}

void PluginCore::stop_recording(Room& room, std::optional<std::string> by, std::string fault) {
    RoomRecording& rec = room.recording();
    if (!rec.on) return;
    rec.on = false;
    rec.fault = fault;
    rec.record.stopped_us = host_.now_unix_micros();
    rec.record.stopped_by = by;
    rec.record.fault = std::move(fault);
    media_changed(room);  // every track leaves the views and waits to be closed
    log(rec.fault.empty() ? LogLevel::Info : LogLevel::Error,
        "recording stopped" + (rec.fault.empty() ? std::string() : " (" + rec.fault + ")") + ": room " + room.id() +
            " recording " + rec.record.recording_id + ", " + std::to_string(rec.record.tracks.size()) + " track(s)");
    finishing_.push_back(std::move(rec.record));
    rec.record = RecordingRecord{};
    rec.active.clear();
    queue_.nudge();
}

void PluginCore::apply_recording_policy(Room& room) {
    switch (recording::auto_action(room.recording_policy(), room.state() == RoomState::Active, room.recording().on,
                                   !room.recording().fault.empty())) {
        case recording::AutoAction::Start: {
            Failure f;
            if (!start_recording(room, std::nullopt, std::nullopt, &f))
                log(LogLevel::Warn, "required recording could not start: room " + room.id() + " (" + f.text + ")");
            break;
        }
        case recording::AutoAction::Stop: stop_recording(room, std::nullopt); break;
        case recording::AutoAction::None: break;
    }
    // A room that became `required`: nobody stays admitted without consent.
    std::vector<std::shared_ptr<Participant>> back;
    for (const auto& [pid, member] : room.members())
        if (member->admitted() && !consent_allows_entry(room, pid)) back.push_back(member);
    for (const auto& member : back) send_back_to_lobby(room, member);
    tell_recording(room);
}

bool PluginCore::consent_allows_entry(const Room& room, const std::string& participant_id) const {
    return recording::gate_entry(room.recording_policy(), room.consent(participant_id).value) ==
           recording::Entry::Enters;
}

void PluginCore::enter_or_wait_consent(Room& room, const std::shared_ptr<Participant>& p) {
    if (consent_allows_entry(room, p->identity()->participant_id)) {
        p->set_consent_ticket(false);
        admit_member(room, p);
        return;
    }
    if (!p->consent_ticket()) {
        p->set_consent_ticket(true);
        broadcast_lobby(room);
    }
}

void PluginCore::send_back_to_lobby(Room& room, const std::shared_ptr<Participant>& p) {
    const std::string pid = p->identity()->participant_id;
    p->set_admission(Admission::Waiting);
    p->set_consent_ticket(true);
    refresh_caps(room, p);  // zero: the gate drops its next packet
    push_locked(p, std::nullopt, lobby_event("consent_required"));
    media_changed(room);
    broadcast_roster(room);
    broadcast_lobby(room);
    notify_locked(p, plugin_notification("waiting", room.id(), pid));
    log(LogLevel::Info, "back to the lobby (consent required): room " + room.id() + " participant " + pid);
}

void PluginCore::consent_changed(Room& room, const std::string& participant_id) {
    std::shared_ptr<Participant> member = room.member(participant_id);
    if (!member) return;  // kept for its next join
    const recording::ConsentEffect effect =
        recording::consent_effect(room.recording_policy(), member->admitted(), member->consent_ticket(),
                                  room.consent(participant_id).value);
    switch (effect) {
        case recording::ConsentEffect::BackToLobby: send_back_to_lobby(room, member); break;
        case recording::ConsentEffect::Enters:
            member->set_consent_ticket(false);
            admit_member(room, member);
            break;
        case recording::ConsentEffect::None:
            if (member->admitted()) {
                media_changed(room);  // its recorders come or go with the views
                broadcast_roster(room);
            } else {
                broadcast_lobby(room);
            }
            break;
    }
}

// ---------------------------------------------------------------- client requests (mu_ held)

void PluginCore::consent(const std::shared_ptr<Participant>& p, const ConsentRequest& req,
                         const std::optional<std::string>& txn) {
    if (!p->identity()) return reply_error(p, txn, Failure::of(ErrorCode::NotJoined));
    const std::string sid = p->identity()->room_id, pid = p->identity()->participant_id;
    Room* room = find_room(sid);
    if (!room) return reply_error(p, txn, Failure::of(ErrorCode::NoSuchRoom));
    ConsentState c = room->consent(pid);
    ++c.seq;
    if (req.recording) {
        // Deny by default: nothing changes until the controller stored it.
        if (!recording_store_) return push_locked(p, txn, consent_unavailable_event());
        if (!room->set_consent(pid, c)) return reply_error(p, txn, Failure::of(ErrorCode::LimitReached, "consent table full"));
        if (!recording_store_->submit_consent(PendingConsent{sid, pid, true, c.seq, p, txn}))
            return push_locked(p, txn, consent_unavailable_event());
        return;  // answered by consent_stored
    }
    // A withdrawal takes effect at once, then is stored (best effort).
    c.value = Consent::No;
    c.consent_id.reset();
    if (!room->set_consent(pid, c)) return reply_error(p, txn, Failure::of(ErrorCode::LimitReached, "consent table full"));
    consent_changed(*room, pid);
    log(LogLevel::Info, "consent withdrawn: room " + sid + " participant " + pid);
    if (recording_store_ && recording_store_->submit_consent(PendingConsent{sid, pid, false, c.seq, p, txn})) return;
    if (recording_store_) log(LogLevel::Warn, "consent withdrawal not stored (queue full): room " + sid + " participant " + pid);
    push_locked(p, txn, consent_event(false, std::nullopt));
}

void PluginCore::consent_stored(ConsentDone& done) {
    std::lock_guard lk(mu_);
    const PendingConsent& r = done.request;
    Room* room = find_room(r.room_id);
    if (!r.recording) {
        if (!done.stored)
            log(LogLevel::Warn, "consent withdrawal not stored: room " + r.room_id + " participant " + r.participant_id);
        std::optional<std::string> id;
        if (done.stored) {
            id = done.consent_id;
            if (room) {
                ConsentState c = room->consent(r.participant_id);
                if (c.seq == r.seq) {
                    c.consent_id = id;
                    room->set_consent(r.participant_id, c);
                }
            }
        }
        if (!r.from->destroyed()) push_locked(r.from, r.transaction, consent_event(false, id));
        return;
    }
    if (!done.stored) {
        log(LogLevel::Warn, "consent not stored: room " + r.room_id + " participant " + r.participant_id);
        return push_locked(r.from, r.transaction, consent_unavailable_event());
    }
    if (!room) return reply_error(r.from, r.transaction, Failure::of(ErrorCode::NoSuchRoom));
    ConsentState c = room->consent(r.participant_id);
    if (c.seq == r.seq) {  // else a later answer (a withdrawal) came meanwhile and stands
        c.value = Consent::Yes;
        c.consent_id = done.consent_id;
        room->set_consent(r.participant_id, c);
        log(LogLevel::Info, "consent stored: room " + r.room_id + " participant " + r.participant_id + " consent " +
                                done.consent_id);
        consent_changed(*room, r.participant_id);
    }
    push_locked(r.from, r.transaction, consent_event(true, done.consent_id));
}

void PluginCore::record(const std::shared_ptr<Participant>& p, const RecordRequest& req,
                        const std::optional<std::string>& txn) {
    if (!p->identity()) return reply_error(p, txn, Failure::of(ErrorCode::NotJoined));
    if (!p->admitted()) return reply_error(p, txn, Failure::of(ErrorCode::NotAdmitted));
    if (!p->may(Permission::Record))
        return reply_error(p, txn, Failure::of(ErrorCode::PermissionDenied, "permission denied: record"));
    Room* room = find_room(p->identity()->room_id);
    if (!room) return reply_error(p, txn, Failure::of(ErrorCode::NoSuchRoom));
    const std::string pid = p->identity()->participant_id;
    const recording::RecordDecision d = recording::decide_record(room->recording_policy(), room->recording().on, req.action);
    Failure f;
    switch (d.outcome) {
        case recording::RecordOutcome::Refused: return reply_error(p, txn, Failure::of(d.code));
        case recording::RecordOutcome::Start:
            if (!start_recording(*room, std::nullopt, pid, &f)) return reply_error(p, txn, f);
            break;
        case recording::RecordOutcome::Stop: stop_recording(*room, pid); break;
        case recording::RecordOutcome::Unchanged: break;
    }
    push_locked(p, txn, recording_event(recording_status(*room)));  // the answer
    tell_recording(*room, p.get());                                  // and everyone else
}

// ---------------------------------------------------------------- admin (mu_ held)

Json PluginCore::admin_record(const AdminRecordRequest& r) {
    Room* room = find_room(r.room);
    if (!room) return error_reply(Failure::of(ErrorCode::NoSuchRoom));
    RoomRecording& rec = room->recording();
    const bool other_id = r.start && rec.on && r.recording_id && *r.recording_id != rec.record.recording_id;
    const recording::RecordDecision d = recording::decide_record(
        room->recording_policy(), rec.on, r.start ? recording::Action::Start : recording::Action::Stop, other_id);
    Failure f;
    switch (d.outcome) {
        case recording::RecordOutcome::Refused: return error_reply(Failure::of(d.code));
        case recording::RecordOutcome::Start:
            if (!start_recording(*room, r.recording_id, std::nullopt, &f)) return error_reply(f);
            break;
        case recording::RecordOutcome::Stop: stop_recording(*room, std::nullopt); break;
        case recording::RecordOutcome::Unchanged: break;
    }
    tell_recording(*room);
    const RecordingStatus s = recording_status(*room);
    return admin_api::recording_reply(room->id(), admin_api::RecordingState{s.on, s.recording_id, s.policy, s.recorded});
}

// ---------------------------------------------------------------- worker

void PluginCore::open_recorders(OpenRecorders& task) {
    for (const auto& t : task.tracks) {
        if (t->stopping.load(std::memory_order_acquire)) continue;
        void* file = host_.open_recorder(t->dir, t->codec, t->name);
        if (file == nullptr) {
            log(LogLevel::Error, "recorder not opened: room " + t->room_id + " recording " + t->recording_id +
                                     " participant " + t->participant_id);
            t->failed.store(true, std::memory_order_release);
            recording_fault_.store(true, std::memory_order_release);
            continue;
        }
        t->file.store(file, std::memory_order_release);
    }
    std::lock_guard lk(mu_);
    for (const auto& t : task.tracks)
        if (ManifestTrack* m = manifest_track(t->room_id, t->recording_id, t->manifest_index))
            m->opened = m->opened || t->file.load(std::memory_order_acquire) != nullptr;
}

ManifestTrack* PluginCore::manifest_track(const std::string& room_id, const std::string& recording_id,
                                          std::size_t index) {
    RecordingRecord* r = nullptr;
    if (Room* room = find_room(room_id); room && room->recording().record.recording_id == recording_id)
        r = &room->recording().record;
    for (RecordingRecord& f : finishing_)
        if (f.recording_id == recording_id && f.room_id == room_id) r = &f;
    return r && index < r->tracks.size() ? &r->tracks[index] : nullptr;
}

void PluginCore::handle_recording_faults() {
    for (auto& [id, room] : rooms_) {
        RoomRecording& rec = room->recording();
        const auto failed = [&] {
            for (const auto& [pid, tracks] : rec.active)
                for (const auto& [mindex, t] : tracks)
                    if (t->failed.load(std::memory_order_acquire)) {
                        log(LogLevel::Error, "recording write failed: room " + id + " recording " +
                                                 rec.record.recording_id + " participant " + pid);
                        return true;
                    }
            return false;
        };
        // A full or failing disk fails every file: the whole recording
        // stops (what was written stays and is processed as incomplete),
        // everyone is told, the call goes on.
        if (rec.on && failed()) {
            stop_recording(*room, std::nullopt, "write_failed");
            tell_recording(*room);
        }
    }
}

std::size_t PluginCore::sweep_recorders() {
    std::vector<std::shared_ptr<TrackRecorder>> to_close;
    {
        std::lock_guard lk(mu_);
        if (recording_fault_.exchange(false, std::memory_order_acq_rel)) handle_recording_faults();
        // Only the closing list holds it: no view, so no media thread.
        for (auto it = closing_.begin(); it != closing_.end();) {
            if (it->use_count() == 1) {
                to_close.push_back(std::move(*it));
                it = closing_.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (const auto& t : to_close)
        if (void* file = t->file.exchange(nullptr, std::memory_order_acq_rel)) host_.close_recorder(file);
    std::vector<RecordingRecord> done;
    std::size_t pending = 0;
    {
        std::lock_guard lk(mu_);
        for (auto it = finishing_.begin(); it != finishing_.end();) {
            const bool open = std::any_of(closing_.begin(), closing_.end(), [&](const auto& t) {
                return t->recording_id == it->recording_id && t->room_id == it->room_id;
            });
            if (open) {
                ++it;
                continue;
            }
            done.push_back(std::move(*it));
            it = finishing_.erase(it);
        }
        pending = closing_.size() + finishing_.size();
        for (const auto& [id, room] : rooms_) pending += room->recording().on ? 1 : 0;
    }
    for (const RecordingRecord& r : done) finish_recording(r, true);
    to_close.clear();
    return pending;
}

void PluginCore::finish_recording(const RecordingRecord& r, bool via_store) {
    const std::string text = json_dump(manifest_json(r).get());
    if (!host_.write_file_atomic(r.dir + "/manifest.json", text))
        log(LogLevel::Error, "manifest not written: room " + r.room_id + " recording " + r.recording_id);
    else
        log(LogLevel::Info, "recording finished: room " + r.room_id + " recording " + r.recording_id);
    if (!recording_store_) return;
    RecordingEventMsg ev{r.room_id, r.recording_id, "stopped", r.stopped_by, r.stopped_us, manifest_tracks_json(r),
                         r.fault};
    if (via_store) {
        if (!recording_store_->submit_event(std::move(ev)))
            log(LogLevel::Warn, "recording event not queued: room " + r.room_id + " recording " + r.recording_id);
    } else if (!recording_store_->backend().post_event(ev)) {
        log(LogLevel::Warn, "recording event not sent at exit: room " + r.room_id + " recording " + r.recording_id);
    }
}

void PluginCore::finalize_recordings_at_exit() noexcept {
    try {
        std::vector<std::shared_ptr<TrackRecorder>> to_close;
        std::vector<RecordingRecord> done;
        {
            std::lock_guard lk(mu_);
            const int64_t now = host_.now_unix_micros();
            for (auto& [id, room] : rooms_) {
                RoomRecording& rec = room->recording();
                if (!rec.on) continue;
                rec.on = false;
                rec.record.stopped_us = now;
                for (auto& [pid, tracks] : rec.active)
                    for (auto& [mindex, t] : tracks) {
                        if (t->manifest_index < rec.record.tracks.size())
                            rec.record.tracks[t->manifest_index].stopped_us = now;
                        closing_.push_back(t);
                    }
                rec.active.clear();
                finishing_.push_back(std::move(rec.record));
                rec.record = RecordingRecord{};
            }
            to_close.swap(closing_);
            done.swap(finishing_);
        }
        // No media callback runs after destroy(): close whatever views still hold.
        for (const auto& t : to_close)
            if (void* file = t->file.exchange(nullptr, std::memory_order_acq_rel)) host_.close_recorder(file);
        for (const RecordingRecord& r : done) finish_recording(r, false);
    } catch (...) {
        log(LogLevel::Error, "recordings not finalised at exit");
    }
}

// ---------------------------------------------------------------- media path

void PluginCore::record_packet(Participant& p, TrackRecorder& t, uint8_t* buf, std::size_t len) noexcept {
    if (t.failed.load(std::memory_order_relaxed)) return;
    void* file = t.file.load(std::memory_order_acquire);
    if (file == nullptr) return;  // not opened yet (the worker does it right after the view went out)
    if (host_.write_recorder(file, buf, len) < 0) {
        // Disk full or the like: nothing more to this track; the worker
        // stops the whole recording and tells the room.
        t.failed.store(true, std::memory_order_release);
        recording_fault_.store(true, std::memory_order_release);
        return;
    }
    t.frames.fetch_add(1, std::memory_order_relaxed);
    p.counters().rtp_recorded.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace telemed::plugin
