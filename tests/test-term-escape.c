/* SPDX-License-Identifier: MIT */
/* term-escape.h: what a hostile node's bytes become on a terminal and in --json. The expected
 * strings are written out by hand from the rules in the header. */
#include <stdlib.h>
#include <string.h>

#include "remedy/macro.h"
#include "remedy/term-escape.h"
#include "tap.h"

static void check_escape(const char *in, size_t n, const char *want, const char *what) {
        _cleanup_free_ char *got = term_escape_n(in, n);
        is_str(got, want, "%s", what);
}
#define CHECK(in, want, what) check_escape(in, sizeof(in) - 1, want, what)

static void test_terminal(void) {
        CHECK("KUBELET_EXTRA_ARGS=\"--node-ip=192.0.2.10\"", "KUBELET_EXTRA_ARGS=\"--node-ip=192.0.2.10\"",
              "printable ASCII is kept");
        CHECK("a\tb", "a\tb", "a tab stays a tab (diffs keep their indentation)");
        CHECK("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80 N\xc5\x93ud", "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80 N\xc5\x93ud",
              "valid printable UTF-8 (2, 3 and 4 bytes) is kept");
        CHECK("# \x1b]0;pwned\x07 title", "# \\x1b]0;pwned\\x07 title", "an OSC that retitles the terminal: ESC and BEL escaped");
        CHECK("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H", "a CSI that clears the screen");
        CHECK("a\rb\nc\x7f" "d\x01", "a\\x0db\\nc\\x7fd\\x01", "CR, newline, DEL and other C0 controls");
        CHECK("x\0y", "x\\x00y", "a NUL byte");
        CHECK("\xc2\x9b" "31m \xc2\x80 \xc2\x9f \xc2\xa0", "\\u009b31m \\u0080 \\u009f \xc2\xa0",
              "C1 controls U+0080..U+009F escaped, U+00A0 kept");
        CHECK("a\xe2\x80\xa8" "b\xe2\x80\xa9", "a\\u2028b\\u2029", "line and paragraph separators");
        CHECK("\xe2\x80\xae" "txt.exe\xe2\x80\xac \xe2\x81\xa6x\xe2\x81\xa9 \xe2\x80\x8f \xd8\x9c",
              "\\u202etxt.exe\\u202c \\u2066x\\u2069 \\u200f \\u061c", "bidi overrides, isolates and marks");
        CHECK("\xe2\x80\xa7\xe2\x80\xaf", "\xe2\x80\xa7\xe2\x80\xaf", "the neighbours U+2027 and U+202F are kept");
        CHECK("/sw\xff\xfe.img", "/sw\\xff\\xfe.img", "bytes that are not UTF-8, each");
        CHECK("\xc3", "\\xc3", "a sequence cut short at the end");
        CHECK("\xc3(", "\\xc3(", "a lead byte without its continuation");
        CHECK("\xc0\xaf", "\\xc0\\xaf", "an overlong form");
        CHECK("\xed\xa0\x80", "\\xed\\xa0\\x80", "a surrogate");
        CHECK("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80", "past U+10FFFF");
        CHECK("\\x1b", "\\x1b", "a backslash is not doubled");

        _cleanup_free_ char *empty = term_escape(NULL);
        is_str(empty, "", "NULL escapes to \"\"");
}

static void test_write(void) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        ok(f != NULL, "open_memstream");
        is_int(term_puts("x\x1b[31my", f), 0, "term_puts succeeds");
        is_int(term_write(f, "\x9b!", 2), 0, "term_write succeeds");
        fclose(f);
        is_str(buf, "x\\x1b[31my\\x9b!", "term_puts and term_write escape as term_escape does");
}

static void test_json_text(void) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        ok(f != NULL, "open_memstream");
        is_int(json_text_write(f, "{ \"evidence\": [ \"/sw\\u001b[2Jap\xff.img caf\xc3\xa9 \xe2\x80\xa8\" ] }"), 0,
               "json_text_write succeeds");
        fclose(f);
        is_str(buf, "{ \"evidence\": [ \"/sw\\u001b[2Jap\\\\xff.img caf\xc3\xa9 \xe2\x80\xa8\" ] }",
               "JSON text: a byte that is not UTF-8 becomes \\\\xff, valid UTF-8 and json-c's escapes are kept");
}

int main(void) {
        test_terminal();
        test_write();
        test_json_text();
        return tap_done();
}
