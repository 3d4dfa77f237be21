// Participants' own access (ARCHITECTURE "Participants' own access";
// docs/DESIGN.md "Participant credentials"; shapes in docs/openapi.yaml).
//
//   POST /join                      Authorization: Bearer <participant credential>
//          No body (any body is ignored). 200 JoinInfo: a fresh join object,
//          the same shape as `join` of the participant add (token, expires_at,
//          janus_ws_url, plugin, ice_servers, app_url), minted by the same
//          code (routes/join_grant): the token is on record (audit + event
//          participant.token_issued, via "credential", actor
//          "participant:<pid>", ids and jti only) and the Janus room is
//          upserted before the token is handed out.
//          Checked in this order: 429 too-many-requests per client address,
//          401 when the credential is missing or not ours, 429 per
//          credential, then (session row locked) 401 unauthorized: unknown
//          participant, removed, revoked (stale epoch), past expires_at, or
//          session closed longer than credential_grace_s ago; 409
//          session-closed: ended/cancelled within the grace. 503
//          janus-unavailable (nothing recorded), 503 database-unavailable.
//          429 carries Retry-After (seconds). Not API-key authenticated.
//   POST /sessions/{id}/participants/{pid}/credential/revoke      (API key)
//          204: the participant's credential epoch is incremented, so every
//          credential handed out so far gets 401; the next participant add
//          (200 repeat) returns the new credential. Audit + event
//          participant.credential_revoked {participant_id, credential_epoch}.
//          204 without change when the participant is already removed (its
//          credential is dead anyway). Allowed on closed sessions. 404
//          not-found (also non-UUID ids). Does not kick from the media path
//          (DELETE the participant for that).
// Logs carry ids only: never the credential or the token.
#include <chrono>
#include <optional>
#include <string>

#include "common/ids.hpp"
#include "common/timeutil.hpp"
#include "controller/app.hpp"
#include "controller/db/change_log.hpp"
#include "controller/db/participants_repo.hpp"
#include "controller/db/sessions_repo.hpp"
#include "controller/db/txn.hpp"
#include "controller/http/participant_auth.hpp"
#include "controller/http/problem.hpp"
#include "controller/http/rate_limit.hpp"
#include "controller/http/router.hpp"
#include "controller/live/session_cache.hpp"
#include "controller/log.hpp"
#include "controller/routes/janus_step.hpp"
#include "controller/routes/join_grant.hpp"
#include "controller/routes/support.hpp"

