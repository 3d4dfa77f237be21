// libmicrohttpd glue (controller/http/server.hpp). The only file of the
// controller that includes <microhttpd.h>.
//
// MHD calls access() several times per request: first with the headers
// (*con_cls == nullptr), then once per body chunk, then once with
// *upload_data_size == 0. Routing, auth and the Content-Length cap are decided
// on the first call. The handler runs on the last call. completed() runs once
// per request that reached access(), whatever happened: it logs the access
// line, feeds Metrics, and frees the state.
//
// Refusals (401, 404, 405, 413, ...) and request bodies. A response queued
// while the client is still sending makes MHD stop reading and close the
// socket with unread data in it: the kernel then answers the client's next
// segment with a reset, and a client that writes its whole body before
// reading (node's fetch, Python's http.client) gets EPIPE / ECONNRESET instead
// of the answer. So a refused request's body is read and dropped (never
// stored), and the refusal is queued on the last call, once the body is in:
// the client reads the answer and the connection even stays alive. Like
// nginx's lingering close, this is bounded: at most kMaxDiscardBytes of
// body and kMaxDiscardTime since the request began. A body announced
// (Content-Length) beyond the byte bound is answered at once; one that
// crosses a bound while arriving (chunked, or slow) is answered then. In
// those cases MHD closes after the answer; the socket then gets a lingering
// close (lingering_close.hpp: the rest of the body is read and dropped for a
// few seconds more) so that a client still writing reads the answer.
//
// Streaming (types.hpp BodySink / BodySource). A route with a body sink is
// not capped by max_body_bytes and its body is never buffered: the sink is
// made on the first call (after auth), takes each chunk on this event thread
// and is finished on the final call; a refusal from any of the three goes
// through the deferred-refusal path above (rest of the body read and
// dropped, within the same bounds). The lane handler then sees
// Request::sink. A response with a BodySource is sent with
// MHD_create_response_from_callback (known length, 64 KiB blocks); a read
// error returns MHD_CONTENT_READER_END_WITH_ERROR and MHD closes the
// connection mid-body. Routes with participant_auth accept a participant
// credential whose MAC verifies (Request::participant) when the API key does not.
//
// Connection guard hooks (conn_guard.hpp): the accept policy and the
// connection notifications register each connection; access() reports every
// call (the first one ends the head phase, a later one without data ends the
// body phase) and completed() the end of each request.
#include "controller/http/server.hpp"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdarg>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <thread>

#include "common/ids.hpp"
#include "controller/deadline.hpp"
#include "controller/http/auth.hpp"
#include "controller/http/lanes.hpp"
#include "controller/http/conn_guard.hpp"
#include "controller/http/lingering_close.hpp"
#include "controller/http/problem.hpp"
#include "controller/http/participant_auth.hpp"
#include "controller/http/rate_limit.hpp"
#include "controller/log.hpp"
#include "controller/metrics.hpp"

