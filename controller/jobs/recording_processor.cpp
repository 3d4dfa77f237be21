// Recording post-processing (controller/jobs/recording_processor.hpp).
#include "controller/jobs/recording_processor.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>

#include "common/admin_api.hpp"
#include "common/ids.hpp"
#include "common/plugin_errors.hpp"
#include "controller/clients/janus_admin.hpp"
#include "controller/db/pool.hpp"
#include "controller/db/recordings_repo.hpp"
#include "controller/db/sessions_repo.hpp"
#include "controller/db/txn.hpp"
#include "controller/jobs/recording_exec.hpp"
#include "controller/jobs/recording_plan.hpp"
#include "controller/log.hpp"
#include "controller/storage/blob_store.hpp"
#include "controller/storage/sealed_blob.hpp"

namespace fs = std::filesystem;

namespace telemed {

struct RecordingProcessor::Job {
    db::RecordingRow row;
    int attempt = 0;
};

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kLogTail = 65536;  // processing.log bound

// A failed attempt: `what` is the error column's text (ours); `tool_output`
// the tail of the program's output, for processing.log only.
struct JobError : std::runtime_error {
    JobError(const std::string& what, std::string tool = {}) : std::runtime_error(what), tool_output(std::move(tool)) {}
    std::string tool_output;
};
struct JobAbandoned : std::runtime_error {  // shutdown or a lost lease: no outcome written
    JobAbandoned() : std::runtime_error("abandoned") {}
};

std::string short_what(const std::exception& e) {
    std::string w(e.what());
    return w.substr(0, w.find('\n')).substr(0, 160);
}

bool read_small_file(const fs::path& p, std::size_t max, std::string* out) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return false;
    out->assign(max + 1, '\0');
    in.read(out->data(), static_cast<std::streamsize>(max + 1));
    out->resize(static_cast<std::size_t>(in.gcount()));
    return true;
}

// One track to convert: checked, with its origin.
struct Accepted {
    std::string file;  // .mjr name in the recording folder
    recplan::TrackName name;
    std::optional<db::TrackRow> manifest_row;  // from manifest.json (stored as a track row if missing)
    int64_t started_at = 0;                    // µs, from the manifest (0 without)
};

class Pipeline {
public:
    Pipeline(const ControllerConfig& cfg, BlobStore& blobs, const db::RecordingRow& rec, fs::path dir, fs::path work,
             Clock::time_point deadline, std::function<bool()> keep_going)
        : cfg_(cfg), blobs_(blobs), rec_(rec), dir_(std::move(dir)), work_(std::move(work)), deadline_(deadline),
          keep_going_(std::move(keep_going)) {}

    // Fills outputs_ (sealed, uncommitted), tracks_, left_out_, incomplete_.
    void run(const std::vector<db::ConsentRow>& consents, const std::vector<db::TrackRow>& stored) {
        select_tracks(consents, stored);
        std::vector<recplan::MediaTrack> media;
        for (const Accepted& a : accepted_) convert(a, &media);
        if (media.empty()) return;
        std::map<std::string, std::vector<recplan::MediaTrack>> by_participant;
        for (const recplan::MediaTrack& m : media) by_participant[m.participant_id].push_back(m);
        for (const auto& [pid, tracks] : by_participant) {
            recplan::MuxPlan plan = recplan::participant_mux(cfg_.ffmpeg_path, tracks, "p-" + pid + ".webm");
            for (const auto& [name, content] : plan.lists) {
                std::ofstream(work_ / name, std::ios::binary | std::ios::trunc) << content;
            }
            run_tool(plan.args, "ffmpeg could not assemble a participant's file");
            add_output("participant", pid, "p-" + pid + ".webm", plan.has_video);
        }
        int64_t total = 0;
        for (const recplan::MediaTrack& m : media) total = std::max(total, m.offset_ms + m.duration_ms);
        run_tool(recplan::composite_args(cfg_.ffmpeg_path, media, total, "composite.webm"),
                 "ffmpeg could not encode the composite");
        add_output("composite", std::nullopt, "composite.webm", true);
        duration_ms_ = outputs_.back().row.duration_ms;
    }

