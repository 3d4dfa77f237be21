// common/files: sniffer, text rule, filename sanitiser, Content-Disposition
// parser and writer, extension rule, allowlist.
#include "common/files.hpp"

#include "tests/unit/test_common_support.hpp"

using namespace telemed::files;

namespace {

FileType sniff_str(std::string_view s, bool complete = true) {
    return sniff(reinterpret_cast<const uint8_t*>(s.data()), s.size(), complete);
}

void sniffs_signatures(void**) {
    assert_int_equal(static_cast<int>(sniff_str("%PDF-1.7\n...")), static_cast<int>(FileType::Pdf));
    assert_int_equal(static_cast<int>(sniff_str(std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16))),
                     static_cast<int>(FileType::Png));
    assert_int_equal(static_cast<int>(sniff_str("\xff\xd8\xff\xe0\0\x10JFIF")), static_cast<int>(FileType::Jpeg));
    std::string dicom(128, '\0');
    dicom += "DICM";
    dicom += std::string("\x02\0\0\0", 4);
    assert_int_equal(static_cast<int>(sniff_str(dicom)), static_cast<int>(FileType::Dicom));
    assert_int_equal(static_cast<int>(sniff_str("hello, world\nline 2\ttab\r\n")), static_cast<int>(FileType::Text));
    assert_int_equal(static_cast<int>(sniff_str("gr\xc3\xbc\xc3\x9f\x65")), static_cast<int>(FileType::Text));
    assert_int_equal(static_cast<int>(sniff_str("")), static_cast<int>(FileType::Text));  // empty text file
}

void refuses_binaries(void**) {
    assert_int_equal(static_cast<int>(sniff_str(std::string("MZ\x90\0\3\0\0\0", 8))), static_cast<int>(FileType::Unknown));
    assert_int_equal(static_cast<int>(sniff_str("\x7f" "ELF\2\1\1")), static_cast<int>(FileType::Unknown));
    assert_int_equal(static_cast<int>(sniff_str(std::string("a\0b", 3))), static_cast<int>(FileType::Unknown));
    assert_int_equal(static_cast<int>(sniff_str("\xfe\xff\0h")), static_cast<int>(FileType::Unknown));  // UTF-16
    assert_int_equal(static_cast<int>(sniff_str("\xc0\xaf")), static_cast<int>(FileType::Unknown));     // overlong
    assert_int_equal(static_cast<int>(sniff_str("\xed\xa0\x80")), static_cast<int>(FileType::Unknown)); // surrogate
    assert_int_equal(static_cast<int>(sniff_str("a\xc2\x85")), static_cast<int>(FileType::Unknown));    // C1 NEL
    // A sequence cut at the end of an incomplete head is fine, not at the end of the body.
    assert_int_equal(static_cast<int>(sniff_str("abc\xe2\x82", false)), static_cast<int>(FileType::Text));
    assert_int_equal(static_cast<int>(sniff_str("abc\xe2\x82", true)), static_cast<int>(FileType::Unknown));
}

void text_checker_streams(void**) {
    TextChecker t;
    const char* a = "caf\xc3";
    const char* b = "\xa9 ok\n";
    t.feed(reinterpret_cast<const uint8_t*>(a), 4);
    t.feed(reinterpret_cast<const uint8_t*>(b), 5);
    assert_true(t.finish());
    TextChecker u;
    u.feed(reinterpret_cast<const uint8_t*>("ok\0no"), 5);
    assert_false(u.ok());
    TextChecker v;
    v.feed(reinterpret_cast<const uint8_t*>("x\xe2"), 2);
    assert_false(v.finish());
}

void sanitises_names(void**) {
    assert_str_eq(sanitize_filename("report.pdf"), "report.pdf");
    assert_str_eq(sanitize_filename("../../etc/passwd"), "passwd");
    assert_str_eq(sanitize_filename("C:\\Users\\x\\scan.png"), "scan.png");
    assert_str_eq(sanitize_filename(".htaccess"), "htaccess");
    assert_str_eq(sanitize_filename("a\nb\x01" "c.txt"), "abc.txt");
    assert_str_eq(sanitize_filename("evil\xe2\x80\xaegnp.exe"), "evilgnp.exe");  // RLO removed
    assert_str_eq(sanitize_filename("bad\xff\xfeutf.txt"), "badutf.txt");
    assert_str_eq(sanitize_filename(""), "file");
    assert_str_eq(sanitize_filename("/"), "file");
    assert_str_eq(sanitize_filename("  spaced  "), "spaced");
    assert_str_eq(sanitize_filename("Befund M\xc3\xbcller.pdf"), "Befund M\xc3\xbcller.pdf");
    std::string longname(300, 'a');
    longname += ".pdf";
    std::string s = sanitize_filename(longname);
    assert_true(s.size() <= kMaxNameBytes);
    assert_str_eq(s.substr(s.size() - 4), ".pdf");
    std::string multibyte;
    for (int i = 0; i < 200; ++i) multibyte += "\xc3\xa9";
    s = sanitize_filename(multibyte);
    assert_true(s.size() <= kMaxNameBytes);
    assert_int_equal(s.size() % 2, 0);  // not cut inside a code point
}

