// The Janus event worker (controller/jobs/janus_event_worker.hpp).
#include "controller/jobs/janus_event_worker.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <set>
#include <utility>

#include "common/json.hpp"
#include "common/timeutil.hpp"
#include "controller/config.hpp"
#include "controller/db/lease.hpp"
#include "controller/db/outbox.hpp"
#include "controller/db/pg.hpp"
#include "controller/db/pool.hpp"
#include "controller/db/txn.hpp"
#include "controller/live/presence_store.hpp"
#include "controller/log.hpp"

namespace telemed {

using janus_events::Event;
using janus_events::Kind;
using janus_events::PluginEvent;
using Clock = std::chrono::steady_clock;

namespace {

std::string key_of(const std::string& sid, const std::string& pid) { return sid + "/" + pid; }

int64_t event_time(const Event& e) { return e.timestamp_us > 0 ? e.timestamp_us : unix_now_micros(); }

std::string first_line(const std::exception& e) {
    std::string what(e.what());
    return what.substr(0, what.find('\n')).substr(0, 200);
}

}  // namespace

JanusEventWorker::JanusEventWorker(db::Pool& pool, PresenceStore& presence, const ControllerConfig& cfg)
    : pool_(pool),
      presence_(presence),
      capacity_(cfg.janus_events_queue),
      hangup_grace_(cfg.janus_events_hangup_grace_ms) {}

JanusEventWorker::~JanusEventWorker() { stop(); }

void JanusEventWorker::start() {
    if (thread_.joinable()) return;
    {
        std::lock_guard lk(mu_);
        stop_ = false;
    }
    thread_ = std::thread([this] { loop(); });
}

void JanusEventWorker::stop() {
    {
        std::lock_guard lk(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

bool JanusEventWorker::enqueue(std::vector<Event>&& events) {
    if (events.empty()) return true;
    {
        std::lock_guard lk(mu_);
        if (queue_.size() + events.size() > capacity_) {
            dropped_ += events.size();
            return false;
        }
        for (Event& e : events) queue_.push_back(std::move(e));
        depth_ = queue_.size();
    }
    accepted_ += events.size();
    cv_.notify_one();
    return true;
}

void JanusEventWorker::count_post(std::size_t received, std::size_t invalid, std::size_t ignored) {
    posts_ += 1;
    received_ += received;
    invalid_ += invalid;
    ignored_ += ignored;
}

void JanusEventWorker::loop() {
    std::vector<Event> batch;
    batch.reserve(kMaxBatch);
    while (true) {
        {
            std::unique_lock lk(mu_);
            cv_.wait_for(lk, std::chrono::milliseconds(250), [this] { return stop_ || !queue_.empty(); });
            if (stop_) return;
            batch.clear();
            while (!queue_.empty() && batch.size() < kMaxBatch) {
                batch.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
            depth_ = queue_.size();
        }
        try {
            std::vector<Row> rows;
            for (const Event& e : batch) process(e, rows);
            processed_ += batch.size();
            expire_pending(rows);
            store(rows);
            const auto now = Clock::now();
            const bool refresh = now - last_refresh_ >= std::chrono::seconds(PresenceStore::kRefreshS);
            if (refresh) {
                sweep();
                last_refresh_ = now;
            }
            write_presence(refresh);
        } catch (const std::exception& e) {
            log_error("janus events: round failed: %s", first_line(e).c_str());
        } catch (...) {
            log_error("janus events: round failed");
        }
    }
}

JanusEventWorker::Participant& JanusEventWorker::participant(const std::string& sid, const std::string& pid) {
    const std::string key = key_of(sid, pid);
    auto it = participants_.find(key);
    if (it != participants_.end()) {
        it->second.touched = Clock::now();
        return it->second;
    }
    if (participants_.size() >= kMaxParticipants) {
        sweep();
        // Still full: the left ones go whatever their age (only present
        // participants are kept past the bound).
        for (auto it = participants_.begin(); participants_.size() >= kMaxParticipants && it != participants_.end();)
            it = it->second.state == State::Left ? participants_.erase(it) : std::next(it);
    }
    Participant& p = participants_[key];
    p.session_id = sid;
    p.participant_id = pid;
    p.touched = Clock::now();
    return p;
}

void JanusEventWorker::map_handle(uint64_t handle, const std::string& key) {
    if (handle == 0) return;
    auto it = handles_.find(handle);
    if (it == handles_.end() && handles_.size() >= kMaxHandles) {
        // Forget the longest-unseen handle (rare: a full map means Janus lost
        // detach events, e.g. it restarted).
        auto oldest = std::min_element(handles_.begin(), handles_.end(),
                                       [](const auto& a, const auto& b) { return a.second.seen < b.second.seen; });
        if (oldest != handles_.end()) handles_.erase(oldest);
    }
    HandleInfo& h = handles_[handle];
    h.key = key;
    h.seen = Clock::now();
    unknown_handles_.erase(handle);
}

// A handle this process never saw (it restarted mid-call): its latest
// joined / waiting / admitted row in participant_events, unless the
// participant left or joined on another handle after it. false when none
// (remembered) or the lookup failed.
bool JanusEventWorker::recover_handle(uint64_t handle) {
    if (handle == 0 || handle > static_cast<uint64_t>(INT64_MAX) || unknown_handles_.count(handle) != 0)
        return false;
    std::string sid, pid, event;
    int64_t since = 0;
    bool found = false;
    try {
        db::run_read(pool_, [&](PGconn* c) {
            found = false;
            db::ResultPtr r = db::exec(
                c,
                "SELECT j.session_id::text, j.participant_id::text, j.event,"
                " " TELEMED_SQL_MICROS("coalesce(j.occurred_at, j.created_at)") " FROM participant_events j"
                " WHERE j.janus_handle = $1 AND j.event IN ('joined', 'waiting', 'admitted')"
                " AND NOT EXISTS (SELECT 1 FROM participant_events l WHERE l.participant_id = j.participant_id"
                "   AND l.id > j.id AND (l.event IN ('left', 'kicked', 'denied')"
                "   OR (l.event IN ('joined', 'waiting') AND l.janus_handle IS DISTINCT FROM j.janus_handle)))"
                " ORDER BY j.id DESC LIMIT 1",
                db::Params().add(static_cast<int64_t>(handle)));
            if (PQntuples(r.get()) == 1) {
                sid = db::str(r.get(), 0, 0);
                pid = db::str(r.get(), 0, 1);
                event = db::str(r.get(), 0, 2);
                since = db::int64(r.get(), 0, 3);
                found = true;
            }
        });
    } catch (const std::exception& e) {
        log_warn("janus events: handle lookup failed: %s", first_line(e).c_str());
        return false;
    }
    if (!found) {
        if (unknown_handles_.size() >= kMaxHandles) unknown_handles_.clear();
        unknown_handles_.insert(handle);
        return false;
    }
    Participant& p = participant(sid, pid);
    if (p.state == State::Left) return false;  // this process saw it leave since
    if (p.state == State::None) {
        p.state = event == "waiting" ? State::Waiting : State::InRoom;
        p.since_us = since;
        p.handle = handle;
    }
    map_handle(handle, key_of(sid, pid));
    return true;
}

void JanusEventWorker::process(const Event& e, std::vector<Row>& rows) {
    if (e.kind == Kind::Plugin)
        on_plugin(e, rows);
    else
        on_core(e, rows);
}

void JanusEventWorker::go_offline(Participant& p, const char* reason, int64_t at_us, std::vector<Row>& rows) {
    const bool was_present = p.state == State::Waiting || p.state == State::InRoom || p.state == State::None;
    p.state = State::Left;
    p.pending_left.reset();
    p.pending_reason.clear();
    p.media_up = false;
    p.handle = 0;
    p.streams.clear();
    p.since_us = at_us;
    p.updated_us = at_us;
    dirty_.push_back(key_of(p.session_id, p.participant_id));
    if (!was_present) return;
    // The outbox event rides on the participant event's row when there is
    // one (the row's event names what happened); a left without its own
    // row (grace expired, session ended) gets one named after the reason.
    Row* last = rows.empty() ? nullptr : &rows.back();
    if (last && last->participant_id == p.participant_id && last->session_id == p.session_id && !last->topic &&
        (last->event == "left" || last->event == "kicked" || last->event == "denied")) {
        last->topic = "participant.left";
        last->topic_reason = reason;
        return;
    }
    Row r;
    r.session_id = p.session_id;
    r.participant_id = p.participant_id;
    r.event = "left";
    r.reason = reason;
    r.occurred_us = at_us;
    r.topic = "participant.left";
    r.topic_reason = reason;
    rows.push_back(std::move(r));
}

void JanusEventWorker::on_plugin(const Event& e, std::vector<Row>& rows) {
    const int64_t at = event_time(e);
    if (e.plugin == PluginEvent::RoomCreated || e.plugin == PluginEvent::PermissionsSet) return;
    if (e.plugin == PluginEvent::RoomDestroyed) {
        for (auto& [key, p] : participants_)
            if (p.session_id == e.room && (p.state == State::Waiting || p.state == State::InRoom))
                go_offline(p, "session_ended", at, rows);
        return;
    }
    Participant& p = participant(e.room, e.participant_id);
    const std::string key = key_of(e.room, e.participant_id);
    auto add_row = [&](const char* event) {
        Row r;
        r.session_id = e.room;
        r.participant_id = e.participant_id;
        r.event = event;
        r.handle = e.handle_id;
        r.occurred_us = at;
        rows.push_back(std::move(r));
    };
    switch (e.plugin) {
        case PluginEvent::Joined:
        case PluginEvent::Admitted:
        case PluginEvent::Waiting: {
            // In the room, or in the lobby, on this handle: a pending
            // hangup is void; the topic only on a change of state.
            const bool waiting = e.plugin == PluginEvent::Waiting;
            add_row(waiting ? "waiting" : e.plugin == PluginEvent::Joined ? "joined" : "admitted");
            if (e.handle_id != 0 && e.handle_id != p.handle) {
                map_handle(e.handle_id, key);
                if (p.handle != 0) p.streams.clear();
                p.handle = e.handle_id;
            }
            p.pending_left.reset();
            p.pending_reason.clear();
            const State to = waiting ? State::Waiting : State::InRoom;
            if (p.state != to) {
                rows.back().topic = waiting ? "participant.waiting" : "participant.joined";
                p.state = to;
                p.since_us = at;
            }
            p.updated_us = at;
            dirty_.push_back(key);
            return;
        }
        case PluginEvent::Left:
        case PluginEvent::Kicked:
        case PluginEvent::Denied: {
            const char* name = e.plugin == PluginEvent::Left ? "left" : e.plugin == PluginEvent::Kicked ? "kicked" : "denied";
            // A `left` about an old handle of a participant who is on a newer
            // one (reconnect) is not a departure.
            if (e.handle_id != 0 && p.handle != 0 && e.handle_id != p.handle && p.state == State::InRoom) return;
            add_row(name);
            if (p.state == State::Left) return;  // already reported (e.g. kicked, then its detach)
            go_offline(p, name, at, rows);
            return;
        }
        case PluginEvent::Replaced: {
            // The old handle stops counting; the participant stays.
            if (e.handle_id != 0) {
                auto it = handles_.find(e.handle_id);
                if (it != handles_.end() && it->second.key == key) handles_.erase(it);
                if (p.handle == e.handle_id) {
                    p.handle = 0;
                    p.streams.clear();
                }
            }
            return;
        }
        default:
            return;
    }
}

void JanusEventWorker::on_core(const Event& e, std::vector<Row>& rows) {
    auto hit = handles_.find(e.handle_id);
    if (hit == handles_.end() && e.kind != Kind::Detached && recover_handle(e.handle_id))
        hit = handles_.find(e.handle_id);
    if (hit == handles_.end()) {
        unmapped_ += 1;
        return;
    }
    hit->second.seen = Clock::now();
    if (e.kind == Kind::Detached) {
        handles_.erase(hit);
        return;
    }
    auto pit = participants_.find(hit->second.key);
    if (pit == participants_.end()) {
        handles_.erase(hit);
        unmapped_ += 1;
        return;
    }
    Participant& p = pit->second;
    if (p.handle != e.handle_id) return;  // an old handle (replaced): ignored
    const int64_t at = event_time(e);
    auto add_row = [&](const char* event, const std::string& reason) {
        Row r;
        r.session_id = p.session_id;
        r.participant_id = p.participant_id;
        r.event = event;
        r.reason = reason;
        r.handle = e.handle_id;
        r.occurred_us = at;
        rows.push_back(std::move(r));
    };
    switch (e.kind) {
        case Kind::WebrtcUp:
            add_row("webrtcup", {});
            p.media_up = true;
            p.pending_left.reset();
            p.pending_reason.clear();
            p.updated_us = at;
            dirty_.push_back(pit->first);
            return;
        case Kind::Hangup:
        case Kind::IceFailed: {
            const bool ice = e.kind == Kind::IceFailed;
            add_row(ice ? "ice_failed" : "hangup", e.reason);
            p.media_up = false;
            p.streams.clear();
            p.quality.reset();
            p.updated_us = at;
            dirty_.push_back(pit->first);
            if (p.state != State::Waiting && p.state != State::InRoom) return;
            if (ice || p.pending_reason.empty()) p.pending_reason = ice ? "ice_failed" : "hangup";
            if (hangup_grace_.count() == 0) {
                const std::string reason = p.pending_reason;
                go_offline(p, reason.c_str(), at, rows);
                return;
            }
            if (!p.pending_left) p.pending_left = Clock::now() + hangup_grace_;
            return;
        }
        case Kind::Stats: {
            StreamSample& s = p.streams[e.stats.mid.empty() ? std::string(e.stats.video ? "video" : "audio") : e.stats.mid];
            const bool first = s.last.packets_received == 0 && s.last.packets_sent == 0 && s.last.lost == 0 &&
                               s.last.lost_by_remote == 0;
            s.loss_pct = first ? janus_events::loss_pct(e.stats) : janus_events::loss_pct(s.last, e.stats);
            s.jitter_ms = std::max(e.stats.jitter_local_ms, e.stats.jitter_remote_ms);
            if (e.stats.rtt_ms >= 0) s.rtt_ms = e.stats.rtt_ms;
            // Packets moving on the current handle mean media is up, even if
            // its webrtcup came before the handle was mapped (or was lost).
            if (!p.media_up && !first && (p.state == State::Waiting || p.state == State::InRoom) &&
                (e.stats.packets_received > s.last.packets_received || e.stats.packets_sent > s.last.packets_sent))
                p.media_up = true;
            s.last = e.stats;
            // The participant's figures: the worst of its streams.
            double loss = 0.0;
            int64_t jitter = 0, rtt = -1;
            for (const auto& [mid, st] : p.streams) {
                loss = std::max(loss, st.loss_pct);
                jitter = std::max(jitter, st.jitter_ms);
                rtt = std::max(rtt, st.rtt_ms);
            }
            p.loss_pct = loss;
            p.jitter_ms = jitter;
            p.rtt_ms = rtt;
            p.quality = janus_events::grade(loss, jitter, rtt);
            p.updated_us = at;
            dirty_.push_back(pit->first);
            return;
        }
        default:
            return;
    }
}

void JanusEventWorker::expire_pending(std::vector<Row>& rows) {
    const auto now = Clock::now();
    for (auto& [key, p] : participants_) {
        if (!p.pending_left || *p.pending_left > now) continue;
        const std::string reason = p.pending_reason.empty() ? "hangup" : p.pending_reason;
        go_offline(p, reason.c_str(), unix_now_micros(), rows);
    }
}

void JanusEventWorker::sweep() {
    const auto now = Clock::now();
    for (auto it = participants_.begin(); it != participants_.end();) {
        if (it->second.state == State::Left && now - it->second.touched > kLeftKeep)
            it = participants_.erase(it);
        else
            ++it;
    }
    for (auto it = handles_.begin(); it != handles_.end();) {
        if (now - it->second.seen > kHandleIdle)
            it = handles_.erase(it);
        else
            ++it;
    }
}

// One transaction for the round's rows and outbox events. Only
// participants that exist in the named session are kept.
void JanusEventWorker::store(std::vector<Row>& rows) {
    if (rows.empty()) return;
    std::set<std::string> ids;
    for (const Row& r : rows) ids.insert(r.participant_id);
    std::string id_array = "{";
    for (const std::string& id : ids) {
        if (id_array.size() > 1) id_array += ',';
        id_array += id;  // canonical UUIDs (common/janus_events): no quoting needed
    }
    id_array += '}';
    for (int attempt = 1; attempt <= kStoreAttempts; ++attempt) {
        std::size_t stored = 0, events = 0, unknown = 0;
        try {
            db::transact(pool_, [&](PGconn* c) {
                stored = events = unknown = 0;
                struct Who {
                    std::string session_id, user_id, role;
                };
                std::unordered_map<std::string, Who> who;
                db::ResultPtr r = db::exec(c,
                                           "SELECT id::text, session_id::text, user_id, role FROM participants"
                                           " WHERE id = ANY($1::uuid[])",
                                           db::Params().add(id_array));
                for (int i = 0; i < PQntuples(r.get()); ++i)
                    who[db::str(r.get(), i, 0)] = Who{db::str(r.get(), i, 1), db::str(r.get(), i, 2), db::str(r.get(), i, 3)};
                Json batch(json_array());
                for (const Row& row : rows) {
                    auto it = who.find(row.participant_id);
                    if (it == who.end() || it->second.session_id != row.session_id) {
                        ++unknown;
                        continue;
                    }
                    json_t* o = json_object();
                    json_object_set_new(o, "s", json_str(row.session_id));
                    json_object_set_new(o, "p", json_str(row.participant_id));
                    json_object_set_new(o, "e", json_str(row.event));
                    json_t* data = json_object();
                    json_object_set_new(data, "source", json_string("janus"));
                    if (!row.reason.empty()) json_object_set_new(data, "reason", json_str(row.reason));
                    json_object_set_new(o, "d", data);
                    json_object_set_new(o, "t", json_integer(row.occurred_us));
                    if (row.handle != 0 && row.handle <= static_cast<uint64_t>(INT64_MAX))
                        json_object_set_new(o, "h", json_integer(static_cast<json_int_t>(row.handle)));
                    json_array_append_new(batch.get(), o);
                    ++stored;
                    if (row.topic) {
                        Json payload(json_object());
                        json_object_set_new(payload.get(), "session_id", json_str(row.session_id));
                        json_object_set_new(payload.get(), "participant_id", json_str(row.participant_id));
                        json_object_set_new(payload.get(), "user_id", json_str(it->second.user_id));
                        json_object_set_new(payload.get(), "role", json_str(it->second.role));
                        if (!row.topic_reason.empty())
                            json_object_set_new(payload.get(), "reason", json_str(row.topic_reason));
                        db::outbox_enqueue(c, row.topic, payload.get());
                        ++events;
                    }
                }
                if (stored > 0)
                    db::exec(c,
                             "INSERT INTO participant_events (session_id, participant_id, event, data, occurred_at,"
                             " janus_handle)"
                             " SELECT (x->>'s')::uuid, (x->>'p')::uuid, x->>'e', x->'d',"
                             " CASE WHEN (x->>'t')::int8 > 0 THEN 'epoch'::timestamptz + (x->>'t')::int8 *"
                             " interval '1 microsecond' ELSE now() END, (x->>'h')::int8"
                             " FROM jsonb_array_elements($1::jsonb) AS x",
                             db::Params().add_json(batch.get()));
                return db::TxnEnd::Commit;
            });
            rows_stored_ += stored;
            outbox_events_ += events;
            unknown_participant_ += unknown;
            return;
        } catch (const std::exception& e) {
            store_failures_ += 1;
            log_warn("janus events: storing %zu participant event(s) failed (attempt %d of %d): %s", rows.size(),
                     attempt, kStoreAttempts, first_line(e).c_str());
            {
                std::unique_lock lk(mu_);
                if (cv_.wait_for(lk, std::chrono::milliseconds(200 << attempt), [this] { return stop_; })) break;
            }
        }
    }
    rows_dropped_ += rows.size();
}

std::string JanusEventWorker::presence_json(const Participant& p) const {
    const bool online = p.state == State::Waiting || p.state == State::InRoom;
    Json o(json_object());
    json_object_set_new(o.get(), "online", json_boolean(online));
    json_object_set_new(o.get(), "state",
                        json_string(p.state == State::Waiting ? "waiting" : p.state == State::InRoom ? "in_room" : "left"));
    json_object_set_new(o.get(), "since", p.since_us > 0 ? json_str(format_rfc3339_micros(p.since_us)) : json_null());
    json_object_set_new(o.get(), "media", json_string(online && p.media_up ? "up" : "down"));
    const bool graded = online && p.media_up && p.quality.has_value();
    json_object_set_new(o.get(), "quality", graded ? json_str(janus_events::to_string(*p.quality)) : json_null());
    char loss[32];
    std::snprintf(loss, sizeof loss, "%.1f", p.loss_pct);
    json_object_set_new(o.get(), "loss_pct", graded ? json_real(std::strtod(loss, nullptr)) : json_null());
    json_object_set_new(o.get(), "jitter_ms", graded ? json_integer(p.jitter_ms) : json_null());
    json_object_set_new(o.get(), "rtt_ms", graded && p.rtt_ms >= 0 ? json_integer(p.rtt_ms) : json_null());
    json_object_set_new(o.get(), "updated_at",
                        json_str(format_rfc3339_micros(p.updated_us > 0 ? p.updated_us : unix_now_micros())));
    return json_dump(o.get());
}

void JanusEventWorker::write_presence(bool refresh_all) {
    std::vector<PresenceStore::Write> writes;
    std::set<std::string> done;
    auto add = [&](const Participant& p) {
        PresenceStore::Write w;
        w.session_id = p.session_id;
        w.participant_id = p.participant_id;
        w.online = p.state == State::Waiting || p.state == State::InRoom;
        w.value = presence_json(p);
        writes.push_back(std::move(w));
    };
    for (const std::string& key : dirty_) {
        if (!done.insert(key).second) continue;
        auto it = participants_.find(key);
        if (it != participants_.end()) add(it->second);
    }
    dirty_.clear();
    if (refresh_all) {
        for (const auto& [key, p] : participants_)
            if ((p.state == State::Waiting || p.state == State::InRoom) && done.insert(key).second) add(p);
    }
    if (!writes.empty()) presence_.write(writes);
}

std::string JanusEventWorker::render_metrics() const {
    std::string out;
    auto counter = [&out](const char* name, const char* help, uint64_t v) {
        out += "# HELP ";
        out += name;
        out += ' ';
        out += help;
        out += "\n# TYPE ";
        out += name;
        out += " counter\n";
        out += name;
        out += ' ';
        out += std::to_string(v);
        out += '\n';
    };
    counter("telemed_janus_events_posts_total", "Janus event handler posts answered 200.", posts_);
    counter("telemed_janus_events_posts_refused_total", "Janus event posts refused (400, 413).", posts_refused_);
    counter("telemed_janus_events_received_total", "Events in accepted posts.", received_);
    counter("telemed_janus_events_invalid_total", "Events skipped as invalid (shape, types, bounds).", invalid_);
    counter("telemed_janus_events_ignored_total", "Valid events of types the controller does not use.", ignored_);
    counter("telemed_janus_events_accepted_total", "Events queued for the worker.", accepted_);
    counter("telemed_janus_events_dropped_total", "Events dropped because the worker queue was full.", dropped_);
    counter("telemed_janus_events_processed_total", "Events the worker processed.", processed_);
    counter("telemed_janus_events_unmapped_total", "Core events of handles not mapped to a participant.", unmapped_);
    counter("telemed_janus_events_unknown_participant_total",
            "Participant events dropped: no such participant in that session.", unknown_participant_);
    counter("telemed_janus_events_rows_total", "participant_events rows written.", rows_stored_);
    counter("telemed_janus_events_outbox_total", "participant.joined/waiting/left outbox events written.", outbox_events_);
    counter("telemed_janus_events_store_failures_total", "Failed attempts to store a round of participant events.",
            store_failures_);
    counter("telemed_janus_events_rows_dropped_total", "Participant events dropped after every store attempt failed.",
            rows_dropped_);
    out += "# HELP telemed_janus_events_queue_depth Events waiting for the worker.\n";
    out += "# TYPE telemed_janus_events_queue_depth gauge\n";
    out += "telemed_janus_events_queue_depth " + std::to_string(depth_.load()) + "\n";
    out += "# HELP telemed_presence_write_failures_total Failed presence writes to Redis.\n";
    out += "# TYPE telemed_presence_write_failures_total counter\n";
    out += "telemed_presence_write_failures_total " + std::to_string(presence_.write_failures()) + "\n";
    out += "# HELP telemed_presence_recent_reads_total GET /sessions/{id} presence taken from the controller's last Redis read (no Redis round trip).\n";
    out += "# TYPE telemed_presence_recent_reads_total counter\n";
    out += "telemed_presence_recent_reads_total " + std::to_string(presence_.recent_reads()) + "\n";
    return out;
}

}  // namespace telemed
