// Shared files (docs/API.md "Files", docs/DESIGN.md "Files"; shapes in
// docs/openapi.yaml). Every route takes the API key or a participant
// credential (Authorization: Bearer ...).
//
//   POST /sessions/{id}/files[?on_behalf_of=<pid>][&to=<pid>,<pid>]
//          The body is the file: Content-Type its media type,
//          Content-Disposition: attachment; filename="..." its name. Streamed
//          to storage (never held whole): sniffed, hashed (SHA-256) and
//          encrypted chunk by chunk on the event thread by UploadSink; then,
//          on the Janus lane, one transaction (session row locked) checks the
//          sender (credential: active participant of this session; API key:
//          on_behalf_of an active participant), its live share_files, the
//          recipients and the session quota, commits the blob and the row,
//          the audit row and the outbox event file.shared. After the commit
//          the room is told (Admin API file_shared; best effort).
//          201 File + Location: /files/{id}. 401 (credential/key), 403
//          forbidden (no share_files; credential of another session), 404
//          (session), 409 session-closed, 413 payload-too-large (over
//          file_max_bytes), 413 session-quota-exceeded, 415
//          unsupported-media-type (type outside file_allowed_types, bytes not
//          of the declared type, a known extension of another type, an
//          executable extension), 422 validation-error (Content-Disposition,
//          on_behalf_of, to), 503 files-disabled / database-unavailable.
//   GET /sessions/{id}/files?limit=&cursor=
//          200 {"items":[File],"next_cursor"} oldest first; a participant
//          sees the files it sent, those addressed to it and those to everyone.
//   GET /files/{id}[?meta]
//          The bytes (200, or 206 for one satisfiable Range; 416 otherwise
//          unsatisfiable), streamed and decrypted segment by segment;
//          Content-Disposition: attachment, nosniff, CSP sandbox, no-store.
//          ?meta: the File resource. 404 for an unknown id, a file of another
//          session than the credential's, or one not addressed to the
//          participant; 401 for a removed participant. Every download is an
//          audit row file.downloaded (ids and bytes, never the name).
// Logs carry ids and sizes only: never the name, the credential or the key.
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "common/admin_api.hpp"
#include "common/crypto.hpp"
#include "common/files.hpp"
#include "common/ids.hpp"
#include "common/permissions.hpp"
#include "common/timeutil.hpp"
#include "controller/app.hpp"
#include "controller/clients/janus_admin.hpp"
#include "controller/db/change_log.hpp"
#include "controller/db/files_repo.hpp"
#include "controller/db/participants_repo.hpp"
#include "controller/db/sessions_repo.hpp"
#include "controller/db/txn.hpp"
#include "controller/http/participant_auth.hpp"
#include "controller/http/problem.hpp"
#include "controller/http/range.hpp"
#include "controller/http/router.hpp"
#include "controller/log.hpp"
#include "controller/routes/join_grant.hpp"
#include "controller/routes/sealed_download.hpp"
#include "controller/routes/support.hpp"
#include "controller/storage/blob_store.hpp"
#include "controller/storage/sealed_blob.hpp"
#include "controller/storage/segment_crypto.hpp"

