// The plugin's chat store (docs/DESIGN.md "The chat path", step 3; docs/API.md
// "Internal endpoints"). Not for backends or participants: these routes are
// opened only by `Authorization: Bearer <plugin_secret>` (compared in
// constant time; an API key or a credential gets 401, and plugin_secret
// opens nothing else). Empty plugin_secret: always 401.
//
//   POST /internal/v1/chat
//       {"session_id":"<uuid>","messages":[{"client_id","sender","to":[...],"text"}]}
//       (1..64 messages, common/chat.hpp parse_batch). One transaction:
//       session row locked; each message inserted once per (session, sender,
//       client_id) with the next seq, or found stored (duplicate), or 4092;
//       a session unknown, ended or cancelled answers every item 4040.
//       200 {"results":[{"client_id","id","seq","created_at","duplicate"} |
//                       {"client_id","error_code","error"}]} in batch order,
//       only after COMMIT. 400 bad JSON, 422 invalid batch, 401, 503
//       database-unavailable (the plugin answers 5030, retryable).
//   GET /internal/v1/sessions/{id}/messages?participant=<pid>&since=&limit=
//       {"items":[Message],"next_since":N|null}: what `participant` may see
//       (broadcasts, direct messages to or from it), seq > since (default
//       0), limit 1..500 (default 100). 404 unknown session, 422, 401, 503.
// Logs: session ids, counts and codes; never a text.
#include <optional>
#include <string>

#include "common/chat.hpp"
#include "common/ids.hpp"
#include "controller/app.hpp"
#include "controller/db/chat_repo.hpp"
#include "controller/db/lease.hpp"
#include "controller/db/sessions_repo.hpp"
#include "controller/db/txn.hpp"
#include "controller/http/auth.hpp"
#include "controller/http/problem.hpp"
#include "controller/http/router.hpp"
#include "controller/log.hpp"
#include "controller/routes/support.hpp"
#include "controller/routes/views.hpp"

namespace telemed {

namespace {

// POST /internal/v1/chat
Response store_chat(const Request& req, AppContext& app) {
    if (!plugin_authorized(req, app.config.plugin_secret)) return plugin_unauthorized();
    std::string parse_error;
    Json body = json_parse(req.body, &parse_error);
    if (!body) return problem(400, "invalid-json", "Invalid JSON", "The body is not valid JSON.");
    std::string why;
    std::optional<chat::Batch> batch = chat::parse_batch(body.get(), &why);
    if (!batch) return validation_problem({{"messages", why}});

    return guarded("POST /internal/v1/chat", [&]() -> Response {
        std::vector<chat::ItemResult> results;
        bool closed = false;
        db::transact(app.db, [&](PGconn* c) {
            results.clear();
            closed = false;
            std::optional<db::Session> s = db::lock_session(c, batch->session_id);
            if (!s || (s->status != SessionStatus::Scheduled && s->status != SessionStatus::Active)) {
                closed = true;
                return db::TxnEnd::Rollback;
            }
            results = db::store_chat_batch(c, *batch, db::session_chat_seq(c, batch->session_id));
            return db::TxnEnd::Commit;
        });
        if (closed) {
            results.clear();
            for (const chat::Outgoing& m : batch->messages) {
                chat::ItemResult r;
                r.client_id = m.client_id;
                r.error_code = to_int(PluginError::NoSuchRoom);
                r.error = std::string(default_error_text(PluginError::NoSuchRoom));
                results.push_back(std::move(r));
            }
        }
        std::size_t fresh = 0, dup = 0, refused = 0;
        for (const chat::ItemResult& r : results) (r.ok() ? (r.duplicate ? dup : fresh) : refused) += 1;
        log_debug("chat: session %s batch of %zu stored (%zu new, %zu duplicate, %zu refused)",
                  batch->session_id.c_str(), batch->messages.size(), fresh, dup, refused);
        return Response::json(200, chat::results_json(results).get());
    });
}

// GET /internal/v1/sessions/{id}/messages
Response read_chat(const Request& req, AppContext& app) {
    if (!plugin_authorized(req, app.config.plugin_secret)) return plugin_unauthorized();
    const std::string& raw = req.params.at(0);
    if (!is_uuid(raw)) return not_found("No session with this id.");
    const std::string sid = normalize_uuid(raw);
    FieldErrors errors;
    std::optional<std::string> participant;
    int64_t since = 0, limit = chat::kDefaultHistoryLimit;
    for (const auto& [k, v] : req.query) {
        if (req.query.count(k) > 1) {
            errors.push_back({k == "participant" || k == "since" || k == "limit" ? k : "query", "must not be repeated"});
        } else if (k == "participant") {
            if (!is_uuid(v))
                errors.push_back({"participant", "must be a UUID"});
            else
                participant = normalize_uuid(v);
        } else if (k == "since") {
            if (!parse_query_int(v, 0, INT64_MAX, &since)) errors.push_back({"since", "must be an integer >= 0"});
        } else if (k == "limit") {
            if (!parse_query_int(v, 1, chat::kMaxHistoryLimit, &limit))
                errors.push_back({"limit", "must be an integer 1..500"});
        } else {
            errors.push_back({"query", "unknown field"});
        }
    }
    if (!participant && errors.empty()) errors.push_back({"participant", "required"});
    if (!errors.empty()) return validation_problem(errors);
    return guarded("GET /internal/v1/sessions/{id}/messages", [&]() -> Response {
        bool found = false;
        chat::HistoryPage page;
        db::run_read(app.db, [&](PGconn* c) {
            found = db::find_session(c, sid).has_value();
            if (found) page = db::list_chat(c, sid, since, static_cast<int>(limit), participant);
        });
        if (!found) return not_found("No session with this id.");
        return Response::json(200, chat::history_json(page).get());
    });
}

}  // namespace

void register_internal_chat_routes(Router& r) {
    r.add("POST", "/internal/v1/chat", false, Lane::Db, store_chat);
    r.add("GET", "/internal/v1/sessions/{id}/messages", false, Lane::Db, read_chat);
}

}  // namespace telemed