    struct Output {
        db::OutputRow row;
        std::unique_ptr<BlobWriter> blob;
    };
    std::vector<Output> outputs_;
    std::optional<int64_t> duration_ms_;
    int tracks_ = 0, left_out_ = 0;
    bool incomplete_ = false;
    std::vector<db::TrackRow> manifest_tracks_;  // accepted, to store when missing

private:
    void check_going() {
        if (!keep_going_()) throw JobAbandoned();
        if (Clock::now() >= deadline_) throw JobError("post-processing: time limit exceeded");
    }

    void deny(const std::string& file) {
        std::error_code ec;
        fs::remove(dir_ / file, ec);
        ++left_out_;
    }

    void select_tracks(const std::vector<db::ConsentRow>& consents, const std::vector<db::TrackRow>& stored) {
        std::map<std::string, const db::ConsentRow*> consent_by_id;
        for (const db::ConsentRow& k : consents) consent_by_id[k.id] = &k;
        std::map<std::string, const db::TrackRow*> stored_by_file;
        for (const db::TrackRow& t : stored) stored_by_file[t.file] = &t;
        // A stored consent=true of this participant in this session.
        auto consent_ok = [&](const std::string& consent_id, const std::string& pid) {
            auto it = consent_by_id.find(consent_id);
            return it != consent_by_id.end() && it->second->recording && it->second->participant_id == pid &&
                   it->second->session_id == rec_.session_id;
        };
        std::optional<recplan::Manifest> manifest;
        std::string text;
        const fs::path mpath = dir_ / "manifest.json";
        std::error_code ec;
        if (fs::exists(mpath, ec)) {
            std::string why;
            if (read_small_file(mpath, recplan::kMaxManifestBytes, &text)) manifest = recplan::parse_manifest(text, &why);
            if (manifest && (manifest->recording_id != rec_.id || manifest->room != rec_.session_id)) manifest.reset();
            if (!manifest) log_warn("recording %s: manifest.json unusable; processed as incomplete", rec_.id.c_str());
        }
        // Cut short: no manifest (Janus died), or stopped by a fault (a
        // write failed: the row's, or the manifest's if the event was lost).
        incomplete_ = !manifest || manifest->fault || rec_.fault.has_value();
        std::set<std::string> on_disk;
        for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
            const std::string n = it->path().filename().string();
            if (n == "manifest.json" || n == "processing.log") continue;
            if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
            on_disk.insert(n);
        }
        std::set<std::string> taken;
        if (manifest) {
            for (const recording_input::Track& t : manifest->tracks) {
                if (!on_disk.count(t.file)) continue;  // listed but absent: nothing to do
                std::optional<recplan::TrackName> name = recplan::parse_track_file_name(t.file);
                auto st = stored_by_file.find(t.file);
                const bool row_agrees = st == stored_by_file.end() || (st->second->participant_id == t.participant_id &&
                                                                       st->second->consent_id == t.consent_id);
                if (!name || name->participant_id != t.participant_id || name->source != t.source || !row_agrees ||
                    !consent_ok(t.consent_id, t.participant_id)) {
                    continue;  // not taken: deleted below
                }
                db::TrackRow row;
                row.recording_id = rec_.id;
                row.participant_id = t.participant_id;
                row.source = t.source;
                row.codec = t.codec;
                row.file = t.file;
                row.consent_id = t.consent_id;
                row.started_at = t.started_at;
                row.stopped_at = t.stopped_at;
                accepted_.push_back({t.file, *name, row, t.started_at});
                taken.insert(t.file);
            }
        } else {
            // No manifest: names that parse, of a participant with a stored
            // consent=true in this session given before the recording ended
            // (a stored track row, when there is one, must name such a consent).
            const int64_t end = rec_.stopped_at.value_or(INT64_MAX);
            for (const std::string& f : on_disk) {
                std::optional<recplan::TrackName> name = recplan::parse_track_file_name(f);
                if (!name) continue;
                bool ok = false;
                auto st = stored_by_file.find(f);
                if (st != stored_by_file.end()) {
                    ok = st->second->participant_id == name->participant_id &&
                         consent_ok(st->second->consent_id, name->participant_id);
                } else {
                    for (const db::ConsentRow& k : consents)
                        ok = ok || (k.recording && k.participant_id == name->participant_id &&
                                    k.session_id == rec_.session_id && k.created_at <= end);
                }
                if (!ok) continue;
                accepted_.push_back({f, *name, std::nullopt, st != stored_by_file.end() ? st->second->started_at : 0});
                taken.insert(f);
            }
        }
        for (const std::string& f : on_disk)
            if (!taken.count(f)) deny(f);
        std::sort(accepted_.begin(), accepted_.end(), [](const Accepted& a, const Accepted& b) { return a.file < b.file; });
    }

    ExecResult run_tool(const std::vector<std::string>& args, const char* failure) {
        check_going();
        ExecResult r = run_program(args, work_.string(), deadline_, keep_going_);
        if (r.status == ExecResult::Status::Cancelled) throw JobAbandoned();
        if (r.status == ExecResult::Status::TimedOut) throw JobError("post-processing: time limit exceeded", r.output);
        if (!r.ok()) throw JobError(std::string("post-processing: ") + failure + " (" + describe(r) + ")", r.output);
        return r;
    }

    recplan::Probe probe(const std::string& file) {
        ExecResult r = run_tool(recplan::probe_args(cfg_.ffprobe_path, file), "ffprobe could not read an output");
        std::optional<recplan::Probe> p = recplan::parse_probe(r.output);
        if (!p) throw JobError("post-processing: ffprobe gave no duration", r.output);
        return *p;
    }

    void convert(const Accepted& a, std::vector<recplan::MediaTrack>* media) {
        check_going();
        const fs::path src = dir_ / a.file;
        recplan::MjrScan scan = recplan::scan_mjr_file(src.string());
        if (scan.status == recplan::MjrScan::Status::Unreadable)
            throw JobError("post-processing: a track file is not a readable Janus recording");
        if (scan.status == recplan::MjrScan::Status::Empty) return;  // opened, never written
        const bool audio = a.name.source == "audio";
        const bool codec_ok = audio ? (scan.type == "a" && scan.codec == "opus")
                                    : (scan.type == "v" && (scan.codec == "vp8" || scan.codec == "vp9"));
        if (!codec_ok) {
            ++left_out_;
            incomplete_ = true;
            return;
        }
        if (scan.truncated) {
            // A cut-off last frame (Janus killed): keep the whole frames.
            if (::truncate(src.c_str(), static_cast<off_t>(scan.complete_bytes)) != 0)
                throw JobError("post-processing: a truncated track file could not be repaired");
        }
        const std::string out = recplan::converted_name(a.file, a.name.source);
        run_tool(recplan::pp_rec_args(cfg_.janus_pp_rec_path, src.string(), out),
                 "janus-pp-rec could not convert a track");
        const recplan::Probe p = probe(out);
        recplan::MediaTrack m;
        m.participant_id = a.name.participant_id;
        m.source = a.name.source;
        m.n = a.name.n;
        m.file = out;
        const int64_t first = scan.first_frame_us > 0 ? scan.first_frame_us : a.started_at;
        m.offset_ms = first > rec_.started_at ? (first - rec_.started_at) / 1000 : 0;
        m.duration_ms = p.duration_ms;
        media->push_back(std::move(m));
        ++tracks_;
        if (a.manifest_row) manifest_tracks_.push_back(*a.manifest_row);
    }

    void add_output(const char* kind, const std::optional<std::string>& pid, const std::string& file, bool video) {
        const recplan::Probe p = probe(file);
        check_going();
        Output o;
        o.row.id = new_uuid_v4();
        o.row.recording_id = rec_.id;
        o.row.kind = kind;
        o.row.participant_id = pid;
        o.row.content_type = video ? "video/webm" : "audio/webm";
        o.row.duration_ms = p.duration_ms;
        if (!p.video_codec.empty()) o.row.video_codec = p.video_codec;
        if (!p.audio_codec.empty()) o.row.audio_codec = p.audio_codec;
        const ControllerConfig::MasterKey& master = cfg_.storage_master_keys.front();
        std::string why;
        std::optional<SealedFile> sealed = seal_file(blobs_, (work_ / file).string(), o.row.id, master.key, &why);
        if (!sealed) throw JobError("post-processing: " + why);
        o.row.size = static_cast<int64_t>(sealed->size);
        o.row.sha256 = sealed->sha256;
        o.row.key_id = master.kid;
        o.row.wrapped_key = sealed->wrapped_key;
        o.blob = std::move(sealed->blob);
        outputs_.push_back(std::move(o));
    }

    const ControllerConfig& cfg_;
    BlobStore& blobs_;
    const db::RecordingRow& rec_;
    fs::path dir_, work_;
    Clock::time_point deadline_;
    std::function<bool()> keep_going_;
    std::vector<Accepted> accepted_;
};

