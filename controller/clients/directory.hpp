// The Patient Service / Doctor Service client (docs/INTEGRATIONS.md): the
// participant-add check of user_id. The contracts (URLs, answers, cache)
// are in controller/clients/directory_profile.hpp; this file makes the
// request with libcurl like the webhook dispatcher does: no redirects,
// http/https only, directory_timeout_ms for the whole request (connect
// included), the answer body capped at directory::kMaxBodyBytes, an
// Authorization: Bearer header when directory_bearer_token is set. Ids are
// percent-encoded (json) or must be FHIR ids (fhir). Logs carry the
// service, the HTTP status or curl's error kind: never a user id or a name.
//
// Called on HTTP lane threads before any transaction (routes/participants.cpp);
// each thread keeps its own easy handle (kept-alive connections).
#pragma once
#include <cstdint>
#include <string>

#include "common/permissions.hpp"
#include "controller/clients/directory_profile.hpp"
#include "controller/config.hpp"

namespace telemed {

class DirectoryClient {
public:
    explicit DirectoryClient(const ControllerConfig& cfg);
    bool enabled() const { return profile_ != directory::Profile::Off; }
    directory::Profile profile() const { return profile_; }

    // Known (with the service's display name when it has one), Unknown, or
    // Unavailable (no answer within directory_timeout_ms, 5xx, anything
    // unexpected). Roles that no service verifies (observer), and a client
    // that is off, are Known without a request. Known and Unknown are cached
    // for directory_cache_s; Unavailable never.
    directory::Lookup verify(Role role, const std::string& user_id);

private:
    directory::Lookup fetch(directory::Service s, const std::string& url, const std::string& user_id);

    const ControllerConfig& cfg_;
    const directory::Profile profile_;
    directory::LookupCache cache_;
};

}  // namespace telemed
