// Recording playback links (docs/API.md "Playback links", docs/DESIGN.md
// "Playback links"; shapes in docs/openapi.yaml).
//
//   POST /recordings/{id}/playback-links      API key. Body {"user_id", "output_id"?}
//       One transaction (the recording's session row locked): 404 not-found
//       (no such recording), 409 recording-not-available (state is not
//       available or incomplete), 403 viewer-not-authorized (user_id is not,
//       and never was, a participant of the recording's session, nor in its
//       authorized_viewers), output: output_id of this recording (404
//       otherwise) or by default the composite (404 when there is none), 410
//       recording-output-gone (shredded). Stores the playback_links row
//       (expires_at = the current second + playback_link_ttl_s) and the audit
//       row recording.playback_link {link_id, recording_id, output_id,
//       user_id, expires_at}. 201 PlaybackLink {id, recording_id, output_id,
//       user_id, url, page_url, expires_at}. 422 validation-error (body), 503
//       playback-links-disabled (no playback_link_keys).
//   DELETE /recordings/{id}/playback-links/{link_id}   API key
//       Revokes: 204, also when already revoked (the audit row
//       recording.playback_link_revoked is written once); 404 for a link
//       unknown or of another recording.
//   GET /recordings/{id}/playback/{token}     no API key: the token is the credential
//       429 too-many-requests (playback_rate_per_address). 403
//       playback-link-invalid for a token that is malformed, forged, signed
//       by an unknown kid, expired, of another recording, revoked, or whose
//       row is missing or expired (one answer for all: nothing to probe).
//       Otherwise the output, decrypted as it streams
//       (routes/sealed_download.hpp): 200, or 206 for one satisfiable Range,
//       416 range-not-satisfiable; Content-Type the output's, Accept-Ranges,
//       ETag (the output id: outputs never change), Cache-Control: private,
//       no-store; 410 recording-output-gone once shredded. Every access of a
//       link whose row exists is the audit row recording.playback {link_id,
//       output_id, user_id, range, bytes, status} in the transaction that
//       checked the link, before the body goes out: bytes is what the answer
//       is to send (a client that stops early got fewer).
// Logs: ids and reasons only; never the token, the URL or the user_id.
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/ids.hpp"
#include "common/playback_link.hpp"
#include "common/requests.hpp"
#include "common/timeutil.hpp"
#include "controller/app.hpp"
#include "controller/db/change_log.hpp"
#include "controller/db/playback_repo.hpp"
#include "controller/db/recordings_repo.hpp"
#include "controller/db/sessions_repo.hpp"
#include "controller/db/txn.hpp"
#include "controller/http/problem.hpp"
#include "controller/http/rate_limit.hpp"
#include "controller/http/router.hpp"
#include "controller/log.hpp"
#include "controller/routes/sealed_download.hpp"
#include "controller/routes/support.hpp"

