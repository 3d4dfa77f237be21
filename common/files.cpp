// Shared files: pure rules (common/files.hpp).
#include "common/files.hpp"
#include "common/utf8.hpp"

#include <array>
#include <cstring>

namespace telemed::files {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

struct TypeName {
    FileType type;
    std::string_view media;
};
constexpr std::array<TypeName, 5> kTypes{{
    {FileType::Pdf, "application/pdf"},
    {FileType::Png, "image/png"},
    {FileType::Jpeg, "image/jpeg"},
    {FileType::Dicom, "application/dicom"},
    {FileType::Text, "text/plain"},
}};

struct ExtName {
    std::string_view ext;
    FileType type;
};
constexpr std::array<ExtName, 11> kExtensions{{
    {"pdf", FileType::Pdf},
    {"png", FileType::Png},
    {"jpg", FileType::Jpeg},
    {"jpeg", FileType::Jpeg},
    {"jpe", FileType::Jpeg},
    {"jfif", FileType::Jpeg},
    {"dcm", FileType::Dicom},
    {"dicom", FileType::Dicom},
    {"txt", FileType::Text},
    {"text", FileType::Text},
    {"log", FileType::Text},
}};

// Formats that run code or render active content when opened.
constexpr std::array<std::string_view, 34> kActiveExtensions{{
    "exe", "dll", "com", "scr", "msi", "msp", "bat", "cmd", "ps1", "psm1", "vbs", "vbe", "js", "jse", "mjs",
    "wsf", "wsh", "hta", "cpl", "jar", "sh", "bash", "app", "dmg", "pkg", "deb", "rpm", "apk", "elf", "so",
    "html", "htm", "svg", "xhtml",
}};

// One UTF-8 step of the text rule. Returns false on a byte that breaks it.
// State in need/cp/len (see TextChecker).
bool text_step(uint8_t b, uint8_t& need, uint32_t& cp, uint8_t& len) {
    if (need == 0) {
        if (b < 0x80) {
            if (b == 0x7f) return false;
            return b >= 0x20 || b == '\t' || b == '\n' || b == '\r' || b == '\f';
        }
        if (b >= 0xc2 && b <= 0xdf) { need = 1; cp = b & 0x1fu; }
        else if (b >= 0xe0 && b <= 0xef) { need = 2; cp = b & 0x0fu; }
        else if (b >= 0xf0 && b <= 0xf4) { need = 3; cp = b & 0x07u; }
        else return false;
        len = static_cast<uint8_t>(need + 1);
        return true;
    }
    if ((b & 0xc0) != 0x80) return false;
    cp = (cp << 6) | (b & 0x3fu);
    if (--need == 0) {
        // Overlong forms, surrogates, beyond U+10FFFF, C1 controls.
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
            return false;
    }
    return true;
}

bool unwanted_code_point(uint32_t cp) {
    return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||   // C0, DEL, C1
           (cp >= 0x200b && cp <= 0x200f) ||                          // zero-width, LRM/RLM
           (cp >= 0x202a && cp <= 0x202e) ||                          // bidi embeddings/overrides
           (cp >= 0x2066 && cp <= 0x2069) ||                          // bidi isolates
           cp == 0xfeff || cp == 0xfffe || cp == 0xffff;              // BOM, non-characters
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool is_token_char(char c) {
    if (c <= 0x20 || c >= 0x7f) return false;
    return std::strchr("()<>@,;:\\\"/[]?={}", c) == nullptr;
}

}  // namespace

std::string_view media_type(FileType t) {
    for (const TypeName& n : kTypes)
        if (n.type == t) return n.media;
    return "";
}

FileType type_of_media_type(std::string_view content_type) {
    std::string_view v = trim(content_type.substr(0, content_type.find(';')));
    for (const TypeName& n : kTypes)
        if (iequals(v, n.media)) return n.type;
    return FileType::Unknown;
}

std::optional<std::vector<FileType>> parse_allowlist(std::string_view list) {
    std::vector<FileType> out;
    while (true) {
        const std::size_t comma = list.find(',');
        std::string_view item = trim(list.substr(0, comma));
        if (item.empty() || item.find(';') != std::string_view::npos) return std::nullopt;
        FileType t = type_of_media_type(item);
        if (t == FileType::Unknown) return std::nullopt;
        bool seen = false;
        for (FileType o : out) seen = seen || o == t;
        if (!seen) out.push_back(t);
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return out;
}

FileType sniff(const uint8_t* head, std::size_t n, bool complete) {
    if (!head) n = 0;
    if (n > kSniffBytes) {  // only the head is looked at: the body goes on beyond it
        n = kSniffBytes;
        complete = false;
    }
    auto starts = [&](const char* sig, std::size_t len) { return n >= len && std::memcmp(head, sig, len) == 0; };
    if (starts("%PDF-", 5)) return FileType::Pdf;
    if (starts("\x89PNG\r\n\x1a\n", 8)) return FileType::Png;
    if (starts("\xff\xd8\xff", 3)) return FileType::Jpeg;
    if (n >= 132 && std::memcmp(head + 128, "DICM", 4) == 0) return FileType::Dicom;
    // UTF-16/32 byte-order marks: not the UTF-8 text we accept.
    if (starts("\xfe\xff", 2) || starts("\xff\xfe", 2)) return FileType::Unknown;
    uint8_t need = 0, len = 0;
    uint32_t cp = 0;
    std::size_t i = 0;
    if (starts("\xef\xbb\xbf", 3)) i = 3;  // UTF-8 BOM
    for (; i < n; ++i)
        if (!text_step(head[i], need, cp, len)) return FileType::Unknown;
    if (need != 0 && complete) return FileType::Unknown;
    return FileType::Text;
}

void TextChecker::feed(const uint8_t* p, std::size_t n) {
    for (std::size_t i = 0; ok_ && i < n; ++i) ok_ = text_step(p[i], need_, cp_, len_);
}

bool TextChecker::finish() {
    if (need_ != 0) ok_ = false;
    return ok_;
}

std::string sanitize_filename(std::string_view raw) {
    if (raw.size() > 4096) raw = raw.substr(0, 4096);
    std::string clean;
    clean.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size();) {
        uint32_t cp = 0;
        const std::size_t len = utf8_next(raw, i, &cp);
        if (len == 0) {
            ++i;
            continue;
        }
        if (cp == '/' || cp == '\\') {
            clean.clear();  // keep the last path component only
        } else if (!unwanted_code_point(cp)) {
            clean.append(raw.substr(i, len));
        }
        i += len;
    }
    std::string_view v = clean;
    while (!v.empty() && (v.front() == ' ' || v.front() == '.')) v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    if (v.size() > kMaxNameBytes) {
        // Cut on a code point boundary, keeping the extension when it is short.
        std::string_view ext;
        const std::size_t dot = v.rfind('.');
        if (dot != std::string_view::npos && v.size() - dot <= 16) ext = v.substr(dot);
        std::size_t keep = kMaxNameBytes - ext.size();
        while (keep > 0 && (static_cast<uint8_t>(v[keep]) & 0xc0) == 0x80) --keep;
        std::string out(v.substr(0, keep));
        while (!out.empty() && out.back() == ' ') out.pop_back();
        out.append(ext);
        return out.empty() || out == std::string(ext) ? std::string("file") + std::string(ext) : out;
    }
    if (v.empty()) return "file";
    return std::string(v);
}

std::optional<std::string> parse_content_disposition(std::string_view h) {
    if (h.size() > 2048) return std::nullopt;
    std::size_t i = 0;
    auto skip_ws = [&] {
        while (i < h.size() && (h[i] == ' ' || h[i] == '\t')) ++i;
    };
    auto token = [&]() -> std::string_view {
        const std::size_t b = i;
        while (i < h.size() && is_token_char(h[i])) ++i;
        return h.substr(b, i - b);
    };
    skip_ws();
    std::string_view disposition = token();
    if (disposition.empty()) return std::nullopt;
    std::optional<std::string> plain, extended;
    bool seen_plain = false, seen_ext = false;
    while (true) {
        skip_ws();
        if (i == h.size()) break;
        if (h[i] != ';') return std::nullopt;
        ++i;
        skip_ws();
        if (i == h.size()) break;  // trailing ';'
        std::string_view name = token();
        if (name.empty()) return std::nullopt;
        skip_ws();
        if (i == h.size() || h[i] != '=') return std::nullopt;
        ++i;
        skip_ws();
        std::string value;
        bool quoted = false;
        if (i < h.size() && h[i] == '"') {
            quoted = true;
            ++i;
            bool closed = false;
            while (i < h.size()) {
                char c = h[i++];
                if (c == '"') {
                    closed = true;
                    break;
                }
                if (c == '\\') {
                    if (i == h.size()) return std::nullopt;
                    c = h[i++];
                }
                value.push_back(c);
            }
            if (!closed) return std::nullopt;
        } else {
            value = std::string(token());
            if (value.empty()) return std::nullopt;
        }
        if (iequals(name, "filename")) {
            if (seen_plain) return std::nullopt;  // duplicate parameter: ambiguous
            seen_plain = true;
            plain = std::move(value);
        } else if (iequals(name, "filename*")) {
            if (seen_ext || quoted) return std::nullopt;
            seen_ext = true;
            // RFC 5987 ext-value: charset "'" [language] "'" value-chars
            const std::size_t q1 = value.find('\'');
            const std::size_t q2 = q1 == std::string::npos ? q1 : value.find('\'', q1 + 1);
            if (q2 == std::string::npos) return std::nullopt;
            std::string_view charset = std::string_view(value).substr(0, q1);
            std::string_view enc = std::string_view(value).substr(q2 + 1);
            const bool utf8 = iequals(charset, "utf-8");
            if (!utf8 && !iequals(charset, "iso-8859-1")) return std::nullopt;
            std::string decoded;
            for (std::size_t k = 0; k < enc.size(); ++k) {
                if (enc[k] == '%') {
                    if (k + 2 >= enc.size()) return std::nullopt;
                    const int hi = hex_value(enc[k + 1]), lo = hex_value(enc[k + 2]);
                    if (hi < 0 || lo < 0) return std::nullopt;
                    decoded.push_back(static_cast<char>(hi * 16 + lo));
                    k += 2;
                } else {
                    decoded.push_back(enc[k]);
                }
            }
            if (!utf8) {  // Latin-1 to UTF-8
                std::string u;
                for (unsigned char c : decoded) {
                    if (c < 0x80) {
                        u.push_back(static_cast<char>(c));
                    } else {
                        u.push_back(static_cast<char>(0xc0 | (c >> 6)));
                        u.push_back(static_cast<char>(0x80 | (c & 0x3f)));
                    }
                }
                decoded = std::move(u);
            }
            extended = std::move(decoded);
        }
        // other parameters (creation-date, ...) are ignored
    }
    if (extended && !extended->empty()) return extended;
    if (plain && !plain->empty()) return plain;
    return std::nullopt;
}

std::string content_disposition_attachment(std::string_view name) {
    std::string ascii;
    for (std::size_t i = 0; i < name.size();) {
        uint32_t cp = 0;
        std::size_t len = utf8_next(name, i, &cp);
        if (len == 0) len = 1, cp = 0xfffd;
        if (cp < 0x20 || cp >= 0x7f || cp == '"' || cp == '\\' || cp == '%')
            ascii.push_back('_');
        else
            ascii.push_back(static_cast<char>(cp));
        i += len;
    }
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string pct;
    for (unsigned char c : name) {
        // RFC 5987 attr-char: ALPHA / DIGIT / "!#$&+-.^_`|~"
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            std::strchr("!#$&+-.^_`|~", c) != nullptr) {
            if (c != 0) {
                pct.push_back(static_cast<char>(c));
                continue;
            }
        }
        pct.push_back('%');
        pct.push_back(kHex[c >> 4]);
        pct.push_back(kHex[c & 15]);
    }
    return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + pct;
}

bool extension_acceptable(std::string_view name, FileType sniffed) {
    const std::size_t dot = name.rfind('.');
    if (dot == std::string_view::npos || dot + 1 == name.size()) return true;
    std::string ext;
    for (char c : name.substr(dot + 1)) ext.push_back(lower(c));
    for (std::string_view a : kActiveExtensions)
        if (ext == a) return false;
    for (const ExtName& e : kExtensions)
        if (ext == e.ext) return e.type == sniffed;
    return true;
}

}  // namespace telemed::files
