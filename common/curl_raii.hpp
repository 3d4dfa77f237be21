// Move-only owners for libcurl handles (docs/STYLE "RAII for every C handle"),
// for the controller (Janus Admin API) and the plugin (chat store). Header only:
// nothing in libtelemed_common links libcurl.
#pragma once
#include <curl/curl.h>
#include <memory>

namespace telemed {

struct CurlEasyCleanup {
    void operator()(CURL* c) const noexcept { curl_easy_cleanup(c); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyCleanup>;

struct CurlSlistFree {
    void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistFree>;

}  // namespace telemed
