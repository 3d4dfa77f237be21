// Minting what a participant needs to get in, in one place for the two
// routes that hand it out: POST /sessions/{id}/participants (backend, API
// key) and POST /join (the participant, with its credential).
//
//   JoinGrant g = new_join_grant(cfg);
//   db::transact(... {
//       lock the session, find the participant ...
//       if (!prepare_join(c, app, session, participant, actor, g, "api_key")) -> 503, rollback
//   });
//   join_object(cfg, session, participant, g)   // after the commit
//   access_object(cfg, participant)             // the add route only
#pragma once
#include <libpq-fe.h>

#include <cstdint>
#include <string>

#include "common/json.hpp"
#include "controller/app.hpp"
#include "controller/db/participants_repo.hpp"
#include "controller/db/sessions_repo.hpp"
#include "controller/http/participant_auth.hpp"

namespace telemed {

// One join token to be: its jti and lifetime (token_ttl_s from now).
struct JoinGrant {
    std::string jti;
    int64_t iat = 0;
    int64_t exp = 0;
};
JoinGrant new_join_grant(const ControllerConfig& cfg);

// True when token_kid names a key of token_keys (check_required_config
// guarantees it in the daemon); routes answer 500 otherwise.
bool can_mint_tokens(const ControllerConfig& cfg);

// In the caller's transaction, with the session row locked:
//  - puts the token on record: audit + participant event
//    "participant.token_issued" {participant_id, jti, expires_at, via}
//    (ids only, never the token), actor `actor`;
//  - makes sure the Janus room exists (create_room upsert in the session's
//    state, removed participants revoked, active ones' grants), so it
//    exists before the token can be used (it also re-creates a room a Janus
//    restart lost).
// false when Janus refused or could not be reached: the caller answers 503
// janus-unavailable and rolls back.
bool prepare_join(PGconn* c, AppContext& app, const db::Session& s, const db::Participant& p,
                  const std::string& actor, const JoinGrant& g, const char* via);

// The "join" object (docs/openapi.yaml JoinInfo): {token, expires_at,
// janus_ws_url, plugin, janus_token, ice_servers, app_url}; mints the token
// (claims: docs/DESIGN.md "Join token"), the Janus token (janus_token_secret
// set: common/janus_token.hpp, janus.plugin.telemed only, janus_token_ttl_s)
// and the TURN credentials.
Json join_object(const ControllerConfig& cfg, const db::Session& s, const db::Participant& p, const JoinGrant& g);

// The policy of controller/http/participant_auth from the configuration.
CredentialPolicy credential_policy(const ControllerConfig& cfg);

// The "access" object {credential, invite_url, expires_at} of participant p:
// the same text for the same (participant, credential epoch).
Json access_object(const ControllerConfig& cfg, const db::Participant& p);

}  // namespace telemed
