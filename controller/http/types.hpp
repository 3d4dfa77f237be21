// The controller's HTTP request/response values. Route handlers see only
// these; libmicrohttpd stays inside http/server.cpp.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/credential.hpp"
#include "common/json.hpp"

namespace telemed {

struct AppContext;
class BodySink;

// A streamed response body (downloads): read by the server on its event
// thread, block by block, as the client takes them; never held whole.
class BodySource {
public:
    virtual ~BodySource() = default;
    // Up to `max` bytes of the body from `pos` (0 = its first byte) into
    // `buf`: the number written (> 0), or -1 on an error, which aborts the
    // connection mid-body (the client sees a short body, never other bytes).
    virtual long read(uint64_t pos, char* buf, std::size_t max) = 0;
};

struct Request {
    std::string method;                               // "GET", "POST", ...
    std::string path;                                 // decoded, no query string
    std::multimap<std::string, std::string> query;    // decoded query arguments
    std::map<std::string, std::string> headers;       // names lower-cased
    std::string body;                                 // at most max_body_bytes
    std::vector<std::string> params;                  // path parameters, in pattern order
    std::string api_key_id;                           // set by auth: "key0", "key1", ... (never the key)
    std::string client_address;                       // peer IP address text ("" when unknown); rate limits only
    // Routes with participant_auth: set when the caller authenticated with a
    // participant credential whose MAC verified (the route checks the rest in
    // Postgres); api_key_id is then "".
    std::optional<CredentialClaims> participant;
    // Routes with a body sink: the sink that took the body (owned by the
    // server; body stays empty). Null otherwise.
    BodySink* sink = nullptr;

    // "" when absent.
    std::string_view header(std::string_view lower_name) const;
};

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    // Streamed body instead of `body` (when set): source_length bytes read
    // from `source` (Content-Length: source_length).
    std::shared_ptr<BodySource> source;
    uint64_t source_length = 0;

    // Serialises `body` compactly; `body` is borrowed.
    static Response json(int status, const json_t* body);
    static Response no_content();  // 204
};

using Handler = std::function<Response(const Request&, AppContext&)>;
// Tried on the HTTP event thread before a route's lane (Route::inline_first):
// an answer that needs no waiting, or nullopt to hand the request to the lane.
using InlineFirst = std::function<std::optional<Response>(const Request&, AppContext&)>;

// A streamed request body (uploads). A route that declares a SinkFactory
// gets no max_body_bytes cap and no buffering: the factory runs on the
// event thread once the head is in and authentication passed, and the sink
// gets each chunk as it arrives, on the event thread (so it must not wait on
// anything but local disk). A refusal from the factory, write() or finish()
// is the answer; the rest of the body is read and dropped first (within the
// server's bounds). After finish() the route's handler runs on its lane with
// Request::sink pointing at the sink. The sink is destroyed after the
// answer (or when the client goes away): it discards what it did not hand over.
class BodySink {
public:
    virtual ~BodySink() = default;
    virtual std::optional<Response> write(const char* data, std::size_t n) = 0;
    virtual std::optional<Response> finish() = 0;
};
// The sink for a request, or nullptr with *refusal set.
using SinkFactory =
    std::function<std::unique_ptr<BodySink>(const Request&, AppContext&, std::optional<Response>* refusal)>;

}  // namespace telemed