void write_log(const fs::path& dir, const std::string& text) {
    if (text.empty()) return;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return;
    std::ofstream out(dir / "processing.log", std::ios::binary | std::ios::trunc);
    out << text.substr(text.size() > kLogTail ? text.size() - kLogTail : 0);
}

}  // namespace

RecordingProcessor::RecordingProcessor(db::Pool& pool, BlobStore& blobs, JanusAdmin& janus, const ControllerConfig& cfg)
    : pool_(pool), blobs_(blobs), janus_(janus), cfg_(cfg) {}

RecordingProcessor::~RecordingProcessor() { stop(); }

void RecordingProcessor::start() {
    if (!threads_.empty() || !cfg_.recordings_enabled()) return;
    stop_ = false;
    for (unsigned i = 0; i < cfg_.recording_workers; ++i) threads_.emplace_back([this, i] { loop(i == 0); });
}

void RecordingProcessor::stop() {
    {
        std::lock_guard lk(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
}

void RecordingProcessor::loop(bool checks_lost) {
    // Niceness is per thread on Linux, and inherited by the programs it spawns.
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), static_cast<int>(cfg_.recording_nice));
    auto next_check = Clock::now();
    while (!stop_) {
        bool ran = false;
        try {
            if (checks_lost && Clock::now() >= next_check) {
                next_check = Clock::now() + std::chrono::seconds(10);
                stop_lost_recordings();
            }
            ran = run_once();
        } catch (const std::exception& e) {
            log_warn("recording processing: %s", short_what(e).c_str());
        }
        if (ran) continue;
        std::unique_lock lk(mu_);
        cv_.wait_for(lk, std::chrono::seconds(1), [this] { return stop_.load(); });
    }
}