void parses_content_disposition(void**) {
    auto p = parse_content_disposition("attachment; filename=\"scan.pdf\"");
    assert_true(p.has_value());
    assert_str_eq(*p, "scan.pdf");
    p = parse_content_disposition("attachment; filename=plain.txt");
    assert_str_eq(*p, "plain.txt");
    p = parse_content_disposition("attachment; filename=\"a\\\"b.txt\"");
    assert_str_eq(*p, "a\"b.txt");
    p = parse_content_disposition("attachment; filename=\"fallback.pdf\"; filename*=UTF-8''Befund%20M%C3%BCller.pdf");
    assert_str_eq(*p, "Befund M\xc3\xbcller.pdf");
    p = parse_content_disposition("ATTACHMENT; FILENAME*=iso-8859-1'de'M%FCller.txt");
    assert_str_eq(*p, "M\xc3\xbcller.txt");
    p = parse_content_disposition("inline; filename=\"x.png\";");
    assert_str_eq(*p, "x.png");
    assert_false(parse_content_disposition("attachment").has_value());
    assert_false(parse_content_disposition("").has_value());
    assert_false(parse_content_disposition("attachment; filename=\"open").has_value());
    assert_false(parse_content_disposition("attachment; filename=a; filename=b").has_value());
    assert_false(parse_content_disposition("attachment; filename*=UTF-8''bad%2").has_value());
    assert_false(parse_content_disposition("attachment; filename*=UTF-8''bad%zz").has_value());
    assert_false(parse_content_disposition("attachment; filename*=koi8-r''x").has_value());
    assert_false(parse_content_disposition("attachment filename=x").has_value());
    assert_false(parse_content_disposition(std::string(3000, 'a')).has_value());
}

void writes_content_disposition(void**) {
    assert_str_eq(content_disposition_attachment("scan.pdf"), "attachment; filename=\"scan.pdf\"; filename*=UTF-8''scan.pdf");
    assert_str_eq(content_disposition_attachment("Befund M\xc3\xbcller \"1\".pdf"),
                  "attachment; filename=\"Befund M_ller _1_.pdf\"; filename*=UTF-8''Befund%20M%C3%BCller%20%221%22.pdf");
    // What we write parses back to the same name.
    const std::string name = "Akte 100% \xe2\x82\xac; x=\"y\".txt";
    auto back = parse_content_disposition(content_disposition_attachment(name));
    assert_true(back.has_value());
    assert_str_eq(*back, name);
}

void extension_rule(void**) {
    assert_true(extension_acceptable("scan.pdf", FileType::Pdf));
    assert_true(extension_acceptable("SCAN.PDF", FileType::Pdf));
    assert_true(extension_acceptable("photo.JPG", FileType::Jpeg));
    assert_true(extension_acceptable("noext", FileType::Png));
    assert_true(extension_acceptable("notes.md", FileType::Text));  // unknown, not active
    assert_false(extension_acceptable("scan.png", FileType::Pdf));  // a PDF renamed .png
    assert_false(extension_acceptable("photo.pdf", FileType::Jpeg));
    assert_false(extension_acceptable("setup.exe", FileType::Text));
    assert_false(extension_acceptable("page.html", FileType::Text));
    assert_false(extension_acceptable("img.svg", FileType::Text));
}

void media_types_and_allowlist(void**) {
    assert_int_equal(static_cast<int>(type_of_media_type("text/plain; charset=utf-8")), static_cast<int>(FileType::Text));
    assert_int_equal(static_cast<int>(type_of_media_type("Application/PDF")), static_cast<int>(FileType::Pdf));
    assert_int_equal(static_cast<int>(type_of_media_type("image/jpg")), static_cast<int>(FileType::Unknown));
    assert_int_equal(static_cast<int>(type_of_media_type("")), static_cast<int>(FileType::Unknown));
    auto a = parse_allowlist("application/pdf, image/png,image/jpeg,application/dicom,text/plain");
    assert_true(a.has_value());
    assert_int_equal(a->size(), 5);
    assert_false(parse_allowlist("application/pdf,application/zip").has_value());
    assert_false(parse_allowlist("").has_value());
    assert_false(parse_allowlist("application/pdf,,image/png").has_value());
    assert_str_eq(media_type(FileType::Dicom), "application/dicom");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sniffs_signatures),        cmocka_unit_test(refuses_binaries),
        cmocka_unit_test(text_checker_streams),     cmocka_unit_test(sanitises_names),
        cmocka_unit_test(parses_content_disposition), cmocka_unit_test(writes_content_disposition),
        cmocka_unit_test(extension_rule),           cmocka_unit_test(media_types_and_allowlist),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
