// Shared files: the pure rules of an upload (docs/DESIGN.md "Files"). No
// I/O, no allocation beyond the returned strings, never throws on input:
//  - the allowlist of media types and the magic-byte sniffer that decides a
//    body's type (the declared Content-Type must agree with it);
//  - the file name: taken from Content-Disposition (RFC 6266 / 5987),
//    sanitised, kept as metadata only (never a path), and written back as
//    `attachment; filename="<ascii fallback>"; filename*=UTF-8''<pct>`;
//  - the extension rule (a known type's extension must name the sniffed type;
//    executable extensions are refused).
// Fuzzed by tests/fuzz/fuzz_files.cpp, unit-tested by tests/unit/test_common_files.cpp.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace telemed::files {

// The types the server can recognise by their bytes. Unknown: none of them.
enum class FileType : uint8_t { Unknown = 0, Pdf, Png, Jpeg, Dicom, Text };

// "application/pdf", "image/png", "image/jpeg", "application/dicom", "text/plain"; "" for Unknown.
std::string_view media_type(FileType t);
// A Content-Type value (parameters such as "; charset=utf-8" ignored, case-
// insensitive) -> its type; Unknown for anything else (including "image/jpg").
FileType type_of_media_type(std::string_view content_type);
// "pdf,png,..." / media types list of the config: each item a media type of a
// known type. nullopt when an item is unknown or the list is empty.
std::optional<std::vector<FileType>> parse_allowlist(std::string_view comma_list);

// Bytes the sniffer wants before it decides (DICOM: 128-byte preamble + "DICM").
inline constexpr std::size_t kSniffBytes = 512;

// The type of a body whose first bytes are `head` (at most kSniffBytes are
// looked at; `complete` = the body is that short). Text = valid UTF-8 (a
// sequence cut at the end of an incomplete head is allowed) without NUL or
// C0 controls other than TAB, LF, CR, FF, and without a byte-order mark of
// another encoding. Binary signatures win over text.
FileType sniff(const uint8_t* head, std::size_t n, bool complete);

// The rest of a text body must stay text: fed chunk by chunk after the
// sniffed head (or from the start), ok() turns false at the first byte that
// breaks the rule of sniff(); finish() also refuses a sequence cut at the end.
class TextChecker {
public:
    void feed(const uint8_t* p, std::size_t n);
    bool finish();
    bool ok() const { return ok_; }
private:
    bool ok_ = true;
    uint8_t need_ = 0;      // continuation bytes still expected
    uint32_t cp_ = 0;       // code point being decoded
    uint8_t len_ = 0;       // length of the sequence being decoded
};

// The longest name kept, in bytes (UTF-8, cut on a code point boundary).
inline constexpr std::size_t kMaxNameBytes = 255;

// A client's name made safe to store and show: invalid UTF-8 and controls
// (C0, DEL, C1, bidi overrides and isolates, zero-width) removed, any path
// before the last '/' or '\' dropped, leading dots and surrounding spaces
// trimmed, at most kMaxNameBytes; "file" when nothing is left.
std::string sanitize_filename(std::string_view raw);

// The filename of a Content-Disposition header value (`attachment` or
// `inline`; filename*=UTF-8''... preferred over filename="..."), not yet
// sanitised. nullopt when the header is malformed, over 2048 bytes, or has
// no filename. Never throws.
std::optional<std::string> parse_content_disposition(std::string_view header);

// The download header for a (sanitised) name: attachment; filename="<ASCII:
// non-ASCII, '"', '\\', '%' and controls as '_'>"; filename*=UTF-8''<RFC 5987
// percent-encoding>.
std::string content_disposition_attachment(std::string_view name);

// The extension rule: ok when the name has no extension, or one that names
// `sniffed`, or one that names no known type and no executable/active format;
// false for a known type's extension naming another type (a PDF named
// ".png") and for executable extensions (.exe, .js, .html, .svg, ...).
bool extension_acceptable(std::string_view name, FileType sniffed);

}  // namespace telemed::files
