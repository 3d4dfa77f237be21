// Request/Response helpers (controller/http/types.hpp).
#include "controller/http/types.hpp"

namespace telemed {

std::string_view Request::header(std::string_view lower_name) const {
    auto it = headers.find(std::string(lower_name));
    if (it == headers.end()) return {};
    return it->second;
}

Response Response::json(int status, const json_t* body) {
    Response r;
    r.status = status;
    r.content_type = "application/json";
    if (body) r.body = json_dump(body);
    return r;
}

Response Response::no_content() {
    Response r;
    r.status = 204;
    r.content_type.clear();  // a 204 carries no body and no Content-Type
    return r;
}

}  // namespace telemed
