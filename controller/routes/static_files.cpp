// Static web files: the clinic web app and the browser SDK (web/ in the
// source tree, $(pkgdatadir)/web once installed; config key web_root).
// No authentication: these files carry no data. The join token travels in
// the URL fragment (/app/#join=...), which browsers never send to a server.
//
//   GET|HEAD /app/               <web_root>/app/index.html
//   GET|HEAD /app/{file}         <web_root>/app/<file>
//   GET|HEAD /sdk/telemed.js     <web_root>/telemed.js
//
// Only single file names of [A-Za-z0-9._-] (not starting with '.', at most
// 128 characters) with a known extension are served: .html .js .css .svg
// .png .ico. That refuses '..', '/', NUL and absolute paths before the file
// system is touched. The file's real path (symlinks resolved) must lie
// inside the real path of <web_root>, it must be a regular file of at most
// 8 MiB; no directory listing. Anything else: 404 problem+json.
// Every answer carries Cache-Control: no-cache (with a weak ETag, so a
// revalidation costs a 304), X-Content-Type-Options: nosniff,
// Referrer-Policy: no-referrer and the app's Content-Security-Policy.
// Files are read per request: an edited web/ is served at once.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <string>
#include <string_view>

#include "controller/app.hpp"
#include "controller/http/problem.hpp"
#include "controller/http/router.hpp"
#include "controller/log.hpp"

#ifndef TELEMED_DEFAULT_WEB_ROOT
#define TELEMED_DEFAULT_WEB_ROOT "/usr/local/share/telemed/web"
#endif

namespace telemed {
namespace {

constexpr std::size_t kMaxFileNameChars = 128;
constexpr off_t kMaxFileBytes = 8 << 20;

constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; connect-src 'self' ws: wss:; media-src 'self' blob:; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

struct ContentType {
    std::string_view extension;
    const char* type;
};
constexpr ContentType kContentTypes[] = {
    {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},   {".svg", "image/svg+xml"},
    {".png", "image/png"},                 {".ico", "image/x-icon"},
};

void add_common_headers(Response* r) {
    r->headers.emplace_back("Cache-Control", "no-cache");
    r->headers.emplace_back("X-Content-Type-Options", "nosniff");
    r->headers.emplace_back("Referrer-Policy", "no-referrer");
    r->headers.emplace_back("Content-Security-Policy", kContentSecurityPolicy);
}

Response missing() {
    Response r = problem(404, "not-found", "Not found", "No resource at this path.");
    add_common_headers(&r);
    return r;
}

// The content type of a servable file name, or nullptr.
const char* content_type_of(std::string_view name) {
    if (name.empty() || name.size() > kMaxFileNameChars || name.front() == '.') return nullptr;
    for (char ch : name) {
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
                  ch == '_' || ch == '-';
        if (!ok) return nullptr;
    }
    for (const ContentType& ct : kContentTypes) {
        if (name.size() > ct.extension.size() &&
            name.compare(name.size() - ct.extension.size(), ct.extension.size(), ct.extension) == 0)
            return ct.type;
    }
    return nullptr;
}

std::string web_root_of(const ControllerConfig& cfg) {
    return cfg.web_root.empty() ? std::string(TELEMED_DEFAULT_WEB_ROOT) : cfg.web_root;
}

// Real path of `path`, or "" when it does not resolve.
std::string real_path(const std::string& path) {
    char buf[PATH_MAX];
    if (!::realpath(path.c_str(), buf)) return {};
    return buf;
}

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
private:
    int fd_;
};

// Serves <web_root>/<relative>; `relative` is built from checked names only.
Response serve(const Request& req, const ControllerConfig& cfg, const std::string& relative, const char* type) {
    const std::string root = real_path(web_root_of(cfg));
    if (root.empty()) {
        log_debug("static files: web_root does not resolve");
        return missing();
    }
    const std::string file = real_path(root + "/" + relative);
    if (file.empty() || file.size() <= root.size() + 1 || file.compare(0, root.size(), root) != 0 ||
        file[root.size()] != '/')
        return missing();

    Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    if (fd.get() < 0) return missing();
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > kMaxFileBytes) return missing();

    const std::string etag = "W/\"" + std::to_string(static_cast<long long>(st.st_size)) + "-" +
                             std::to_string(static_cast<long long>(st.st_mtim.tv_sec)) + "." +
                             std::to_string(static_cast<long long>(st.st_mtim.tv_nsec)) + "\"";
    Response r;
    add_common_headers(&r);
    r.headers.emplace_back("ETag", etag);
    r.content_type = type;
    std::string_view inm = req.header("if-none-match");
    if (!inm.empty() && (inm == etag || inm == "*")) {
        r.status = 304;
        return r;
    }

    std::string body;
    body.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < body.size()) {
        ssize_t n = ::read(fd.get(), body.data() + got, body.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
    }
    if (got != body.size()) {  // shrank or failed while reading: do not serve half a file
        log_warn("static files: short read (errno %d)", errno);
        return missing();
    }
    r.status = 200;
    r.body = std::move(body);
    return r;
}

Response app_index(const Request& req, AppContext& ctx) {
    return serve(req, ctx.config, "app/index.html", content_type_of("index.html"));
}

Response app_file(const Request& req, AppContext& ctx) {
    const std::string& name = req.params.at(0);
    const char* type = content_type_of(name);
    if (!type) return missing();
    return serve(req, ctx.config, "app/" + name, type);
}

Response sdk(const Request& req, AppContext& ctx) {
    return serve(req, ctx.config, "telemed.js", content_type_of("telemed.js"));
}

}  // namespace

void register_static_file_routes(Router& r) {
    for (const char* method : {"GET", "HEAD"}) {
        r.add(method, "/app/", false, Lane::Inline, app_index);
        r.add(method, "/app/{file}", false, Lane::Inline, app_file);
        r.add(method, "/sdk/telemed.js", false, Lane::Inline, sdk);
    }
}

}  // namespace telemed