std::optional<RecordingProcessor::Job> RecordingProcessor::claim() {
    std::optional<Job> job;
    std::vector<db::RecordingRow> exhausted;
    db::transact(pool_, [&](PGconn* c) {
        job.reset();
        exhausted.clear();
        for (const db::JobCandidate& cand : db::lock_job_candidates(c, cfg_.recording_manifest_grace_s, 20)) {
            std::error_code ec;
            recplan::ClaimInput in;
            in.state = cand.row.state;
            in.lease_expired = cand.lease_expired;
            // A recording stopped on a fault waits for no manifest: the
            // plugin wrote (or failed to write) it before it told us
            // (write_failed), or its Janus died (media_server_lost).
            in.grace_over = cand.grace_over || cand.row.fault.has_value();
            in.attempts = static_cast<unsigned>(cand.row.attempts);
            in.max_attempts = cfg_.recording_max_attempts;
            in.manifest_present = fs::exists(
                fs::path(cfg_.recordings_dir) / cand.row.session_id / cand.row.id / "manifest.json", ec);
            switch (recplan::claim_action(in)) {
                case recplan::ClaimAction::Skip: break;
                case recplan::ClaimAction::Fail: exhausted.push_back(cand.row); break;
                case recplan::ClaimAction::Process:
                    if (!job) job = Job{cand.row, db::claim_job(c, cand.row.id, cfg_.recording_lease_s)};
                    break;
            }
            if (job) break;
        }
        return job ? db::TxnEnd::Commit : db::TxnEnd::Rollback;
    });
    // Jobs that never finished in all their attempts (each ended with a lost lease).
    for (const db::RecordingRow& r : exhausted) {
        db::transact(pool_, [&](PGconn* c) {
            if (!db::lock_session(c, r.session_id) || !db::job_still_ours(c, r.id, r.attempts))
                return db::TxnEnd::Rollback;
            db::fail_job(c, r.session_id, r.id, "post-processing: did not finish in any attempt", true, 0, r.attempts);
            return db::TxnEnd::Commit;
        });
        log_warn("recording %s: post-processing failed: no attempt finished", r.id.c_str());
    }
    return job;
}