namespace telemed {
namespace {

struct MhdResponseDeleter {
    void operator()(MHD_Response* r) const noexcept { MHD_destroy_response(r); }
};
using MhdResponse = std::unique_ptr<MHD_Response, MhdResponseDeleter>;

// Bounds on reading and dropping the body of a refused request (see the top
// of this file): 4 MiB is 64 times the default max_body_bytes and well within
// what one connection may send anyway; 15 s keeps a slow client from
// holding a connection open past that with a body nobody will read.
constexpr std::size_t kMaxDiscardBytes = 4u << 20;
constexpr std::chrono::seconds kMaxDiscardTime{15};

// Query strings beyond these bounds are refused with 414 before
// libmicrohttpd parses them (see uri_log below).
constexpr std::size_t kMaxQueryBytes = 8192;
constexpr std::size_t kMaxQueryArgs = 64;
// Returned by uri_log for a refused query; becomes *con_cls of the request.
char kUriRefusedMarker;
// Returned by uri_log when the path holds "%00": libmicrohttpd would decode
// it to a NUL that silently cuts the path ("/app/x.html%00.js" would reach
// the router as "/app/x.html"). Such a request is answered 404.
char kNulPathMarker;

struct RequestState {
    Request req;
    const Route* route = nullptr;
    std::string request_id;
    std::chrono::steady_clock::time_point started;
    int status = 0;          // status of the queued response; 0 = none
    bool queued = false;
    std::size_t discarded = 0;  // body bytes read and dropped (refused request)
    // The refusal of a request (401, 404, 413 over max_body_bytes, ...): its
    // body, if any, is read and dropped, and the refusal is queued on the
    // final call so that the client gets to read it and MHD keeps the
    // connection alive (a response queued before the request is complete
    // makes MHD close it). Bounded by kMaxDiscardBytes / kMaxDiscardTime.
    std::optional<Response> deferred;
    bool uri_refused = false;  // query string over kMaxQueryBytes / kMaxQueryArgs
    bool nul_path = false;     // "%00" in the path
    bool close_now = false;    // refused without reading the body, then closed (ambiguous length)
    // Lanes: set when the handler's answer was produced off the event thread
    // (or the lane refused); queued by access() once MHD resumes the
    // connection and calls it again.
    bool lane_done = false;
    std::optional<Response> lane_result;
    // Routes with a body sink (types.hpp): the sink taking the body; reset
    // when it refuses (its destructor discards what it wrote).
    std::unique_ptr<BodySink> sink;
};

// A streamed response body handed to MHD_create_response_from_callback.
struct SourceHolder {
    std::shared_ptr<BodySource> source;
    std::string request_id;
};

ssize_t read_source(void* cls, uint64_t pos, char* buf, size_t max) noexcept {
    auto* h = static_cast<SourceHolder*>(cls);
    try {
        long n = h->source->read(pos, buf, max);
        if (n > 0) return static_cast<ssize_t>(n);
        log_warn("request_id=%s: streamed body failed at byte %llu; connection aborted", h->request_id.c_str(),
                 static_cast<unsigned long long>(pos));
    } catch (...) {
        log_warn("request_id=%s: streamed body threw; connection aborted", h->request_id.c_str());
    }
    return MHD_CONTENT_READER_END_WITH_ERROR;
}

void free_source(void* cls) noexcept { delete static_cast<SourceHolder*>(cls); }

// The body length the request announces: its Content-Length (saturated; an
// unparsable one counts as 0: MHD has refused it already), 0 without one.
unsigned long long announced_length(const Request& req) {
    std::string_view cl = req.header("content-length");
    unsigned long long n = 0;
    auto [p, ec] = std::from_chars(cl.data(), cl.data() + cl.size(), n);
    if (ec == std::errc::result_out_of_range) return ~0ull;
    return ec == std::errc() ? n : 0;
}

// RFC 9112 6.3: a request with more than one Content-Length (collected
// as a list, "10, 20"), or with both Content-Length and Transfer-Encoding,
// has no length two parties agree on, which is how requests are smuggled
// past a proxy. It is refused without reading the body, and the connection
// is closed after the answer, so nothing after it is taken as a request.
bool ambiguous_length(const Request& req) {
    const std::string_view cl = req.header("content-length");
    return cl.find(',') != std::string_view::npos || (!cl.empty() && !req.header("transfer-encoding").empty());
}

// "Expect: 100-continue" (case-insensitive, RFC 9110 10.1.1).
bool expects_continue(const Request& req) {
    std::string_view e = req.header("expect");
    constexpr std::string_view want = "100-continue";
    if (e.size() != want.size()) return false;
    for (std::size_t i = 0; i < e.size(); ++i)
        if ((e[i] >= 'A' && e[i] <= 'Z' ? e[i] - 'A' + 'a' : e[i]) != want[i]) return false;
    return true;
}

std::string_view route_label(const RequestState& st) {
    return st.route ? std::string_view(st.route->pattern) : std::string_view("unmatched");
}

bool is_sessions_path(std::string_view path) {
    constexpr std::string_view p = "/sessions";
    return path.substr(0, p.size()) == p && (path.size() == p.size() || path[p.size()] == '/');
}

// First line of an exception message, bounded: libpq and friends may add
// DETAIL lines quoting row values, which must not reach the log.
std::string safe_what(const char* what) {
    std::string_view w = what ? what : "";
    w = w.substr(0, w.find('\n'));
    return std::string(w.substr(0, 160));
}

MHD_Result collect_header(void* cls, MHD_ValueKind, const char* key, const char* value) {
    auto* headers = static_cast<std::map<std::string, std::string>*>(cls);
    if (!key) return MHD_YES;
    std::string name(key);
    for (char& ch : name) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    auto [it, inserted] = headers->emplace(std::move(name), value ? value : "");
    if (!inserted) {  // repeated header: RFC 9110 list semantics
        it->second += ", ";
        it->second += value ? value : "";
    }
    return MHD_YES;
}

MHD_Result collect_query(void* cls, MHD_ValueKind, const char* key, const char* value) {
    auto* query = static_cast<std::multimap<std::string, std::string>*>(cls);
    if (key) query->emplace(key, value ? value : "");
    return MHD_YES;
}

Response internal_error() {
    return problem(500, "internal-error", "Internal error",
                   "The server failed to handle the request; it has been logged with the request id.");
}

// The answer when a lane cannot take a request (queue full, waited beyond
// lane_queue_timeout_ms, shutting down): the problem type of the dependency
// the lane waits on, so clients need one rule for "retry later".
Response lane_refusal(Lane lane, LanePool::Outcome why) {
    const bool janus = lane == Lane::Janus;
    std::string detail = janus ? "Too many requests are waiting for the media server"
                               : "Too many requests are waiting for the database";
    detail += why == LanePool::Outcome::Stopped ? " (the server is stopping)" : "";
    detail += "; nothing was changed. Retry later.";
    return service_unavailable(janus ? "janus-unavailable" : "database-unavailable",
                               janus ? "Media server unavailable" : "Database unavailable", detail, 2);
}

}  // namespace

struct HttpServer::Callbacks {
    static MHD_Result queue(HttpServer& srv, MHD_Connection* conn, RequestState& st, const Response& r) {
        MhdResponse resp;
        if (r.source && r.source_length > 0) {
            auto holder = std::make_unique<SourceHolder>(SourceHolder{r.source, st.request_id});
            resp.reset(MHD_create_response_from_callback(r.source_length, 64 * 1024, &read_source, holder.get(),
                                                         &free_source));
            if (resp) holder.release();  // owned by the response now
        } else {
            resp.reset(MHD_create_response_from_buffer(r.body.size(), const_cast<char*>(r.body.data()),
                                                       MHD_RESPMEM_MUST_COPY));
        }
        if (!resp) return MHD_NO;
        auto add = [&](const char* name, const char* value) {
            if (MHD_add_response_header(resp.get(), name, value) != MHD_YES)
                log_warn("request_id=%s route=%.*s: response header %s refused", st.request_id.c_str(),
                         static_cast<int>(route_label(st).size()), route_label(st).data(), name);
        };
        if (!r.content_type.empty() && r.status != 204 && r.status != 304)
            add(MHD_HTTP_HEADER_CONTENT_TYPE, r.content_type.c_str());
        add("X-Request-Id", st.request_id.c_str());
        if (is_sessions_path(st.req.path)) add(MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        if (srv.stopping_.load()) add(MHD_HTTP_HEADER_CONNECTION, "close");
        for (const auto& [name, value] : r.headers) add(name.c_str(), value.c_str());
        if (MHD_queue_response(conn, static_cast<unsigned>(r.status), resp.get()) != MHD_YES) return MHD_NO;
        st.queued = true;
        st.status = r.status;
        return MHD_YES;
    }

    // The peer's IP address as text ("" when unknown).
    static std::string client_address(MHD_Connection* conn) {
        const MHD_ConnectionInfo* info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        const sockaddr* sa = info ? info->client_addr : nullptr;
        char buf[INET6_ADDRSTRLEN] = "";
        if (sa && sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
        else if (sa && sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
        return buf;
    }

    // First call: fills the request, routes, authenticates, checks the
    // announced length. Returns true with *early set when answered now.
    static bool begin(HttpServer& srv, MHD_Connection* conn, const char* url, const char* method, RequestState& st,
                      Response* early) {
        Request& req = st.req;
        req.method = method ? method : "";
        req.path = url ? url : "";
        if (st.nul_path) {
            *early = problem(404, "not-found", "Not found", "No resource at this path.");
            return true;
        }
        if (st.uri_refused) {
            *early = problem(414, "uri-too-long", "URI too long",
                             "The query string exceeds " + std::to_string(kMaxQueryBytes) + " bytes or " +
                                 std::to_string(kMaxQueryArgs) + " arguments.");
            return true;
        }
        MHD_get_connection_values(conn, MHD_HEADER_KIND, &collect_header, &req.headers);
        req.client_address = client_address(conn);
        if (ambiguous_length(req)) {
            *early = problem(400, "ambiguous-length", "Ambiguous message length",
                             "The request has more than one Content-Length, or Content-Length together with "
                             "Transfer-Encoding; the connection is closed.");
            early->headers.emplace_back("Connection", "close");
            st.close_now = true;
            return true;
        }
        MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, &collect_query, &req.query);

        std::vector<std::string> allowed;
        st.route = srv.router_.match(req.method, req.path, &req.params, &allowed);
        if (!st.route) {
            if (allowed.empty()) {
                // A mistyped path gets the closest routes in its detail.
                *early = problem(404, "not-found", "Not found", srv.router_.not_found_detail(req.path));
            } else {
                std::string allow;
                for (const std::string& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
                *early = problem(405, "method-not-allowed", "Method not allowed",
                                 "This path does not support the request method.");
                early->headers.emplace_back("Allow", allow);
            }
            return true;
        }
        if (st.route->requires_auth) {
            int idx = match_bearer_key(req.header("authorization"), srv.config_.api_keys);
            if (idx < 0 && st.route->participant_auth) {
                // "API key or participant credential": the credential's MAC
                // here; the route checks the participant in Postgres.
                CredentialPolicy policy;
                policy.secret = srv.config_.credential_secret;
                policy.grace_s = srv.config_.credential_grace_s;
                policy.max_ttl_s = srv.config_.credential_max_ttl_s;
                req.participant = credential_claims(req.header("authorization"), policy);
            }
            if (idx < 0 && !req.participant) {
                *early = problem(401, "unauthorized", "Unauthorized",
                                 "A valid API key is required: Authorization: Bearer <key>.");
                early->headers.emplace_back("WWW-Authenticate", "Bearer");
                return true;
            }
            if (idx >= 0) req.api_key_id = "key" + std::to_string(idx);
        }
        if (st.route->sink) {
            // Streamed body: the route's sink sets its own cap.
            std::optional<Response> refusal;
            st.sink = st.route->sink(req, srv.ctx_, &refusal);
            req.sink = st.sink.get();
            if (!st.sink) {
                *early = refusal ? std::move(*refusal) : internal_error();
                return true;
            }
            return false;
        }
        std::string_view cl = req.header("content-length");
        if (!cl.empty()) {
            unsigned long long n = 0;
            auto [p, ec] = std::from_chars(cl.data(), cl.data() + cl.size(), n);
            if (ec == std::errc::result_out_of_range || (ec == std::errc() && n > srv.config_.max_body_bytes)) {
                *early = too_large(srv);
                return true;
            }
        }
        return false;
    }

    static Response too_large(const HttpServer& srv) {
        return problem(413, "payload-too-large", "Payload too large",
                       "The request body exceeds " + std::to_string(srv.config_.max_body_bytes) + " bytes.");
    }

    static Response dispatch(HttpServer& srv, RequestState& st) {
        try {
            return st.route->handler(st.req, srv.ctx_);
        } catch (const std::exception& e) {
            log_error("request_id=%s route=%s %s: unhandled exception: %s", st.request_id.c_str(),
                      st.route->method.c_str(), st.route->pattern.c_str(), safe_what(e.what()).c_str());
        } catch (...) {
            log_error("request_id=%s route=%s %s: unhandled non-standard exception", st.request_id.c_str(),
                      st.route->method.c_str(), st.route->pattern.c_str());
        }
        return internal_error();
    }

    // The route's inline_first, if any: an exception is logged and the
    // request goes to the lane like any other (whose handler answers it).
    static std::optional<Response> try_inline_first(HttpServer& srv, RequestState& st) {
        if (!st.route->inline_first) return std::nullopt;
        try {
            return st.route->inline_first(st.req, srv.ctx_);
        } catch (const std::exception& e) {
            log_warn("request_id=%s route=%s %s: exception in the inline try, handed to the lane: %s",
                     st.request_id.c_str(), st.route->method.c_str(), st.route->pattern.c_str(),
                     safe_what(e.what()).c_str());
        } catch (...) {
            log_warn("request_id=%s route=%s %s: non-standard exception in the inline try, handed to the lane",
                     st.request_id.c_str(), st.route->method.c_str(), st.route->pattern.c_str());
        }
        return std::nullopt;
    }

    // Runs the handler on `lane`'s workers: the connection is suspended
    // first (a worker may finish before this returns), and resumed by
    // whoever produced the answer; MHD then calls access() again, which
    // queues st.lane_result. After MHD_resume_connection the job must not
    // touch `st`: completed() may free it at any moment. Nothing between
    // the suspend and the resume may throw out of here (a connection left
    // suspended would never be answered, and would stop MHD_stop_daemon).
    static void hand_off(HttpServer& srv, MHD_Connection* conn, RequestState& st, LanePool& lane) {
        MHD_suspend_connection(conn);
        const SteadyTime budget_end =
            std::chrono::steady_clock::now() + std::chrono::milliseconds(srv.config_.db_request_budget_ms);
        const Lane which = st.route->lane;
        RequestState* stp = &st;
        auto job = [&srv, conn, stp, budget_end, which](LanePool::Outcome outcome) noexcept {
            try {
                if (outcome == LanePool::Outcome::Run) {
                    ScopedDeadline budget(budget_end);
                    stp->lane_result = dispatch(srv, *stp);
                } else {
                    log_warn("request_id=%s route=%s %s: refused by lane %s (%s)", stp->request_id.c_str(),
                             stp->route->method.c_str(), stp->route->pattern.c_str(),
                             to_string(which).data(),
                             outcome == LanePool::Outcome::Expired ? "waited too long" : "stopping");
                    stp->lane_result = lane_refusal(which, outcome);
                }
            } catch (...) {
                stp->lane_result.reset();  // out of memory: access() answers 500
            }
            stp->lane_done = true;
            MHD_resume_connection(conn);
        };
        LanePool::Submit submitted = LanePool::Submit::Stopped;
        try {
            submitted = lane.submit(job);
        } catch (...) {
            submitted = LanePool::Submit::Stopped;  // out of memory: refused like a full lane
        }
        if (submitted == LanePool::Submit::Accepted) return;
        log_warn("request_id=%s route=%s %s: lane %s %s", st.request_id.c_str(), st.route->method.c_str(),
                 st.route->pattern.c_str(), to_string(which).data(),
                 submitted == LanePool::Submit::Full ? "full" : "stopped");
        try {
            st.lane_result = lane_refusal(which, submitted == LanePool::Submit::Full ? LanePool::Outcome::Expired
                                                                                    : LanePool::Outcome::Stopped);
        } catch (...) {
            st.lane_result.reset();
        }
        st.lane_done = true;
        MHD_resume_connection(conn);
    }

    static MHD_Result access(void* cls, MHD_Connection* conn, const char* url, const char* method,
                             const char* /*version*/, const char* upload_data, size_t* upload_data_size,
                             void** con_cls) noexcept {
        auto& srv = *static_cast<HttpServer*>(cls);
        srv.guard_->on_call(socket_context(conn), *upload_data_size == 0, *upload_data_size);
        bool uri_refused = false;
        bool nul_path = false;
        if (*con_cls == &kUriRefusedMarker) {
            *con_cls = nullptr;
            uri_refused = true;
        } else if (*con_cls == &kNulPathMarker) {
            *con_cls = nullptr;
            nul_path = true;
        }
        auto* st = static_cast<RequestState*>(*con_cls);
        try {
            if (!st) {
                auto fresh = std::make_unique<RequestState>();
                fresh->uri_refused = uri_refused;
                fresh->nul_path = nul_path;
                fresh->started = std::chrono::steady_clock::now();
                fresh->request_id = new_uuid_v4();
                st = fresh.release();
                *con_cls = st;  // owned from here on by completed()
                srv.in_flight_.fetch_add(1);
                Response early;
                if (begin(srv, conn, url, method, *st, &early)) {
                    // Answered on the final call, after the body (if any)
                    // has been read and dropped; at once when the announced
                    // body is beyond what we are willing to drop, or when the
                    // client waits for "100 Continue" before sending it (it
                    // then sends nothing and reads the answer).
                    if (st->close_now || announced_length(st->req) > kMaxDiscardBytes || expects_continue(st->req))
                        return queue(srv, conn, *st, early);
                    st->deferred = std::move(early);
                }
                return MHD_YES;
            }
            if (st->queued) {  // answered early; drop anything MHD still hands us
                *upload_data_size = 0;
                return MHD_YES;
            }
            if (*upload_data_size > 0) {
                std::size_t n = *upload_data_size;
                *upload_data_size = 0;
                if (st->sink && !st->deferred) {
                    if (std::optional<Response> refusal = st->sink->write(upload_data, n)) {
                        st->deferred = std::move(*refusal);
                        st->req.sink = nullptr;
                        st->sink.reset();  // discards what it wrote
                        st->discarded = 0;
                    } else {
                        return MHD_YES;
                    }
                }
                if (!st->deferred && st->req.body.size() + n > srv.config_.max_body_bytes) {
                    // Chunked (no Content-Length) and over the cap: refuse.
                    st->deferred = too_large(srv);
                    st->discarded = st->req.body.size();
                    std::string().swap(st->req.body);
                }
                if (st->deferred) {
                    st->discarded += n;
                    if (st->discarded > kMaxDiscardBytes ||
                        std::chrono::steady_clock::now() - st->started > kMaxDiscardTime)
                        return queue(srv, conn, *st, *st->deferred);  // MHD closes after it
                    return MHD_YES;
                }
                st->req.body.append(upload_data, n);
                return MHD_YES;
            }
            if (st->deferred) return queue(srv, conn, *st, *st->deferred);
            if (st->sink && !st->lane_done) {
                if (std::optional<Response> refusal = st->sink->finish()) {
                    st->req.sink = nullptr;
                    st->sink.reset();
                    return queue(srv, conn, *st, *refusal);
                }
            }
            if (st->lane_done) return queue(srv, conn, *st, st->lane_result ? *st->lane_result : internal_error());
            LanePool* lane = srv.lanes_->pool(st->route->lane);
            if (!lane) return queue(srv, conn, *st, dispatch(srv, *st));  // Lane::Inline
            if (std::optional<Response> now = try_inline_first(srv, *st)) return queue(srv, conn, *st, *now);
            hand_off(srv, conn, *st, *lane);
            return MHD_YES;
        } catch (const std::exception& e) {
            log_error("request_id=%s route=%.*s: exception in request handling: %s",
                      st ? st->request_id.c_str() : "-", st ? static_cast<int>(route_label(*st).size()) : 1,
                      st ? route_label(*st).data() : "-", safe_what(e.what()).c_str());
        } catch (...) {
            log_error("request_id=%s: non-standard exception in request handling", st ? st->request_id.c_str() : "-");
        }
        if (!st || st->queued) return MHD_NO;
        try {
            return queue(srv, conn, *st, internal_error());
        } catch (...) {
            return MHD_NO;  // out of memory: MHD closes the connection
        }
    }

    static void completed(void* cls, MHD_Connection* conn, void** con_cls, MHD_RequestTerminationCode toe) noexcept {
        auto& srv = *static_cast<HttpServer*>(cls);
        srv.guard_->request_done(socket_context(conn));
        if (*con_cls == &kUriRefusedMarker || *con_cls == &kNulPathMarker) {  // refused before access() ever ran
            *con_cls = nullptr;
            return;
        }
        std::unique_ptr<RequestState> st(static_cast<RequestState*>(*con_cls));
        *con_cls = nullptr;
        if (!st) return;
        try {
            double seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - st->started).count();
            std::string_view route = route_label(*st);
            if (st->status != 0) srv.ctx_.metrics.observe(st->req.method, route, st->status, seconds);
            const char* outcome = "";
            switch (toe) {
                case MHD_REQUEST_TERMINATED_COMPLETED_OK: break;
                case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED: outcome = " aborted=timeout"; break;
                case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN: outcome = " aborted=shutdown"; break;
                case MHD_REQUEST_TERMINATED_CLIENT_ABORT: outcome = " aborted=client"; break;
                default: outcome = " aborted=error"; break;
            }
            log_info("access request_id=%s method=%.16s route=%.*s status=%d duration_ms=%.3f key=%s%s",
                     st->request_id.c_str(), st->req.method.c_str(), static_cast<int>(route.size()), route.data(),
                     st->status, seconds * 1e3, st->req.api_key_id.empty() ? "-" : st->req.api_key_id.c_str(),
                     outcome);
        } catch (...) {
            // Logging or metrics failed (out of memory): nothing sensible left to do.
        }
        srv.in_flight_.fetch_sub(1);
    }

    // MHD_OPTION_URI_LOG_CALLBACK runs on the raw request target after
    // libmicrohttpd has located the '?' but before it parses the arguments
    // into its fixed per-connection memory pool. libmicrohttpd 0.9.75 cannot
    // answer when that pool runs out (thousands of tiny "a&a&a..." arguments
    // hang the connection until the timeout), so an over-long or
    // over-numerous query is cut here: the byte after '?' is set to NUL, which
    // leaves libmicrohttpd an empty argument string (the target lives in its
    // writable read buffer), and the request is marked for a 414 answer.
    static void* uri_log(void*, const char* uri, MHD_Connection*) noexcept {
        if (!uri) return nullptr;
        const char* q = std::strchr(uri, '?');
        bool nul = false;
        for (const char* p = uri; *p && p != q; ++p)
            if (p[0] == '%' && p[1] == '0' && p[2] == '0') nul = true;
        if (!q) return nul ? &kNulPathMarker : nullptr;
        std::size_t bytes = 0, args = 1;
        for (const char* p = q + 1; *p; ++p) {
            ++bytes;
            if (*p == '&') ++args;
        }
        if (bytes <= kMaxQueryBytes && args <= kMaxQueryArgs) return nul ? &kNulPathMarker : nullptr;
        const_cast<char*>(q)[1] = '\0';
        return &kUriRefusedMarker;
    }

    // The connection guard's state of a connection (null if unguarded).
    static void* socket_context(MHD_Connection* conn) noexcept {
        const MHD_ConnectionInfo* info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        return info ? info->socket_context : nullptr;
    }

    // MHD_OPTION_ACCEPT_POLICY_CALLBACK: runs on the worker thread that
    // accepted the connection, before MHD sets it up.
    static MHD_Result accept_policy(void* cls, const sockaddr* addr, socklen_t) noexcept {
        return static_cast<HttpServer*>(cls)->guard_->admit(addr) ? MHD_YES : MHD_NO;
    }

    // MHD_OPTION_NOTIFY_CONNECTION. MHD closes the socket after the closed
    // notification (libmicrohttpd 0.9.75 MHD_cleanup_connections), so the
    // guard may still shut it down or hand it to the lingering close until then.
    static void notify_connection(void* cls, MHD_Connection* conn, void** socket_ctx,
                                  MHD_ConnectionNotificationCode code) noexcept {
        auto& srv = *static_cast<HttpServer*>(cls);
        if (code == MHD_CONNECTION_NOTIFY_STARTED) {
            const MHD_ConnectionInfo* fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
            const MHD_ConnectionInfo* addr = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
            *socket_ctx = srv.guard_->opened(fd ? fd->connect_fd : -1, addr ? addr->client_addr : nullptr);
        } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
            srv.guard_->closed(*socket_ctx);
            *socket_ctx = nullptr;
        }
    }

    // libmicrohttpd logs a line for every connection dropped mid-request (a
    // client gone, or one the connection guard shut down): a flood of slow
    // clients would become a flood of log lines. At most 20 lines at once and
    // 2 a second on average; the next line written says how many were dropped.
    static void mhd_log(void*, const char* fmt, va_list ap) noexcept {
        static RateLimiter throttle(120, 20, 1);
        static std::atomic<unsigned long long> dropped{0};
        const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch()).count();
        try {
            if (!throttle.take("mhd", now_ms).allowed) {
                dropped.fetch_add(1);
                return;
            }
        } catch (...) {
            return;
        }
        char buf[512];
        int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
        if (n < 0) return;
        std::size_t len = std::min<std::size_t>(static_cast<std::size_t>(n), sizeof buf - 1);
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) buf[--len] = '\0';
        if (unsigned long long d = dropped.exchange(0))
            log_warn("libmicrohttpd: %llu more message(s) not logged (at most 2 a second)", d);
        log_warn("libmicrohttpd: %s", buf);
    }
};

