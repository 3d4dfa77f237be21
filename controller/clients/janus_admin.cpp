// JanusAdmin: the controller's client for the Janus Admin API over HTTP
// (libcurl). Only `message_plugin` towards janus.plugin.telemed (ping, the
// routes' requests, the room reconciler's snapshot and restores), each within
// its timeout (janus_timeout_ms, or a request's own deadline).
// The bodies and the reading of replies are the contract in
// common/admin_api.hpp; this file is the transport:
//
// Request  admin_api::build_message_plugin: {"janus":"message_plugin","transaction":"<16 hex>",
//           "admin_secret":"…","plugin":"janus.plugin.telemed","request":{…}}
// Replies  admin_api::parse_message_plugin_reply (ok / plugin_error=N / unreachable for
//          a Janus error such as 403 wrong secret or 460 plugin not loaded, invalid
//          JSON, another transaction), and here: HTTP ≠ 200, transport error,
//          timeout, reply > 1 MiB → unreachable
//
// Thread-safe: each call borrows a curl easy handle from a small pool and
// gives it back, so its keep-alive connection to Janus is reused by the next
// call. Neither the admin secret nor request/response bodies are logged.
#include "controller/clients/janus_admin.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <utility>
#include <vector>

#include "common/curl_raii.hpp"
#include "controller/log.hpp"

namespace telemed {
namespace {

constexpr std::size_t kMaxReplyBytes = 1024 * 1024;
constexpr long kMaxConnectTimeoutMs = 1000;
constexpr unsigned kDefaultTimeoutMs = 3000;  // used when 0 (curl's "forever") is configured
constexpr std::size_t kMaxIdleHandles = 16;

struct FreeDeleter {
    void operator()(char* p) const noexcept { std::free(p); }
};
using CString = std::unique_ptr<char, FreeDeleter>;

// Transaction ids only correlate a reply with its request: unpredictability
// is not needed, uniqueness per process is enough.
std::string new_transaction() {
    static std::atomic<uint64_t> counter{0};
    thread_local std::mt19937_64 rng{std::random_device{}()};
    uint64_t v = rng() ^ (counter.fetch_add(1, std::memory_order_relaxed) * 0x9E3779B97F4A7C15ULL);
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

std::once_flag g_curl_init_once;
bool g_curl_ok = false;

void curl_init_once() {
    std::call_once(g_curl_init_once, [] { g_curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; });
}

}  // namespace

struct JanusAdmin::Impl {
    Impl(std::string u, std::string s, unsigned t)
        : url(std::move(u)), secret(std::move(s)), timeout_ms(t == 0 ? kDefaultTimeoutMs : t) {
        // No "Expect: 100-continue" round trip for larger bodies.
        if (auto h = make_headers({"Content-Type: application/json", "Expect:"})) headers = std::move(*h);
    }

    const std::string url;
    const std::string secret;
    const unsigned timeout_ms;
    CurlSlist headers;  // read-only once built: shared by every handle

    std::mutex mu;
    std::vector<CurlEasy> idle;
    std::atomic<uint64_t> transport_failures{0};
    mutable std::mutex instance_mu;
    std::string instance;  // guarded by instance_mu  // handles with their live connections

    CurlEasy acquire() {
        {
            std::lock_guard<std::mutex> lk(mu);
            if (!idle.empty()) {
                CurlEasy h = std::move(idle.back());
                idle.pop_back();
                return h;
            }
        }
        return CurlEasy(curl_easy_init());
    }

    void release(CurlEasy h) {
        std::lock_guard<std::mutex> lk(mu);
        if (idle.size() < kMaxIdleHandles) idle.push_back(std::move(h));
    }

    struct Http {
        bool ok = false;    // an HTTP 200 with a body within the cap
        std::string body;
        std::string error;  // short, for logs
    };