std::size_t RecordingProcessor::stop_lost_recordings() {
    std::vector<db::RecordingRow> live;
    db::transact(pool_, [&](PGconn* c) {
        live = db::live_recordings_older_than(c, cfg_.recording_manifest_grace_s, 20);
        return db::TxnEnd::Rollback;
    });
    std::size_t stopped = 0;
    for (const db::RecordingRow& r : live) {
        if (stop_) break;
        Json body = admin_api::build_request(admin_api::RoomInfoRequest{r.session_id});
        JanusAdmin::Result res = janus_.message_plugin(body.get());
        bool lost = false;
        if (res.refused_with(PluginError::NoSuchRoom)) {
            lost = true;
        } else if (res.ok && res.response) {
            const json_t* rec = json_object_get(res.response.get(), "recording");
            const json_t* id = rec ? json_object_get(rec, "recording_id") : nullptr;
            const json_t* state = rec ? json_object_get(rec, "state") : nullptr;
            if (json_is_string(state)) {
                const bool on = std::string_view(json_string_value(state)) == "on";
                const bool same = json_is_string(id) && is_uuid(json_string_value(id)) &&
                                  normalize_uuid(json_string_value(id)) == r.id;
                lost = !(on && same);
            }
        }
        if (!lost) continue;  // still recording, or no usable answer: no conclusion
        bool done = false;
        db::transact(pool_, [&](PGconn* c) {
            done = db::lock_session(c, r.session_id).has_value() && db::stop_lost_recording(c, r.session_id, r.id);
            return done ? db::TxnEnd::Commit : db::TxnEnd::Rollback;
        });
        if (done) {
            ++stopped;
            log_warn("recording %s: the media server no longer records it; stopped", r.id.c_str());
        }
    }
    return stopped;
}

bool RecordingProcessor::run_once() {
    std::optional<Job> job = claim();
    if (!job) return false;
    process(*job);
    return true;
}