HttpServer::HttpServer(const ControllerConfig& config, const Router& router, AppContext& ctx)
    : config_(config),
      router_(router),
      ctx_(ctx),
      lanes_(std::make_unique<Lanes>(
          LaneLimits{config.db_lane_workers, config.db_lane_queue,
                     std::chrono::milliseconds(config.lane_queue_timeout_ms)},
          LaneLimits{config.janus_lane_workers, config.janus_lane_queue,
                     std::chrono::milliseconds(config.lane_queue_timeout_ms)})) {}

HttpServer::~HttpServer() { stop(std::chrono::milliseconds(0)); }

bool HttpServer::start(std::string* error) {
    if (daemon_) return true;
    sockaddr_in v4{};
    sockaddr_in6 v6{};
    const sockaddr* addr = nullptr;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
    if (inet_pton(AF_INET, config_.listen_address.c_str(), &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons(config_.port);
        addr = reinterpret_cast<const sockaddr*>(&v4);
    } else if (inet_pton(AF_INET6, config_.listen_address.c_str(), &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(config_.port);
        addr = reinterpret_cast<const sockaddr*>(&v6);
        flags |= MHD_USE_IPv6;
    } else {
        *error = "listen_address is not a numeric IP address";
        return false;
    }
    // The lanes' threads first: a server that could not run its handlers
    // must not start listening (main logs the error and exits non-zero).
    if (!lanes_->start(error)) return false;
    ConnLimits limits;
    limits.max_connections = config_.max_connections;
    limits.workers = config_.threads;
    limits.per_ip = config_.per_ip_connection_limit;
    limits.header_timeout = std::chrono::seconds(config_.header_timeout_s);
    limits.body_timeout = std::chrono::seconds(config_.body_timeout_s);
    limits.body_min_rate = config_.body_min_rate_bytes_per_s;
    linger_ = std::make_unique<LingeringClose>();
    guard_ = std::make_unique<ConnGuard>(limits, linger_.get());
    if (!linger_->start(error) || !guard_->start(error)) {
        guard_.reset();
        linger_.reset();
        return false;
    }
    errno = 0;
    daemon_ = MHD_start_daemon(
        flags, config_.port, &Callbacks::accept_policy, this, &Callbacks::access, this,
        MHD_OPTION_EXTERNAL_LOGGER, &Callbacks::mhd_log, this,  // first, so it covers option errors
        MHD_OPTION_THREAD_POOL_SIZE, static_cast<unsigned>(config_.threads),
        MHD_OPTION_CONNECTION_LIMIT, static_cast<unsigned>(config_.max_connections),
        // per_ip_connection_limit is the guard's (accept_policy), which sheds
        // before it refuses; MHD's own limit would only refuse.
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, 0u,
        MHD_OPTION_NOTIFY_CONNECTION, &Callbacks::notify_connection, this,
        MHD_OPTION_CONNECTION_TIMEOUT, static_cast<unsigned>(config_.connection_timeout_s),
        // Request line + headers live in this per-connection pool (query
        // arguments are bounded by uri_log); 64 KiB leaves room for large
        // but legitimate headers. The body is capped separately.
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<size_t>(64 * 1024),
        MHD_OPTION_SOCK_ADDR, addr,
        MHD_OPTION_NOTIFY_COMPLETED, &Callbacks::completed, this,
        MHD_OPTION_URI_LOG_CALLBACK, &Callbacks::uri_log, this,
        MHD_OPTION_END);
    if (!daemon_) {
        int err = errno;
        *error = "cannot listen on " + config_.listen_address + ":" + std::to_string(config_.port) +
                 (err ? std::string(" (") + std::strerror(err) + ")" : std::string());
        guard_.reset();
        linger_.reset();
        return false;
    }
    stopping_.store(false);
    return true;
}

void HttpServer::stop(std::chrono::milliseconds grace) {
    if (!daemon_) return;
    stopping_.store(true);
    MHD_socket listen_fd = MHD_quiesce_daemon(daemon_);
    if (listen_fd != MHD_INVALID_SOCKET) ::close(listen_fd);
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (in_flight_.load() > 0) log_warn("stopping with %u request(s) still in flight", in_flight_.load());
    // Queued handlers are answered 503, running ones finish (each within its
    // deadlines): no connection stays suspended, as MHD_stop_daemon requires.
    lanes_->stop();
    MHD_stop_daemon(daemon_);
    daemon_ = nullptr;
    guard_.reset();   // MHD has closed every connection through the guard
    linger_.reset();  // closes the sockets still lingering
}

}  // namespace telemed
