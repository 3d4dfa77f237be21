// Patient Service / Doctor Service client (controller/clients/directory.hpp).
#include "controller/clients/directory.hpp"

#include <curl/curl.h>

#include <chrono>
#include <mutex>

#include "common/curl_raii.hpp"
#include "controller/log.hpp"

namespace telemed {
namespace {

std::once_flag g_curl_once;

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

const char* service_name(directory::Service s) {
    return s == directory::Service::Patient ? "patient service" : "doctor service";
}

}  // namespace

DirectoryClient::DirectoryClient(const ControllerConfig& cfg)
    : cfg_(cfg),
      profile_(directory::parse_profile(cfg.directory_profile).value_or(directory::Profile::Off)),
      cache_(directory::kCacheEntries, static_cast<int64_t>(cfg.directory_cache_s) * 1000) {
    if (enabled()) std::call_once(g_curl_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

directory::Lookup DirectoryClient::verify(Role role, const std::string& user_id) {
    directory::Lookup known;
    known.verdict = directory::Verdict::Known;
    if (!enabled()) return known;
    std::optional<directory::Service> service = directory::service_for(role);
    if (!service) return known;  // observer: not verified
    if (std::optional<directory::Lookup> hit = cache_.get(*service, user_id, now_ms())) return *hit;
    const std::string& base = *service == directory::Service::Patient ? cfg_.patient_service_url
                                                                       : cfg_.doctor_service_url;
    std::optional<std::string> url = directory::lookup_url(profile_, *service, base, user_id);
    directory::Lookup out;
    if (!url) {
        out.verdict = directory::Verdict::Unknown;  // cannot be an id of this profile: no request
    } else {
        out = fetch(*service, *url, user_id);
    }
    cache_.put(*service, user_id, out, now_ms());  // Unavailable is not stored
    return out;
}

directory::Lookup DirectoryClient::fetch(directory::Service s, const std::string& url, const std::string& user_id) {
    directory::Lookup unavailable;
    // One handle per lane thread: its connections are kept alive between lookups.
    thread_local CurlEasy handle(curl_easy_init());
    CURL* c = handle.get();
    if (!c) {
        log_warn("directory: libcurl unavailable");
        return unavailable;
    }
    const std::string auth = "Authorization: Bearer " + cfg_.directory_bearer_token;
    const char* accept = profile_ == directory::Profile::Fhir ? "Accept: application/fhir+json"
                                                              : "Accept: application/json";
    std::optional<CurlSlist> headers = make_headers(
        {accept, "User-Agent: telemed-controller", cfg_.directory_bearer_token.empty() ? nullptr : auth.c_str()});
    if (!headers) return unavailable;
    BoundedBody sink(directory::kMaxBodyBytes);
    curl_easy_reset(c);  // keeps the connection cache
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers->get());
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(cfg_.directory_timeout_ms));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(cfg_.directory_timeout_ms));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // a redirect is an unexpected answer, not a new target
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(directory::kMaxBodyBytes));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, bounded_body_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    const CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        // A kind ("Timeout was reached"), never data.
        log_warn("directory: %s lookup failed (%s)", service_name(s),
                 sink.too_large ? "answer too large" : curl_easy_strerror(rc));
        return unavailable;
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    directory::Lookup out = directory::interpret(profile_, s, user_id, status, sink.data);
    if (out.verdict == directory::Verdict::Unavailable)
        log_warn("directory: %s answered HTTP %ld, not a usable answer", service_name(s), status);
    return out;
}

}  // namespace telemed
