// ControllerHttp (plugin/controller_http.hpp).
#include "plugin/controller_http.hpp"

#include <curl/curl.h>

#include <optional>
#include <utility>

#include "common/curl_raii.hpp"

namespace telemed::plugin {
namespace {

constexpr std::size_t kMaxResponseBytes = 4 << 20;  // a chat history page of 500 long messages fits

// One easy handle per calling thread, kept for its connection.
CURL* thread_handle() {
    thread_local CurlEasy handle(curl_easy_init());
    return handle.get();
}

}  // namespace

ControllerHttp::ControllerHttp(std::string base_url, std::string secret, int64_t timeout_ms, std::string what,
                               std::function<void(std::string_view)> warn)
    : base_url_(std::move(base_url)),
      auth_header_("Authorization: Bearer " + secret),
      timeout_ms_(timeout_ms),
      what_(std::move(what)),
      warn_(std::move(warn)) {}

bool ControllerHttp::call(const std::string& path, const std::string* body, std::string* response, long* status) {
    *status = 0;
    CURL* c = thread_handle();
    if (c == nullptr) return false;
    curl_easy_reset(c);
    std::optional<CurlSlist> headers =
        make_headers({auth_header_.c_str(), body ? "Content-Type: application/json" : nullptr});
    if (!headers) return false;
    BoundedBody answer(kMaxResponseBytes);
    const std::string url = base_url_ + path;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers->get());
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms_));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_ms_));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, bounded_body_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body->size()));
    }
    const CURLcode rc = curl_easy_perform(c);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
    if (rc != CURLE_OK) {
        warn_(what_ + ": controller unreachable (" + curl_easy_strerror(rc) + ")");
        return false;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    *response = std::move(answer.data);
    return true;
}

}  // namespace telemed::plugin