    // One POST of `body` (JSON) within `call_timeout_ms` end to end (0 = timeout_ms).
    Http post(const std::string& body, unsigned call_timeout_ms = 0) {
        Http out;
        if (!g_curl_ok || !headers) {
            out.error = "libcurl unavailable";
            return out;
        }
        CurlEasy h = acquire();
        if (!h) {
            out.error = "libcurl unavailable";
            return out;
        }
        CURL* c = h.get();
        // Keeps the connection cache: the keep-alive connection survives.
        curl_easy_reset(c);
        BoundedBody reply(kMaxReplyBytes);
        const long total = static_cast<long>(call_timeout_ms == 0 ? timeout_ms : call_timeout_ms);
        curl_easy_setopt(c, CURLOPT_URL, url.c_str());
#if LIBCURL_VERSION_NUM >= 0x075500
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
        curl_easy_setopt(c, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
        curl_easy_setopt(c, CURLOPT_PROXY, "");  // the admin endpoint is never reached via a proxy
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, total);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, std::min(total, kMaxConnectTimeoutMs));
        curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
        curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(kMaxReplyBytes));
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, bounded_body_write);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply);
        CURLcode rc = curl_easy_perform(c);
        // The POSTFIELDS pointer and the reply buffer die with this call.
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, nullptr);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, nullptr);
        long status = 0;
        if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        release(std::move(h));
        if (reply.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
            out.error = "reply larger than 1 MiB";
        } else if (rc != CURLE_OK) {
            transport_failures.fetch_add(1, std::memory_order_relaxed);
            out.error = std::string("transport: ") + curl_easy_strerror(rc);
        } else if (status != 200) {
            out.error = "HTTP " + std::to_string(status);
        } else {
            out.ok = true;
            out.body = std::move(reply.data);
        }
        return out;
    }
};

JanusAdmin::JanusAdmin(std::string admin_url, std::string admin_secret, unsigned timeout_ms) {
    curl_init_once();
    impl_ = std::make_unique<Impl>(std::move(admin_url), std::move(admin_secret), timeout_ms);
}

JanusAdmin::~JanusAdmin() = default;

JanusAdmin::Result JanusAdmin::message_plugin(const json_t* request) { return message_plugin(request, 0); }

namespace {

// message_plugin's work; `quiet`: a transport failure logs at debug (the
// readiness probe: /readyz reports it, 4 probes a second must not flood).
JanusAdmin::Result send_plugin(JanusAdmin::Impl& impl, const json_t* request, unsigned timeout_ms, bool quiet) {
    using Result = JanusAdmin::Result;
    Result r;
    try {
        const std::string tx = new_transaction();
        Json body = admin_api::build_message_plugin(request, impl.secret, tx);
        if (!body) {
            r.error = "request is not a JSON object";
            return r;
        }
        CString text(json_dumps(body.get(), JSON_COMPACT));
        body.reset();
        if (!text) {
            r.error = "cannot serialise request";
            return r;
        }
        JanusAdmin::Impl::Http http = impl.post(text.get(), timeout_ms);
        text.reset();
        if (!http.ok) {
            r.unreachable = true;
            r.error = std::move(http.error);
        } else {
            r = admin_api::parse_message_plugin_reply(http.body, tx);
        }
        if (r.unreachable && quiet) log_debug("janus admin: ping failed (%s)", r.error.c_str());
        else if (r.unreachable) log_warn("janus admin: message_plugin failed (%s)", r.error.c_str());
        return r;
    } catch (...) {
        Result fail;
        fail.unreachable = true;
        fail.error = "internal error";
        return fail;
    }
}

}  // namespace

JanusAdmin::Result JanusAdmin::message_plugin(const json_t* request, unsigned timeout_ms) {
    return send_plugin(*impl_, request, timeout_ms, false);
}

uint64_t JanusAdmin::transport_failures() const { return impl_->transport_failures.load(std::memory_order_relaxed); }

std::string JanusAdmin::last_instance() const {
    std::lock_guard<std::mutex> lk(impl_->instance_mu);
    return impl_->instance;
}

void JanusAdmin::note_instance(const std::string& instance) {
    if (instance.empty()) return;
    std::lock_guard<std::mutex> lk(impl_->instance_mu);
    impl_->instance = instance;
}

bool JanusAdmin::ping() {
    try {
        Json req = admin_api::build_request(admin_api::PingRequest{});
        if (!req) return false;
        Result r = send_plugin(*impl_, req.get(), 0, true);
        if (!r.ok || admin_api::reply_kind(r.response.get()) != "pong") return false;
        note_instance(admin_api::pong_instance(r.response.get()));
        return true;
    } catch (...) {
        return false;
    }
}

}  // namespace telemed