namespace telemed {
namespace {

int64_t monotonic_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

Response too_many_requests(const RateDecision& d) {
    Response r = problem(429, "too-many-requests", "Too many requests",
                         "Too many join requests; retry after " + std::to_string(d.retry_after_s) + " s.");
    r.headers.emplace_back("Retry-After", std::to_string(d.retry_after_s));
    return r;
}

// POST /join
Response join_with_credential(const Request& req, AppContext& app) {
    const ControllerConfig& cfg = app.config;
    const int64_t now_ms = monotonic_ms();
    RateDecision d = app.join_limits.per_address.take(address_rate_key(req.client_address), now_ms);
    if (!d.allowed) return too_many_requests(d);

    const CredentialPolicy policy = credential_policy(cfg);
    const std::string_view authorization = req.header("authorization");
    std::optional<CredentialClaims> claims = credential_claims(authorization, policy);
    if (!claims) {
        ParticipantAuth a;
        a.error = bearer_value(authorization).empty() ? ParticipantAuthError::Missing : ParticipantAuthError::Invalid;
        return participant_auth_problem(a);
    }
    d = app.join_limits.per_credential.take(claims->participant_id, now_ms);
    if (!d.allowed) {
        log_info("join: participant %s rate limited", claims->participant_id.c_str());
        return too_many_requests(d);
    }
    if (!can_mint_tokens(cfg)) {
        log_error("join tokens: token_kid is not one of token_keys");
        return internal_error();
    }
    const JoinGrant grant = new_join_grant(cfg);

    return guarded("POST /join", [&]() -> Response {
        std::optional<db::Session> session;
        std::optional<db::Participant> participant;
        std::string actor;
        // Checked in the read step (no lock) and again under the lock: a
        // credential revoke does not change the session's fingerprint.
        auto check = [&](PGconn* c, const db::Session* s) -> std::optional<Response> {
            participant.reset();
            ParticipantAuth auth =
                authenticate_participant(authorization, policy, unix_now(), participant_lookup(c, s, &participant));
            if (!auth.ok()) {
                if (auth.error != ParticipantAuthError::Invalid)
                    log_info("join: participant %s refused (%s)", claims->participant_id.c_str(),
                             std::string(to_string(auth.error)).c_str());
                return participant_auth_problem(auth);
            }
            actor = auth.principal.actor();
            return std::nullopt;
        };
        std::optional<Response> refused;
        std::optional<Response> answer = run_janus_step(
            app, claims->session_id,
            [&](PGconn* c, JanusPlan& plan) -> std::optional<Response> {
                session = db::find_session(c, claims->session_id);
                if (std::optional<Response> r = check(c, session ? &*session : nullptr)) return r;
                plan = join_room_plan(c, *session, nullptr);
                return std::nullopt;
            },
            [&](PGconn* c, const db::Session& s) {
                refused = check(c, &s);
                if (refused) return db::TxnEnd::Rollback;
                record_token_issued(c, s, *participant, actor, grant, "credential");
                return db::TxnEnd::Commit;
            });
        if (answer && answer->status == 404) {
            // No session with this id: a credential of ours for a session that is gone.
            ParticipantAuth a;
            a.error = ParticipantAuthError::Invalid;
            return participant_auth_problem(a);
        }
        if (answer) return *answer;
        if (refused) return *refused;
        Json join = join_object(cfg, *session, *participant, grant);
        log_info("session %s: participant %s got a join token with its credential (jti %s)", session->id.c_str(),
                 participant->id.c_str(), grant.jti.c_str());
        return Response::json(200, join.get());
    });
}

// POST /sessions/{id}/participants/{pid}/credential/revoke
Response revoke_credential(const Request& req, AppContext& app) {
    const std::string& raw_sid = req.params.at(0);
    const std::string& raw_pid = req.params.at(1);
    if (!is_uuid(raw_sid)) return not_found("No session with this id.");
    if (!is_uuid(raw_pid)) return not_found("No participant with this id in this session.");
    const std::string sid = normalize_uuid(raw_sid);
    const std::string pid = normalize_uuid(raw_pid);
    const std::string actor = actor_of(req);
    SessionCacheInvalidation invalidate(app.session_cache, sid);  // after the transaction, whatever its outcome

    return guarded("POST /sessions/{id}/participants/{pid}/credential/revoke", [&]() -> Response {
        std::optional<Response> early;
        int64_t epoch = 0;
        db::transact(app.db, [&](PGconn* c) {
            early.reset();
            if (!db::lock_session(c, sid)) {
                early = not_found("No session with this id.");
                return db::TxnEnd::Rollback;
            }
            std::optional<db::Participant> p = db::find_participant(c, sid, pid);
            if (!p) {
                early = not_found("No participant with this id in this session.");
                return db::TxnEnd::Rollback;
            }
            if (!p->active) {
                early = Response::no_content();  // removed: its credential is dead already
                return db::TxnEnd::Rollback;
            }
            db::Participant bumped = db::bump_credential_epoch(c, pid);
            epoch = bumped.credential_epoch;
            Json data(json_object());
            json_object_set_new(data.get(), "participant_id", json_str(pid));
            json_object_set_new(data.get(), "credential_epoch", json_integer(epoch));
            db::record_participant_change(c, sid, actor, "participant.credential_revoked", data.get(), nullptr, pid,
                                          "credential_revoked", data.get());
            return db::TxnEnd::Commit;
        });
        if (early) return *early;
        log_info("session %s: participant %s credential revoked by %s (epoch %lld)", sid.c_str(), pid.c_str(),
                 actor.c_str(), static_cast<long long>(epoch));
        return Response::no_content();
    });
}

}  // namespace

void register_participant_access_routes(Router& r) {
    r.add("POST", "/join", false, Lane::Janus, join_with_credential);
    r.add("POST", "/sessions/{id}/participants/{pid}/credential/revoke", true, Lane::Db, revoke_credential);
}

}  // namespace telemed
