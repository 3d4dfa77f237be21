// The controller's HTTP request/response values. Route handlers see only
// these; libmicrohttpd stays inside http/server.cpp.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/json.hpp"

namespace telemed {

struct AppContext;

struct Request {
    std::string method;                               // "GET", "POST", ...
    std::string path;                                 // decoded, no query string
    std::multimap<std::string, std::string> query;    // decoded query arguments
    std::map<std::string, std::string> headers;       // names lower-cased
    std::string body;                                 // at most max_body_bytes
    std::vector<std::string> params;                  // path parameters, in pattern order
    std::string api_key_id;                           // set by auth: "key0", "key1", ... (never the key)
    std::string client_address;                       // peer IP address text ("" when unknown); rate limits only

    // "" when absent.
    std::string_view header(std::string_view lower_name) const;
};

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;

    // Serialises `body` compactly; `body` is borrowed.
    static Response json(int status, const json_t* body);
    static Response no_content();  // 204
};

using Handler = std::function<Response(const Request&, AppContext&)>;

}  // namespace telemed