namespace telemed {
namespace {

constexpr unsigned kNotifyTimeoutMs = 1000;  // file_shared to Janus: best effort
constexpr int kDefaultListLimit = 50;
constexpr int kMaxListLimit = 100;

Response files_disabled() {
    return service_unavailable("files-disabled", "File sharing unavailable",
                               "File sharing is not configured on this server (storage_master_keys).", 60);
}

Response unsupported(std::string_view detail) {
    return problem(415, "unsupported-media-type", "Unsupported media type", detail);
}

Response too_large(uint64_t cap) {
    return problem(413, "payload-too-large", "Payload too large",
                   "The file exceeds the limit of " + std::to_string(cap) + " bytes.");
}

Response forbidden(std::string_view detail) { return problem(403, "forbidden", "Forbidden", detail); }

std::optional<std::string> query_value(const Request& req, const char* key, bool* repeated) {
    auto [b, e] = req.query.equal_range(key);
    if (b == e) return std::nullopt;
    if (std::next(b) != e) *repeated = true;
    return b->second;
}

// "to=<pid>,<pid>": 1..50 distinct participant ids, lower-cased.
std::optional<std::vector<std::string>> parse_recipients(std::string_view v) {
    std::vector<std::string> out;
    while (true) {
        const std::size_t comma = v.find(',');
        std::string_view item = v.substr(0, comma);
        if (!is_uuid(item)) return std::nullopt;
        std::string id = normalize_uuid(item);
        if (std::find(out.begin(), out.end(), id) != out.end()) return std::nullopt;
        out.push_back(std::move(id));
        if (out.size() > admin_api::kMaxFileRecipients) return std::nullopt;
        if (comma == std::string_view::npos) break;
        v.remove_prefix(comma + 1);
    }
    return out;
}

// The participant check of a credential inside the caller's transaction
// (session `s` read or locked by it).
ParticipantAuth check_credential(PGconn* c, const Request& req, const AppContext& app, const db::Session& s,
                                 std::optional<db::Participant>* participant) {
    return authenticate_participant(req.header("authorization"), credential_policy(app.config), unix_now(),
                                    participant_lookup(c, &s, participant), s.id);
}

// 403 for a credential of another session than the route's `sid`, before
// any database work; nothing for the API key or the right session.
std::optional<Response> other_session(const Request& req, const std::string& sid) {
    if (!req.participant || req.participant->session_id == sid) return std::nullopt;
    ParticipantAuth a;
    a.error = ParticipantAuthError::WrongSession;
    return participant_auth_problem(a);
}

bool addressed_to(const db::FileRow& f, const std::string& pid) {
    return f.sender_id == pid || f.recipients.empty() ||
           std::find(f.recipients.begin(), f.recipients.end(), pid) != f.recipients.end();
}

// ------------------------------------------------------------ upload sink

// Takes the body chunk by chunk on the event thread: cap, magic bytes (the
// first kSniffBytes), the text rule for text/plain, SHA-256 of the
// plaintext, AES-256-GCM segments into a temporary blob. Holds at most one
// segment of plaintext and one of ciphertext (storage/sealed_blob.hpp).
class UploadSink final : public BodySink {
public:
    UploadSink(std::string file_id, std::string session_id, files::FileType declared, std::string name,
               uint64_t cap, std::unique_ptr<BlobWriter> blob)
        : file_id_(std::move(file_id)),
          session_id_(std::move(session_id)),
          declared_(declared),
          name_(std::move(name)),
          cap_(cap),
          sealed_(file_id_, std::move(blob)) {
        head_.reserve(files::kSniffBytes);
    }

    std::optional<Response> write(const char* data, std::size_t n) override {
        if (failed_) return internal_error();
        received_ += n;
        if (received_ > cap_) return too_large(cap_);
        const auto* p = reinterpret_cast<const uint8_t*>(data);
        if (!sniffed_) {
            head_.append(data, std::min(n, files::kSniffBytes - head_.size()));
            if (head_.size() >= files::kSniffBytes)
                if (std::optional<Response> r = decide(false)) return r;
        }
        if (declared_ == files::FileType::Text) {
            text_.feed(p, n);
            if (!text_.ok()) return unsupported("The body is not UTF-8 text as declared.");
        }
        if (!sealed_.write(p, n)) return fail("encrypt");
        return std::nullopt;
    }

    std::optional<Response> finish() override {
        if (failed_) return internal_error();
        if (!sniffed_)
            if (std::optional<Response> r = decide(true)) return r;
        if (declared_ == files::FileType::Text && !text_.finish())
            return unsupported("The body is not UTF-8 text as declared.");
        if (!sealed_.finish()) return fail("finish");
        finished_ = true;
        return std::nullopt;
    }

    const std::string& file_id() const { return file_id_; }
    const std::string& session_id() const { return session_id_; }
    const std::string& name() const { return name_; }
    std::optional<std::string> wrapped_key(std::string_view master) const { return sealed_.wrapped_key(master); }
    const std::string& sha256() const { return sealed_.sha256(); }
    uint64_t size() const { return received_; }
    files::FileType type() const { return declared_; }
    bool finished() const { return finished_; }
    BlobWriter& blob() { return sealed_.blob(); }

private:
    std::optional<Response> decide(bool complete) {
        sniffed_ = true;
        const files::FileType t =
            files::sniff(reinterpret_cast<const uint8_t*>(head_.data()), head_.size(), complete);
        std::string().swap(head_);
        if (t != declared_)
            return unsupported("The file's content is not of its declared type " +
                               std::string(files::media_type(declared_)) + ".");
        if (!files::extension_acceptable(name_, t))
            return unsupported("The file name's extension does not match its type, or names an executable format.");
        return std::nullopt;
    }

