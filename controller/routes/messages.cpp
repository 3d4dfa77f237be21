// Chat history for backends and participants (ARCHITECTURE "REST API";
// docs/API.md, docs/openapi.yaml).
//
//   GET /sessions/{id}/messages?since=&limit=&cursor=
//       Authorization: Bearer <api key>      every message of the session;
//       Authorization: Bearer <credential>   (participant_auth) only what the
//          participant may see: broadcasts and direct messages to or from it.
//       200 {"items":[{"id","seq","sender","to","text","created_at"}],
//            "next_cursor":string|null} in seq order; `to` [] for a
//       broadcast; seq > since (default 0); limit 1..500 (default 100);
//       cursor: next_cursor of the previous page (not with since).
//       404 not-found (unknown or non-UUID id), 422 validation-error, 401
//       (no API key and no valid credential; a removed participant), 403
//       (credential of another session), 503 database-unavailable. A
//       participant may read its history during credential_grace_s after
//       the session closed (then 401, like every participant route).
// Logs: ids only, never a text.
#include <optional>
#include <string>

#include "common/chat.hpp"
#include "common/crypto.hpp"
#include "common/ids.hpp"
#include "common/timeutil.hpp"
#include "controller/app.hpp"
#include "controller/db/chat_repo.hpp"
#include "controller/db/lease.hpp"
#include "controller/db/participants_repo.hpp"
#include "controller/db/sessions_repo.hpp"
#include "controller/http/auth.hpp"
#include "controller/http/participant_auth.hpp"
#include "controller/http/problem.hpp"
#include "controller/http/router.hpp"
#include "controller/routes/join_grant.hpp"
#include "controller/routes/support.hpp"

namespace telemed {

namespace {

std::string encode_message_cursor(int64_t seq) { return base64url_encode("m1:" + std::to_string(seq)); }

std::optional<int64_t> decode_message_cursor(const std::string& text) {
    if (text.empty() || text.size() > 64) return std::nullopt;
    auto raw = base64url_decode(text);
    if (!raw || raw->compare(0, 3, "m1:") != 0) return std::nullopt;
    int64_t seq = 0;
    if (!parse_query_int(raw->substr(3), 0, INT64_MAX, &seq)) return std::nullopt;
    return seq;
}

// GET /sessions/{id}/messages
Response list_messages(const Request& req, AppContext& app) {
    const std::string& raw = req.params.at(0);
    const std::string_view authorization = req.header("authorization");
    const bool backend = match_bearer_key(authorization, app.config.api_keys) >= 0;
    const CredentialPolicy policy = credential_policy(app.config);
    if (!backend) {
        // Signature (and the route's session) first: no database work for a
        // request that holds neither an API key nor one of our credentials.
        std::optional<CredentialClaims> claims = credential_claims(authorization, policy);
        if (!claims) {
            ParticipantAuth a;
            a.error = bearer_value(authorization).empty() ? ParticipantAuthError::Missing : ParticipantAuthError::Invalid;
            Response r = participant_auth_problem(a);
            return r;
        }
    }
    if (!is_uuid(raw)) return not_found("No session with this id.");
    const std::string sid = normalize_uuid(raw);

    FieldErrors errors;
    int64_t since = 0, limit = chat::kDefaultHistoryLimit;
    bool have_since = false, have_cursor = false;
    for (const auto& [k, v] : req.query) {
        if (req.query.count(k) > 1) {
            errors.push_back({k == "since" || k == "limit" || k == "cursor" ? k : "query", "must not be repeated"});
        } else if (k == "since") {
            have_since = true;
            if (!parse_query_int(v, 0, INT64_MAX, &since)) errors.push_back({"since", "must be an integer >= 0"});
        } else if (k == "limit") {
            if (!parse_query_int(v, 1, chat::kMaxHistoryLimit, &limit))
                errors.push_back({"limit", "must be an integer 1..500"});
        } else if (k == "cursor") {
            have_cursor = true;
            std::optional<int64_t> after = decode_message_cursor(v);
            if (!after)
                errors.push_back({"cursor", "is not a cursor returned by this API"});
            else
                since = *after;
        } else {
            errors.push_back({"query", "unknown field"});
        }
    }
    if (have_since && have_cursor) errors.push_back({"cursor", "must not be combined with since"});
    if (!errors.empty()) return validation_problem(errors);

    return guarded("GET /sessions/{id}/messages", [&]() -> Response {
        std::optional<Response> refused;
        bool found = false;
        chat::HistoryPage page;
        db::run_read(app.db, [&](PGconn* c) {
            refused.reset();
            std::optional<db::Session> s = db::find_session(c, sid);
            std::optional<std::string> viewer;
            if (!backend) {
                ParticipantAuth auth = authenticate_participant(authorization, policy, unix_now(),
                                                                participant_lookup(c, s ? &*s : nullptr, nullptr), sid);
                // Reading one's history stays possible during the grace.
                if (!auth.ok() && auth.error != ParticipantAuthError::SessionClosed) {
                    refused = participant_auth_problem(auth);
                    return;
                }
                viewer = auth.principal.participant_id;
            }
            found = s.has_value();
            if (found) page = db::list_chat(c, sid, since, static_cast<int>(limit), viewer);
        });
        if (refused) return *refused;
        if (!found) return not_found("No session with this id.");
        Json out(json_object());
        json_t* items = json_array();
        for (const chat::Message& m : page.items) json_array_append_new(items, chat::message_json(m).release());
        json_object_set_new(out.get(), "items", items);
        json_object_set_new(out.get(), "next_cursor",
                            page.next_since ? json_str(encode_message_cursor(*page.next_since)) : json_null());
        return Response::json(200, out.get());
    });
}

}  // namespace

void register_message_routes(Router& r) { r.add("GET", "/sessions/{id}/messages", false, Lane::Db, list_messages); }

}  // namespace telemed