namespace telemed {
namespace {

Response links_disabled() {
    return service_unavailable("playback-links-disabled", "Playback links unavailable",
                               "Playback links are not configured on this server (playback_link_keys).", 60);
}

Response link_invalid() {
    return problem(403, "playback-link-invalid", "Playback link invalid",
                   "This playback link is not valid: it has expired, was revoked, or is not a link of this server.");
}

Response output_gone() {
    return problem(410, "recording-output-gone", "Recording output deleted",
                   "This recording's file has been deleted (retention).");
}

// The parsed body of POST /recordings/{id}/playback-links.
struct LinkRequest {
    std::string user_id;
    std::optional<std::string> output_id;  // lower-case UUID
};

std::optional<LinkRequest> parse_link_request(const json_t* body, FieldErrors& errors) {
    LinkRequest r;
    const char* key;
    json_t* value;
    json_object_foreach(const_cast<json_t*>(body), key, value) {
        const std::string_view k(key);
        if (k != "user_id" && k != "output_id") errors.push_back({std::string(k), "unknown field"});
    }
    const json_t* u = json_object_get(body, "user_id");
    if (!u || json_is_null(u)) {
        errors.push_back({"user_id", "is required"});
    } else if (!json_is_string(u)) {
        errors.push_back({"user_id", "must be a string"});
    } else {
        r.user_id.assign(json_string_value(u), json_string_length(u));
        if (const char* why = check_text(r.user_id, kMaxUserIdChars)) errors.push_back({"user_id", why});
    }
    const json_t* o = json_object_get(body, "output_id");
    if (o && !json_is_null(o)) {
        const std::string_view v = json_is_string(o) ? std::string_view(json_string_value(o), json_string_length(o))
                                                     : std::string_view();
        if (!json_is_string(o) || !is_uuid(v))
            errors.push_back({"output_id", "must be the id of an output of the recording"});
        else
            r.output_id = normalize_uuid(v);
    }
    if (!errors.empty()) return std::nullopt;
    return r;
}

std::string link_actor(const std::string& link_id) { return "playback-link:" + link_id; }

int64_t monotonic_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// GET /recordings/{id}/playback/{token}: requests a minute per client
// address, per process (made on first use from the configuration).
RateLimiter& playback_limiter(const ControllerConfig& cfg) {
    static RateLimiter limiter(cfg.playback_rate_per_address, 0, JoinRateLimits::kMaxKeys);
    return limiter;
}

// POST /recordings/{id}/playback-links
Response create_link(const Request& req, AppContext& app) {
    const ControllerConfig& cfg = app.config;
    const std::string& raw = req.params.at(0);
    if (!is_uuid(raw)) return not_found("No recording with this id.");
    const std::string rid = normalize_uuid(raw);
    if (!req.query.empty()) return validation_problem({{req.query.begin()->first, "unknown query parameter"}});
    Json body;
    Response bad;
    if (!parse_json_object_body(req, &body, &bad)) return bad;
    FieldErrors errors;
    std::optional<LinkRequest> in = parse_link_request(body.get(), errors);
    if (!in) return validation_problem(errors);
    if (cfg.playback_link_keys.empty()) return links_disabled();

    return guarded("POST /recordings/{id}/playback-links", [&]() -> Response {
        std::optional<Response> early;
        std::optional<db::PlaybackLinkRow> link;
        const std::string lid = new_uuid_v4();
        db::transact(app.db, [&](PGconn* c) {
            early.reset();
            link.reset();
            std::optional<db::RecordingRow> rec = db::find_recording(c, rid);
            if (!rec) {
                early = not_found("No recording with this id.");
                return db::TxnEnd::Rollback;
            }
            if (!db::lock_session(c, rec->session_id)) throw std::runtime_error("recording without session");
            if (rec->state != "available" && rec->state != "incomplete") {
                early = problem(409, "recording-not-available", "Recording not available",
                                "The recording is " + rec->state +
                                    "; playback links are issued once it is available or incomplete.");
                return db::TxnEnd::Rollback;
            }
            if (!db::viewer_authorized(c, rec->session_id, in->user_id)) {
                early = problem(403, "viewer-not-authorized", "Viewer not authorized",
                                "This user_id is not a participant of the recording's session and not one of its "
                                "authorized_viewers.");
                return db::TxnEnd::Rollback;
            }
            std::optional<db::OutputRow> out =
                in->output_id ? db::find_output(c, *in->output_id) : db::find_composite_output(c, rid);
            if (!out || out->recording_id != rid) {
                early = not_found(in->output_id ? "No output with this id in this recording."
                                                : "The recording has no composite output; give output_id.");
                return db::TxnEnd::Rollback;
            }
            if (!out->wrapped_key) {
                early = output_gone();
                return db::TxnEnd::Rollback;
            }
            link = db::insert_playback_link(c, lid, rid, out->id, in->user_id, cfg.playback_link_ttl_s);
            Json audit(json_object());
            json_object_set_new(audit.get(), "link_id", json_str(lid));
            json_object_set_new(audit.get(), "recording_id", json_str(rid));
            json_object_set_new(audit.get(), "output_id", json_str(out->id));
            json_object_set_new(audit.get(), "user_id", json_str(in->user_id));
            json_object_set_new(audit.get(), "expires_at", json_str(format_rfc3339_micros(link->expires_at)));
            db::record_change(c, rec->session_id, actor_of(req), "recording.playback_link", audit.get(), nullptr);
            return db::TxnEnd::Commit;
        });
        if (early) return *early;
        const int64_t exp = link->expires_at / 1000000;
        const std::string token = mint_playback_link(link->id, rid, exp, cfg.playback_link_keys.front());
        const std::string base = effective_public_url(cfg);
        Json out(json_object());
        json_object_set_new(out.get(), "id", json_str(link->id));
        json_object_set_new(out.get(), "recording_id", json_str(rid));
        json_object_set_new(out.get(), "output_id", json_str(link->output_id));
        json_object_set_new(out.get(), "user_id", json_str(link->user_id));
        json_object_set_new(out.get(), "url", json_str(base + "/recordings/" + rid + "/playback/" + token));
        json_object_set_new(out.get(), "page_url",
                            json_str(base + "/app/playback.html#recording=" + rid + "&token=" + token));
        json_object_set_new(out.get(), "expires_at", json_str(format_rfc3339_micros(link->expires_at)));
        Response r = Response::json(201, out.get());
        r.headers.emplace_back("Cache-Control", "no-store");
        log_info("recording %s: playback link %s issued (output %s)", rid.c_str(), link->id.c_str(),
                 link->output_id.c_str());
        return r;
    });
}

// DELETE /recordings/{id}/playback-links/{link_id}
Response revoke_link(const Request& req, AppContext& app) {
    const std::string& raw_rid = req.params.at(0);
    const std::string& raw_lid = req.params.at(1);
    if (!is_uuid(raw_rid) || !is_uuid(raw_lid)) return not_found("No playback link with this id.");
    const std::string rid = normalize_uuid(raw_rid);
    const std::string lid = normalize_uuid(raw_lid);
    if (!req.query.empty()) return validation_problem({{req.query.begin()->first, "unknown query parameter"}});

    return guarded("DELETE /recordings/{id}/playback-links/{link_id}", [&]() -> Response {
        std::optional<Response> early;
        bool revoked_now = false;
        db::transact(app.db, [&](PGconn* c) {
            early.reset();
            revoked_now = false;
            std::optional<db::PlaybackLinkRow> link = db::find_playback_link(c, lid);
            std::optional<db::RecordingRow> rec;
            if (link && link->recording_id == rid) rec = db::find_recording(c, rid);
            if (!rec) {
                early = not_found("No playback link with this id.");
                return db::TxnEnd::Rollback;
            }
            if (!db::lock_session(c, rec->session_id)) throw std::runtime_error("recording without session");
            revoked_now = db::revoke_playback_link(c, lid);
            if (!revoked_now) return db::TxnEnd::Rollback;
            Json audit(json_object());
            json_object_set_new(audit.get(), "link_id", json_str(lid));
            json_object_set_new(audit.get(), "recording_id", json_str(rid));
            db::record_change(c, rec->session_id, actor_of(req), "recording.playback_link_revoked", audit.get(),
                              nullptr);
            return db::TxnEnd::Commit;
        });
        if (early) return *early;
        if (revoked_now) log_info("recording %s: playback link %s revoked", rid.c_str(), lid.c_str());
        return Response::no_content();
    });
}

// GET /recordings/{id}/playback/{token}
Response play(const Request& req, AppContext& app) {
    const ControllerConfig& cfg = app.config;
    const RateDecision d = playback_limiter(cfg).take(address_rate_key(req.client_address), monotonic_ms());
    if (!d.allowed) {
        Response r = problem(429, "too-many-requests", "Too many requests",
                             "Too many playback requests; retry after " + std::to_string(d.retry_after_s) + " s.");
        r.headers.emplace_back("Retry-After", std::to_string(d.retry_after_s));
        return r;
    }
    const std::string& raw_rid = req.params.at(0);
    const PlaybackLinkResult v = verify_playback_link(req.params.at(1), cfg.playback_link_keys, unix_now());
    if (!v.ok()) {
        log_info("playback: link refused (%s)", std::string(to_string(v.error)).c_str());
        return link_invalid();
    }
    if (!is_uuid(raw_rid) || normalize_uuid(raw_rid) != v.claims.recording_id) {
        log_info("playback: link %s refused (another recording)", v.claims.link_id.c_str());
        return link_invalid();
    }
    const std::string& rid = v.claims.recording_id;
    const std::string& lid = v.claims.link_id;
    if (!req.query.empty()) return validation_problem({{req.query.begin()->first, "unknown query parameter"}});
    if (!cfg.files_enabled() || !app.files)
        return service_unavailable("playback-unavailable", "Playback unavailable",
                                   "Recording storage is not configured on this server (storage_master_keys).", 60);

    return guarded("GET /recordings/{id}/playback/{token}", [&]() -> Response {
        std::optional<Response> early;
        std::optional<db::OutputRow> out;
        PreparedDownload download;
        const char* refused = nullptr;
        db::transact(app.db, [&](PGconn* c) {
            early.reset();
            out.reset();
            download = PreparedDownload{};
            refused = nullptr;
            std::optional<db::PlaybackLinkRow> link = db::find_playback_link(c, lid);
            std::optional<db::RecordingRow> rec;
            if (link && link->recording_id == rid) rec = db::find_recording(c, rid);
            if (!rec) {
                refused = "no such link";
                return db::TxnEnd::Rollback;
            }
            if (!db::lock_session(c, rec->session_id)) throw std::runtime_error("recording without session");
            int status = 0;
            if (link->revoked_at) {
                refused = "revoked";
            } else if (!db::playback_link_live(c, lid)) {
                refused = "expired";
            } else {
                out = db::find_output(c, link->output_id);
                if (!out) throw std::runtime_error("playback link without output");
                if (!out->wrapped_key) {
                    early = output_gone();
                } else {
                    download = prepare_sealed_download(
                        cfg, *app.files,
                        SealedObject{out->id, out->key_id, *out->wrapped_key, static_cast<uint64_t>(out->size),
                                     "recording output"},
                        req.header("range"));
                    if (download.error) early = std::move(download.error);
                }
            }
            if (refused) status = 403;
            else if (early) status = early->status;
            else status = download.range.kind == ByteRange::Kind::Partial ? 206 : 200;
            Json audit(json_object());
            json_object_set_new(audit.get(), "link_id", json_str(lid));
            json_object_set_new(audit.get(), "output_id", json_str(link->output_id));
            json_object_set_new(audit.get(), "user_id", json_str(link->user_id));
            json_object_set_new(audit.get(), "range",
                                status == 206 ? json_str(std::to_string(download.range.first) + "-" +
                                                         std::to_string(download.range.last))
                                              : json_null());
            json_object_set_new(audit.get(), "bytes",
                                json_integer(status == 200 || status == 206
                                                 ? static_cast<json_int_t>(download.bytes())
                                                 : 0));
            json_object_set_new(audit.get(), "status", json_integer(status));
            if (refused) json_object_set_new(audit.get(), "reason", json_str(refused));
            db::record_change(c, rec->session_id, link_actor(lid), "recording.playback", audit.get(), nullptr);
            return db::TxnEnd::Commit;
        });
        if (refused) {
            log_info("playback: link %s refused (%s)", lid.c_str(), refused);
            return link_invalid();
        }
        if (early) return *early;
        Response r;
        r.content_type = out->content_type;
        r.headers.emplace_back("ETag", "\"" + out->id + "\"");
        r.headers.emplace_back("Cache-Control", "private, no-store");
        r.headers.emplace_back("X-Content-Type-Options", "nosniff");
        r.headers.emplace_back("Referrer-Policy", "no-referrer");
        answer_sealed_download(r, download);
        log_info("recording %s: playback link %s sends %llu bytes of output %s", rid.c_str(), lid.c_str(),
                 static_cast<unsigned long long>(r.source_length), out->id.c_str());
        return r;
    });
}

}  // namespace

void register_playback_routes(Router& r) {
    r.add("POST", "/recordings/{id}/playback-links", true, Lane::Db, create_link);
    r.add("DELETE", "/recordings/{id}/playback-links/{link_id}", true, Lane::Db, revoke_link);
    // No API key: the token in the path is the credential (an Authorization
    // header is ignored, so an API key opens nothing here).
    r.add("GET", "/recordings/{id}/playback/{token}", false, Lane::Db, play);
}

}  // namespace telemed
