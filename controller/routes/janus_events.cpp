// Janus's HTTP event handler posts here (docs/DESIGN.md "Janus events";
// docs/API.md "Internal endpoints"). Not for backends or participants.
//
//   POST /internal/v1/janus-events
//       Authorization: Basic base64(<any user>:<janus_events_secret>)
//       (sampleevh backend_user / backend_pwd; the password is compared in
//       constant time; the user name is not checked). Empty
//       janus_events_secret: 401 to everything. Wrong or missing: 401,
//       before any of the body is read.
//       Body: one Janus event object, or an array of them (sampleevh
//       grouping), at most janus_events_max_body_bytes (413 beyond, however
//       it arrives), parsed and validated by common/janus_events.hpp.
//       200 {"received":N,"accepted":N,"invalid":N,"ignored":N,"dropped":N}
//       at once: accepted events are queued for the worker
//       (jobs/janus_event_worker.hpp), which does everything else. Invalid
//       elements are skipped and counted; a full queue drops the post's
//       events (counted in "dropped" and telemed_janus_events_dropped_total)
//       and still answers 200: Janus must never wait on us, and a retry
//       would only add to the backlog.
//       400 invalid-json (not JSON, nested deeper than 8, more than 10000
//       elements, or neither an object nor an array).
// Runs on the HTTP event thread: the body sink (the route's own cap) parses
// the body and pushes on the bounded queue in its finish(), and its answer
// is the response (types.hpp BodySink: an answer from finish() is sent as
// is), so no lane is involved and nothing waits on a dependency. The route's
// lane (Db) is only the fallback of the server's contract. Logs: counts only.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "common/crypto.hpp"
#include "common/janus_events.hpp"
#include "controller/app.hpp"
#include "controller/http/problem.hpp"
#include "controller/http/router.hpp"
#include "controller/jobs/janus_event_worker.hpp"
#include "controller/log.hpp"

namespace telemed {

namespace {

// Basic credentials whose password is `secret` (constant-time compare).
bool events_authorized(const Request& req, const std::string& secret) {
    if (secret.empty()) return false;
    std::string_view h = req.header("authorization");
    constexpr std::string_view kScheme = "Basic ";
    if (h.size() <= kScheme.size() || h.size() > 1024) return false;
    for (std::size_t i = 0; i < kScheme.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(h[i])) != std::tolower(static_cast<unsigned char>(kScheme[i])))
            return false;
    std::string_view b64 = h.substr(kScheme.size());
    while (!b64.empty() && b64.front() == ' ') b64.remove_prefix(1);
    std::optional<std::string> decoded = base64_decode(b64);
    if (!decoded) return false;
    const std::size_t colon = decoded->find(':');
    if (colon == std::string::npos) return false;
    return constant_time_equal(std::string_view(*decoded).substr(colon + 1), secret);
}

Response events_unauthorized() {
    Response r = problem(401, "unauthorized", "Unauthorized", "This internal endpoint needs the Janus events secret.");
    r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"janus-events\"");
    return r;
}

Response too_large(std::size_t cap) {
    return problem(413, "payload-too-large", "Payload too large",
                   "The request body exceeds " + std::to_string(cap) + " bytes.");
}

Response answer(const std::string& body, AppContext& app);

// Collects the body up to the cap (the route's own cap, not max_body_bytes)
// and answers from finish().
class EventsSink : public BodySink {
public:
    EventsSink(std::size_t cap, AppContext& app) : cap_(cap), app_(app) {}
    std::optional<Response> write(const char* data, std::size_t n) override {
        if (body_.size() + n > cap_) {
            if (app_.janus_events) app_.janus_events->count_refused_post();
            return too_large(cap_);
        }
        body_.append(data, n);
        return std::nullopt;
    }
    std::optional<Response> finish() override { return answer(body_, app_); }
    std::string body_;
private:
    std::size_t cap_;
    AppContext& app_;
};

std::unique_ptr<BodySink> begin_events(const Request& req, AppContext& app, std::optional<Response>* refusal) {
    if (!events_authorized(req, app.config.janus_events_secret)) {
        *refusal = events_unauthorized();
        return nullptr;
    }
    const std::size_t cap = app.config.janus_events_max_body_bytes;
    std::string_view len = req.header("content-length");
    if (!len.empty()) {
        unsigned long long n = 0;
        bool digits = len.size() <= 20;
        for (char c : len) digits = digits && c >= '0' && c <= '9';
        if (digits) n = std::strtoull(std::string(len).c_str(), nullptr, 10);
        if (!digits || n > cap) {
            if (app.janus_events) app.janus_events->count_refused_post();
            *refusal = too_large(cap);
            return nullptr;
        }
    }
    auto sink = std::make_unique<EventsSink>(cap, app);
    sink->body_.reserve(std::min<std::size_t>(cap, len.empty() ? 4096 : std::strtoull(std::string(len).c_str(), nullptr, 10)));
    return sink;
}

// POST /internal/v1/janus-events: the whole body is in.
Response answer(const std::string& body, AppContext& app) {
    janus_events::ParseResult parsed = janus_events::parse_body(body);
    if (parsed.error != janus_events::BodyError::None) {
        if (app.janus_events) app.janus_events->count_refused_post();
        log_debug("janus events: post refused (%s, %zu bytes)", std::string(janus_events::to_string(parsed.error)).c_str(),
                  body.size());
        if (parsed.error == janus_events::BodyError::TooLarge) return too_large(app.config.janus_events_max_body_bytes);
        return problem(400, "invalid-json", "Invalid JSON",
                       "The body must be one Janus event object or an array of at most 10000, nested at most 8 deep.");
    }
    const std::size_t accepted_n = parsed.events.size();
    std::size_t dropped = 0;
    if (app.janus_events) {
        app.janus_events->count_post(parsed.received, parsed.invalid, parsed.ignored);
        if (!app.janus_events->enqueue(std::move(parsed.events))) dropped = accepted_n;
    } else {
        dropped = accepted_n;
    }
    if (parsed.invalid > 0)
        log_debug("janus events: %zu of %zu event(s) invalid, skipped", parsed.invalid, parsed.received);
    Json out(json_object());
    json_object_set_new(out.get(), "received", json_integer(static_cast<json_int_t>(parsed.received)));
    json_object_set_new(out.get(), "accepted", json_integer(static_cast<json_int_t>(accepted_n - dropped)));
    json_object_set_new(out.get(), "invalid", json_integer(static_cast<json_int_t>(parsed.invalid)));
    json_object_set_new(out.get(), "ignored", json_integer(static_cast<json_int_t>(parsed.ignored)));
    json_object_set_new(out.get(), "dropped", json_integer(static_cast<json_int_t>(dropped)));
    return Response::json(200, out.get());
}

// The lane handler: reached only if the sink did not answer (not the case
// today); the same answer from the collected body.
Response post_events(const Request& req, AppContext& app) {
    if (!events_authorized(req, app.config.janus_events_secret)) return events_unauthorized();
    auto* sink = dynamic_cast<EventsSink*>(req.sink);
    if (!sink) return answer(std::string(), app);
    return answer(sink->body_, app);
}

}  // namespace

void register_janus_event_routes(Router& r) {
    r.add(Route{.method = "POST", .pattern = "/internal/v1/janus-events", .requires_auth = false,
                .lane = Lane::Db, .handler = post_events, .participant_auth = false, .sink = begin_events, .inline_first = {}});
}

}  // namespace telemed
