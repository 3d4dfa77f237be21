// Minting what a participant needs to get in, in one place for the two
// routes that hand it out: POST /sessions/{id}/participants (backend, API
// key) and POST /join (the participant, with its credential).
//
//   JoinGrant g = new_join_grant(cfg);
//   run_janus_step(app, sid,                                   // routes/janus_step.hpp
//       read:  find the session and participant; plan = join_room_plan(c, s, new_or_null)
//       write: (insert the participant); record_token_issued(c, s, p, actor, g, "api_key")
//   );
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
#include "controller/routes/janus_step.hpp"

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

// The Janus step of a join (routes/janus_step.hpp), in its read step (no
// lock): a create_room upsert in the session's state, removed participants
// revoked, the active ones' grants and `extra`'s (a participant about to be
// inserted; may be null), so the room exists before the token can be used
// (it also re-creates a room a Janus restart lost).
JanusPlan join_room_plan(PGconn* c, const db::Session& s, const db::Participant* extra);

// In the write step (session row locked, nothing changed since the read):
// puts the token on record: audit + participant event
// "participant.token_issued" {participant_id, jti, expires_at, via} (ids
// only, never the token), actor `actor`.
void record_token_issued(PGconn* c, const db::Session& s, const db::Participant& p, const std::string& actor,
                         const JoinGrant& g, const char* via);

// The "join" object (docs/openapi.yaml JoinInfo): {token, expires_at,
// janus_ws_url, plugin, janus_token, ice_servers, support_phone, app_url}
// (support_phone only when configured, also in app_url's JSON); mints the token
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
