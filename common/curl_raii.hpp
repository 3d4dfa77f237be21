// Move-only owners for libcurl handles (docs/STYLE "RAII for every C handle"),
// for the controller (Janus Admin API) and the plugin (chat store). Header only:
// nothing in libtelemed_common links libcurl.
#pragma once
#include <curl/curl.h>

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>

namespace telemed {

struct CurlEasyCleanup {
    void operator()(CURL* c) const noexcept { curl_easy_cleanup(c); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyCleanup>;

struct CurlSlistFree {
    void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistFree>;

// A header list of `lines` in order; null entries are skipped (optional
// headers). nullopt when libcurl could not allocate it.
inline std::optional<CurlSlist> make_headers(std::initializer_list<const char*> lines) {
    CurlSlist list;
    for (const char* h : lines) {
        if (!h) continue;
        curl_slist* n = curl_slist_append(list.get(), h);
        if (!n) return std::nullopt;
        (void)list.release();
        list.reset(n);
    }
    return list;
}

// An answer body kept up to `max` bytes: CURLOPT_WRITEFUNCTION
// bounded_body_write with CURLOPT_WRITEDATA &body. A longer answer aborts the
// transfer (CURLE_WRITE_ERROR) with too_large set.
struct BoundedBody {
    explicit BoundedBody(std::size_t limit) : max(limit) {}
    std::string data;
    std::size_t max;
    bool too_large = false;
};

inline size_t bounded_body_write(char* ptr, size_t size, size_t nmemb, void* userdata) {
    auto* b = static_cast<BoundedBody*>(userdata);
    const size_t n = size * nmemb;
    if (b->data.size() + n > b->max) {
        b->too_large = true;
        return 0;
    }
    try {
        b->data.append(ptr, n);
    } catch (...) {
        return 0;
    }
    return n;
}

}  // namespace telemed