void RecordingProcessor::process(const Job& job) {
    const db::RecordingRow& rec = job.row;
    const auto t0 = Clock::now();
    const Clock::time_point deadline = t0 + std::chrono::seconds(cfg_.recording_job_timeout_s);
    const fs::path dir = fs::path(cfg_.recordings_dir) / rec.session_id / rec.id;
    const fs::path work = fs::path(cfg_.recordings_dir) / ".work" / rec.id;
    std::error_code ec;
    fs::remove_all(work, ec);
    fs::create_directories(work, ec);
    if (!ec) fs::permissions(work, fs::perms::owner_all, ec);
    log_info("recording %s: post-processing attempt %d", rec.id.c_str(), job.attempt);

    bool lost = false;
    auto next_renew = Clock::now() + std::chrono::seconds(cfg_.recording_lease_s / 3);
    std::function<bool()> keep_going = [&]() {
        if (stop_ || lost) return false;
        if (Clock::now() >= next_renew) {
            next_renew = Clock::now() + std::chrono::seconds(cfg_.recording_lease_s / 3);
            try {
                db::transact(pool_, [&](PGconn* c) {
                    lost = !db::renew_job_lease(c, rec.id, job.attempt, cfg_.recording_lease_s);
                    return db::TxnEnd::Commit;
                });
            } catch (const std::exception& e) {
                log_warn("recording %s: lease not renewed: %s", rec.id.c_str(), short_what(e).c_str());
            }
        }
        return !lost;
    };

    std::vector<db::ConsentRow> consents;
    std::vector<db::TrackRow> stored;
    std::string error, tool_output;
    bool abandoned = false;
    Pipeline pipe(cfg_, blobs_, rec, dir, work, deadline, keep_going);
    try {
        db::transact(pool_, [&](PGconn* c) {
            consents = db::list_consents(c, rec.session_id, 100000);
            stored = db::list_tracks(c, rec.id);
            return db::TxnEnd::Rollback;
        });
        if (!fs::is_directory(dir, ec)) fs::create_directories(dir, ec);  // nothing was written: no tracks
        pipe.run(consents, stored);
        const std::string state = recplan::outcome_state(pipe.incomplete_);
        std::vector<db::OutputRow> rows;
        for (const auto& o : pipe.outputs_) rows.push_back(o.row);
        std::vector<std::string> committed;
        bool ours = false;
        try {
            db::transact(pool_, [&](PGconn* c) {
                ours = db::lock_session(c, rec.session_id).has_value() && db::job_still_ours(c, rec.id, job.attempt);
                if (!ours) return db::TxnEnd::Rollback;
                // Blobs before rows (as for shared files): a crash in between
                // leaves blobs whose keys were never stored.
                for (auto& o : pipe.outputs_) {
                    if (std::find(committed.begin(), committed.end(), o.row.id) != committed.end()) continue;
                    if (!o.blob->commit(o.row.id)) throw JobError("post-processing: storing an output failed");
                    committed.push_back(o.row.id);
                }
                db::insert_missing_tracks(c, rec.id, pipe.manifest_tracks_);
                db::complete_job(c, rec.session_id, rec.id, state, pipe.duration_ms_, rows, pipe.tracks_,
                                 pipe.left_out_);
                return db::TxnEnd::Commit;
            });
        } catch (const db::CommitFailed&) {
            throw;  // outcome unknown: the blobs stay (their rows may exist)
        } catch (...) {
            for (const std::string& id : committed) blobs_.remove(id);
            throw;
        }
        if (!ours) {
            for (const std::string& id : committed) blobs_.remove(id);
            throw JobAbandoned();
        }
        // Committed: the raw files and the manifest go.
        fs::remove_all(dir, ec);
        // The session's folder stays: the plugin may be making a new recording's folder in it.
        fs::remove_all(work, ec);
        const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
        log_info("recording %s: %s, %zu output(s), %d track(s), %d left out, %.1f s", rec.id.c_str(), state.c_str(),
                 rows.size(), pipe.tracks_, pipe.left_out_, secs);
        return;
    } catch (const JobAbandoned&) {
        abandoned = true;
    } catch (const JobError& e) {
        error = e.what();
        tool_output = e.tool_output;
    } catch (const std::exception& e) {
        error = "post-processing: internal error";
        tool_output = short_what(e);
    }
    fs::remove_all(work, ec);
    if (abandoned) {
        if (!lost) {
            try {
                db::transact(pool_, [&](PGconn* c) {
                    db::release_job(c, rec.id, job.attempt);
                    return db::TxnEnd::Commit;
                });
            } catch (const std::exception&) {
            }
        }
        log_info("recording %s: attempt %d abandoned (%s)", rec.id.c_str(), job.attempt, lost ? "lease lost" : "stopping");
        return;
    }
    write_log(dir, tool_output);
    const recplan::AfterFailure next =
        recplan::after_failure(static_cast<unsigned>(job.attempt), cfg_.recording_max_attempts, cfg_.recording_retry_delay_s);
    db::transact(pool_, [&](PGconn* c) {
        if (!db::lock_session(c, rec.session_id) || !db::job_still_ours(c, rec.id, job.attempt))
            return db::TxnEnd::Rollback;
        db::fail_job(c, rec.session_id, rec.id, error, next.state == "failed", next.retry_in_s, job.attempt);
        return db::TxnEnd::Commit;
    });
    log_warn("recording %s: attempt %d failed (%s)%s", rec.id.c_str(), job.attempt, error.c_str(),
             next.state == "failed" ? "; recording failed" : "; will retry");
}

}  // namespace telemed
