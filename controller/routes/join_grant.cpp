// controller/routes/join_grant.hpp.
#include "controller/routes/join_grant.hpp"

#include <stdexcept>
#include <vector>

#include "common/credential.hpp"
#include "common/crypto.hpp"
#include "common/ids.hpp"
#include "common/janus_token.hpp"
#include "common/timeutil.hpp"
#include "common/token.hpp"
#include "common/turn.hpp"
#include "controller/clients/janus_admin.hpp"
#include "controller/db/change_log.hpp"
#include "controller/routes/support.hpp"

namespace telemed {
namespace {

json_t* string_array(const std::vector<std::string>& items) {
    json_t* a = json_array();
    for (const std::string& s : items) json_array_append_new(a, json_str(s));
    return a;
}

}  // namespace

JoinGrant new_join_grant(const ControllerConfig& cfg) {
    JoinGrant g;
    g.jti = new_uuid_v4();
    g.iat = unix_now();
    g.exp = g.iat + cfg.token_ttl_s;
    return g;
}

bool can_mint_tokens(const ControllerConfig& cfg) { return cfg.token_keys.find(cfg.token_kid) != nullptr; }

JanusPlan join_room_plan(PGconn* c, const db::Session& s, const db::Participant* extra) {
    std::vector<std::string> revoked = db::removed_participant_ids(c, s.id, admin_api::kMaxRevokedInRequest);
    std::vector<db::Participant> active = db::list_active_participants(c, s.id);
    if (extra) active.push_back(*extra);
    JanusPlan plan;
    plan.request = create_room_request(s, s.status == SessionStatus::Active ? "active" : "scheduled", revoked, active);
    plan.op = "create_room";
    return plan;
}

void record_token_issued(PGconn* c, const db::Session& s, const db::Participant& p, const std::string& actor,
                         const JoinGrant& g, const char* via) {
    // Every join token minted is on record (ids only, never the token).
    Json tok(json_object());
    json_object_set_new(tok.get(), "participant_id", json_str(p.id));
    json_object_set_new(tok.get(), "jti", json_str(g.jti));
    json_object_set_new(tok.get(), "expires_at", json_str(format_rfc3339_micros(g.exp * 1000000)));
    json_object_set_new(tok.get(), "via", json_string(via));
    db::record_participant_change(c, s.id, actor, "participant.token_issued", tok.get(), nullptr, p.id,
                                  "token_issued", tok.get());
}

Json join_object(const ControllerConfig& cfg, const db::Session& s, const db::Participant& p, const JoinGrant& g) {
    const std::string* secret = cfg.token_keys.find(cfg.token_kid);
    if (!secret) throw std::runtime_error("join tokens: token_kid is not one of token_keys");
    TokenClaims claims;
    claims.iss = cfg.token_issuer;
    claims.sub = p.id;
    claims.sid = s.id;
    claims.role = p.role;
    claims.perms = effective_permissions(p.role, s.kind, p.overrides);
    claims.iat = g.iat;
    claims.nbf = g.iat;
    claims.exp = g.exp;
    claims.jti = g.jti;
    const std::string token = mint_token(claims, cfg.token_kid, *secret);

    Json j(json_object());
    json_object_set_new(j.get(), "token", json_str(token));
    json_object_set_new(j.get(), "expires_at", json_str(format_rfc3339_micros(g.exp * 1000000)));
    json_object_set_new(j.get(), "janus_ws_url", json_str(cfg.janus_ws_url));
    json_object_set_new(j.get(), "plugin", json_str(kTokenAudience));
    // Janus core token_auth: every Janus request of the client carries it
    // (docs/API.md "janus_token"). It lives janus_token_ttl_s from the join,
    // not the minutes of the join token: Janus checks it on every keepalive,
    // so it must outlast the call.
    if (!cfg.janus_token_secret.empty()) {
        json_object_set_new(j.get(), "janus_token",
                            json_str(mint_janus_token(cfg.janus_token_secret, g.iat + cfg.janus_token_ttl_s,
                                                      {std::string(kTokenAudience)})));
    }
    json_t* ice = json_array();
    if (!cfg.turn_urls.empty() && !cfg.turn_secret.empty()) {
        TurnCredentials tc = make_turn_credentials(cfg.turn_secret, p.id, g.iat, cfg.turn_ttl_s);
        json_t* turn = json_object();
        json_object_set_new(turn, "urls", string_array(cfg.turn_urls));
        json_object_set_new(turn, "username", json_str(tc.username));
        json_object_set_new(turn, "credential", json_str(tc.credential));
        json_array_append_new(ice, turn);
    }
    if (!cfg.stun_urls.empty()) {
        json_t* stun = json_object();
        json_object_set_new(stun, "urls", string_array(cfg.stun_urls));
        json_array_append_new(ice, stun);
    }
    json_object_set_new(j.get(), "ice_servers", ice);
    // The clinic's phone number for a call that cannot connect (config).
    if (!cfg.support_phone.empty()) json_object_set_new(j.get(), "support_phone", json_str(cfg.support_phone));
    // The web app's join link carries what the SDK needs, in the fragment.
    Json link(json_object());
    json_object_set(link.get(), "token", json_object_get(j.get(), "token"));
    json_object_set(link.get(), "janus_ws_url", json_object_get(j.get(), "janus_ws_url"));
    if (json_t* jt = json_object_get(j.get(), "janus_token")) json_object_set(link.get(), "janus_token", jt);
    json_object_set(link.get(), "ice_servers", ice);
    json_object_set(link.get(), "expires_at", json_object_get(j.get(), "expires_at"));
    if (json_t* sp = json_object_get(j.get(), "support_phone")) json_object_set(link.get(), "support_phone", sp);
    json_object_set_new(j.get(), "app_url",
                        json_str(effective_public_url(cfg) + "/app/#join=" + base64url_encode(json_dump(link.get()))));
    return j;
}

CredentialPolicy credential_policy(const ControllerConfig& cfg) {
    CredentialPolicy p;
    p.secret = cfg.credential_secret;
    p.grace_s = cfg.credential_grace_s;
    p.max_ttl_s = cfg.credential_max_ttl_s;
    return p;
}

Json access_object(const ControllerConfig& cfg, const db::Participant& p) {
    CredentialClaims c;
    c.session_id = p.session_id;
    c.participant_id = p.id;
    c.epoch = p.credential_epoch;
    c.issued_at = p.credential_issued_at;
    const std::string credential = mint_credential(c, cfg.credential_secret);
    const int64_t expires = credential_expires_at(c.issued_at, credential_policy(cfg));
    Json j(json_object());
    json_object_set_new(j.get(), "credential", json_str(credential));
    json_object_set_new(j.get(), "invite_url", json_str(effective_public_url(cfg) + "/app/#invite=" + credential));
    json_object_set_new(j.get(), "expires_at", json_str(format_rfc3339_micros(expires * 1000000)));
    return j;
}

}  // namespace telemed