    std::optional<Response> fail(const char* what) {
        failed_ = true;
        log_error("file upload %s: storage step failed (%s)", file_id_.c_str(), what);
        return internal_error();
    }

    std::string file_id_, session_id_;
    files::FileType declared_;
    std::string name_;
    uint64_t cap_;
    SealingWriter sealed_;
    files::TextChecker text_;
    std::string head_;
    uint64_t received_ = 0;
    bool sniffed_ = false, failed_ = false, finished_ = false;
};

// The checks that need no database, on the event thread once the head is in.
std::unique_ptr<BodySink> begin_upload(const Request& req, AppContext& app, std::optional<Response>* refusal) {
    const ControllerConfig& cfg = app.config;
    if (!cfg.files_enabled() || !app.files) {
        *refusal = files_disabled();
        return nullptr;
    }
    const std::string& raw_sid = req.params.at(0);
    if (!is_uuid(raw_sid)) {
        *refusal = not_found("No session with this id.");
        return nullptr;
    }
    const std::string sid = normalize_uuid(raw_sid);
    if ((*refusal = other_session(req, sid))) return nullptr;
    FieldErrors errors;
    bool repeated = false;
    std::optional<std::string> on_behalf_of = query_value(req, "on_behalf_of", &repeated);
    std::optional<std::string> to = query_value(req, "to", &repeated);
    for (const auto& [k, v] : req.query)
        if (k != "on_behalf_of" && k != "to") errors.push_back({k, "unknown query parameter"});
    if (repeated) errors.push_back({"query", "a parameter is repeated"});
    if (req.participant) {
        if (on_behalf_of) errors.push_back({"on_behalf_of", "only for API key callers"});
    } else if (!on_behalf_of) {
        errors.push_back({"on_behalf_of", "required with the API key: the participant id of the sender"});
    } else if (!is_uuid(*on_behalf_of)) {
        errors.push_back({"on_behalf_of", "must be a participant id"});
    }
    if (to && !parse_recipients(*to)) errors.push_back({"to", "must be 1..50 distinct participant ids, comma-separated"});
    // No Content-Disposition at all: the file is stored as "file" (a caller
    // that sends only the bytes still gets them shared); one that is present
    // but unusable is refused.
    const std::string_view disposition = req.header("content-disposition");
    std::optional<std::string> raw_name =
        disposition.empty() ? std::optional<std::string>("file") : files::parse_content_disposition(disposition);
    if (!raw_name) errors.push_back({"Content-Disposition", "must be: attachment; filename=\"<name>\""});
    if (!errors.empty()) {
        *refusal = validation_problem(errors);
        return nullptr;
    }
    const files::FileType declared = files::type_of_media_type(req.header("content-type"));
    if (declared == files::FileType::Unknown ||
        std::find(cfg.file_allowed_types.begin(), cfg.file_allowed_types.end(), declared) ==
            cfg.file_allowed_types.end()) {
        *refusal = unsupported("Content-Type must be one of the accepted media types.");
        return nullptr;
    }
    std::string_view cl = req.header("content-length");
    if (!cl.empty()) {
        uint64_t n = 0;
        bool digits = cl.size() <= 19;
        for (char ch : cl) digits = digits && ch >= '0' && ch <= '9';
        if (!digits || (n = std::stoull(std::string(cl))) > cfg.file_max_bytes) {
            *refusal = too_large(cfg.file_max_bytes);
            return nullptr;
        }
    }
    std::unique_ptr<BlobWriter> blob = app.files->create();
    if (!blob) {
        *refusal = internal_error();
        return nullptr;
    }
    return std::make_unique<UploadSink>(new_uuid_v4(), sid, declared, files::sanitize_filename(*raw_name),
                                        cfg.file_max_bytes, std::move(blob));
}

admin_api::SharedFile shared_file(const db::FileRow& f) {
    admin_api::SharedFile s;
    s.id = f.id;
    s.session_id = f.session_id;
    s.name = f.name;
    s.size = f.size;
    s.content_type = f.content_type;
    s.sha256 = hex_encode(f.sha256);
    s.sender = f.sender_id;
    s.to = f.recipients;
    s.created_at = format_rfc3339_micros(f.created_at);
    return s;
}

// POST /sessions/{id}/files (after the body is in)
Response upload_file(const Request& req, AppContext& app) {
    auto* sink = dynamic_cast<UploadSink*>(req.sink);
    if (!sink || !sink->finished()) return internal_error();
    const ControllerConfig& cfg = app.config;
    const std::string& sid = sink->session_id();
    bool repeated = false;
    std::optional<std::string> on_behalf_of = query_value(req, "on_behalf_of", &repeated);
    std::optional<std::string> to_text = query_value(req, "to", &repeated);
    const std::vector<std::string> recipients = to_text ? parse_recipients(*to_text).value_or(std::vector<std::string>{})
                                                        : std::vector<std::string>{};
    const ControllerConfig::MasterKey& master = cfg.storage_master_keys.front();
    std::optional<std::string> wrapped = sink->wrapped_key(master.key);
    if (!wrapped) return internal_error();
    // The fsync here, on the lane and before the session row is locked.
    if (!sink->blob().sync()) return internal_error();

    return guarded("POST /sessions/{id}/files", [&]() -> Response {
        std::optional<Response> early;
        std::optional<db::FileRow> row;
        bool blob_committed = false;
        try {
            db::transact(app.db, [&](PGconn* c) {
                early.reset();
                row.reset();
                std::optional<db::Session> s = db::lock_session(c, sid);
                if (!s) {
                    early = not_found("No session with this id.");
                    return db::TxnEnd::Rollback;
                }
                std::optional<db::Participant> sender;
                std::string actor;
                if (req.participant) {
                    ParticipantAuth a = check_credential(c, req, app, *s, &sender);
                    if (!a.ok()) {
                        early = participant_auth_problem(a);
                        return db::TxnEnd::Rollback;
                    }
                    actor = a.principal.actor();
                } else {
                    sender = db::find_participant(c, sid, normalize_uuid(*on_behalf_of));
                    if (!sender || !sender->active) {
                        early = validation_problem({{"on_behalf_of", "must name an active participant of this session"}});
                        return db::TxnEnd::Rollback;
                    }
                    actor = actor_of(req);
                }
                if (s->status != SessionStatus::Scheduled && s->status != SessionStatus::Active) {
                    early = session_closed(to_string(s->status));
                    return db::TxnEnd::Rollback;
                }
                if (!has(effective_permissions(sender->role, s->kind, sender->overrides), Permission::ShareFiles)) {
                    early = forbidden("The sender does not hold the share_files permission.");
                    return db::TxnEnd::Rollback;
                }
                for (const std::string& r : recipients) {
                    std::optional<db::Participant> p = db::find_participant(c, sid, r);
                    if (!p || !p->active) {
                        early = validation_problem({{"to", "every id must name an active participant of this session"}});
                        return db::TxnEnd::Rollback;
                    }
                }
                const int64_t used = db::session_files_bytes(c, sid);
                if (static_cast<uint64_t>(used) + sink->size() > cfg.session_files_quota_bytes) {
                    early = problem(413, "session-quota-exceeded", "Session file quota exceeded",
                                    "The session's files would exceed its quota of " +
                                        std::to_string(cfg.session_files_quota_bytes) + " bytes (" +
                                        std::to_string(used) + " used).");
                    return db::TxnEnd::Rollback;
                }
                // The blob goes into place before the row: a crash in between
                // leaves a blob whose key was never stored (shredded already).
                if (!blob_committed) {
                    if (!sink->blob().commit(sink->file_id())) throw std::runtime_error("blob commit failed");
                    blob_committed = true;
                }
                db::FileRow f;
                f.id = sink->file_id();
                f.session_id = sid;
                f.sender_id = sender->id;
                f.recipients = recipients;
                f.name = sink->name();
                f.content_type = std::string(files::media_type(sink->type()));
                f.size = static_cast<int64_t>(sink->size());
                f.sha256 = sink->sha256();
                f.key_id = master.kid;
                f.wrapped_key = *wrapped;
                row = db::insert_file(c, f);
                Json audit(json_object());
                json_object_set_new(audit.get(), "file_id", json_str(f.id));
                json_object_set_new(audit.get(), "sender", json_str(f.sender_id));
                json_object_set_new(audit.get(), "recipients", json_integer(static_cast<json_int_t>(recipients.size())));
                json_object_set_new(audit.get(), "bytes", json_integer(f.size));
                json_object_set_new(audit.get(), "content_type", json_str(f.content_type));
                Json outbox(json_object());
                json_object_set_new(outbox.get(), "session_id", json_str(sid));
                json_object_set_new(outbox.get(), "file_id", json_str(f.id));
                json_object_set_new(outbox.get(), "sender", json_str(f.sender_id));
                json_t* to = json_array();
                for (const std::string& r : recipients) json_array_append_new(to, json_str(r));
                json_object_set_new(outbox.get(), "to", to);
                json_object_set_new(outbox.get(), "size", json_integer(f.size));
                json_object_set_new(outbox.get(), "content_type", json_str(f.content_type));
                json_object_set_new(outbox.get(), "sha256", json_str(hex_encode(f.sha256)));
                db::record_change(c, sid, actor, "file.shared", audit.get(), outbox.get());
                return db::TxnEnd::Commit;
            });
        } catch (const db::CommitFailed&) {
            throw;  // outcome unknown: the blob stays (its row may exist)
        } catch (...) {
            if (blob_committed) app.files->remove(sink->file_id());
            throw;
        }
        if (early) {
            if (blob_committed) app.files->remove(sink->file_id());
            return *early;
        }
        log_info("session %s: file %s stored (%llu bytes) by participant %s", sid.c_str(), row->id.c_str(),
                 static_cast<unsigned long long>(row->size), row->sender_id.c_str());
        // Tell the room, after the commit; best effort.
        admin_api::FileSharedRequest fs{sid, shared_file(*row)};
        Json body = admin_api::build_request(fs);
        JanusAdmin::Result r = app.janus.message_plugin(body.get(), kNotifyTimeoutMs);
        if (!r.ok && !r.refused_with(PluginError::NoSuchRoom))
            log_warn("session %s: file %s not announced to the room (%s)", sid.c_str(), row->id.c_str(),
                     r.error.c_str());
        Json out = db::file_json(*row);
        Response resp = Response::json(201, out.get());
        resp.headers.emplace_back("Location", "/files/" + row->id);
        return resp;
    });
}

// ------------------------------------------------------------ download

void download_headers(Response& r, const db::FileRow& f) {
    r.headers.emplace_back("Content-Disposition", files::content_disposition_attachment(f.name));
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("Content-Security-Policy", "default-src 'none'; sandbox");
    r.headers.emplace_back("Cache-Control", "private, no-store");
}

// GET /files/{id}
Response get_file(const Request& req, AppContext& app) {
    const ControllerConfig& cfg = app.config;
    if (!cfg.files_enabled() || !app.files) return files_disabled();
    const std::string& raw_id = req.params.at(0);
    if (!is_uuid(raw_id)) return not_found("No file with this id.");
    const std::string id = normalize_uuid(raw_id);
    const bool meta = req.query.count("meta") > 0;
    for (const auto& [k, v] : req.query)
        if (k != "meta") return validation_problem({{k, "unknown query parameter"}});

    return guarded("GET /files/{id}", [&]() -> Response {
        std::optional<Response> early;
        std::optional<db::FileRow> file;
        PreparedDownload download;
        db::transact(app.db, [&](PGconn* c) {
            early.reset();
            download = PreparedDownload{};
            file = db::find_file(c, id);
            if (!file || !file->wrapped_key ||
                (req.participant && req.participant->session_id != file->session_id)) {
                early = not_found("No file with this id.");
                return db::TxnEnd::Rollback;
            }
            std::optional<db::Session> s = db::lock_session(c, file->session_id);
            if (!s) throw std::runtime_error("file without session");
            std::string actor = actor_of(req);
            if (req.participant) {
                std::optional<db::Participant> p;
                ParticipantAuth a = check_credential(c, req, app, *s, &p);
                if (!a.ok()) {
                    early = participant_auth_problem(a);
                    return db::TxnEnd::Rollback;
                }
                if (!addressed_to(*file, p->id)) {
                    early = not_found("No file with this id.");
                    return db::TxnEnd::Rollback;
                }
                actor = a.principal.actor();
            }
            if (meta) return db::TxnEnd::Rollback;
            download = prepare_sealed_download(
                cfg, *app.files,
                SealedObject{file->id, file->key_id, *file->wrapped_key, static_cast<uint64_t>(file->size), "file"},
                req.header("range"));
            if (download.error) {
                early = std::move(download.error);
                return db::TxnEnd::Rollback;
            }
            const ByteRange& range = download.range;
            const uint64_t bytes = download.bytes();
            Json audit(json_object());
            json_object_set_new(audit.get(), "file_id", json_str(file->id));
            json_object_set_new(audit.get(), "bytes", json_integer(static_cast<json_int_t>(bytes)));
            if (range.kind == ByteRange::Kind::Partial)
                json_object_set_new(audit.get(), "offset", json_integer(static_cast<json_int_t>(range.first)));
            db::record_change(c, file->session_id, actor, "file.downloaded", audit.get(), nullptr);
            return db::TxnEnd::Commit;
        });
        if (early) return *early;
        if (meta) {
            Json out = db::file_json(*file);
            Response r = Response::json(200, out.get());
            r.headers.emplace_back("Cache-Control", "private, no-store");
            return r;
        }
        Response r;
        // Text was checked to be UTF-8 at upload: say so, so nothing guesses.
        r.content_type = file->content_type == "text/plain" ? "text/plain; charset=utf-8" : file->content_type;
        download_headers(r, *file);
        answer_sealed_download(r, download);
        log_info("file %s: download of %llu bytes", file->id.c_str(), static_cast<unsigned long long>(r.source_length));
        return r;
    });
}

// GET /sessions/{id}/files
Response list_session_files(const Request& req, AppContext& app) {
    const ControllerConfig& cfg = app.config;
    if (!cfg.files_enabled() || !app.files) return files_disabled();
    const std::string& raw_sid = req.params.at(0);
    if (!is_uuid(raw_sid)) return not_found("No session with this id.");
    const std::string sid = normalize_uuid(raw_sid);
    if (std::optional<Response> r = other_session(req, sid)) return *r;
    int limit = kDefaultListLimit;
    std::optional<db::FileCursor> after;
    FieldErrors errors;
    for (const auto& [k, v] : req.query) {
        if (k == "limit") {
            bool ok = !v.empty() && v.size() <= 3;
            for (char ch : v) ok = ok && ch >= '0' && ch <= '9';
            if (ok) limit = std::stoi(v);
            if (!ok || limit < 1 || limit > kMaxListLimit) errors.push_back({"limit", "must be an integer in 1..100"});
        } else if (k == "cursor") {
            after = db::decode_file_cursor(v);
            if (!after) errors.push_back({"cursor", "is not a cursor returned by this API"});
        } else {
            errors.push_back({k, "unknown query parameter"});
        }
    }
    if (!errors.empty()) return validation_problem(errors);

    return guarded("GET /sessions/{id}/files", [&]() -> Response {
        std::optional<Response> early;
        db::FilePage page;
        db::transact(app.db, [&](PGconn* c) {
            early.reset();
            std::optional<db::Session> s = db::find_session(c, sid);
            if (!s) {
                early = not_found("No session with this id.");
                return db::TxnEnd::Rollback;
            }
            std::optional<std::string> visible_to;
            if (req.participant) {
                std::optional<db::Participant> p;
                ParticipantAuth a = check_credential(c, req, app, *s, &p);
                if (!a.ok()) {
                    early = participant_auth_problem(a);
                    return db::TxnEnd::Rollback;
                }
                visible_to = p->id;
            }
            page = db::list_files(c, sid, visible_to, after, limit);
            return db::TxnEnd::Rollback;  // read only
        });
        if (early) return *early;
        Json out(json_object());
        json_t* items = json_array();
        for (const db::FileRow& f : page.items) json_array_append_new(items, db::file_json(f).release());
        json_object_set_new(out.get(), "items", items);
        json_object_set_new(out.get(), "next_cursor",
                            page.next ? json_str(db::encode_file_cursor(*page.next)) : json_null());
        return Response::json(200, out.get());
    });
}

}  // namespace

void register_file_routes(Router& r) {
    // API key, or a participant credential checked by the handlers.
    r.add(Route{.method = "POST", .pattern = "/sessions/{id}/files", .requires_auth = true,
                .lane = Lane::Janus,  // tells the room after the commit
                .handler = upload_file, .participant_auth = true, .sink = begin_upload, .inline_first = {}});
    r.add(Route{.method = "GET", .pattern = "/sessions/{id}/files", .requires_auth = true, .lane = Lane::Db,
                .handler = list_session_files, .participant_auth = true, .sink = {}, .inline_first = {}});
    r.add(Route{.method = "GET", .pattern = "/files/{id}", .requires_auth = true, .lane = Lane::Db,
                .handler = get_file, .participant_auth = true, .sink = {}, .inline_first = {}});
}

}  // namespace telemed
