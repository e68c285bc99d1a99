/* SPDX-License-Identifier: MIT */
#include "remedy/term-escape.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/macro.h"
#include "remedy/utf8.h"

/* Valid code points that a terminal acts on, or that reorder or break what it shows. */
static bool code_point_acts(uint32_t cp) {
        return (cp >= 0x80 && cp <= 0x9f) ||              /* C1 controls: U+009B is a CSI on some terminals */
               cp == 0x2028 || cp == 0x2029 ||              /* line and paragraph separators */
               cp == 0x061c || cp == 0x200e || cp == 0x200f || /* bidi marks */
               (cp >= 0x202a && cp <= 0x202e) ||            /* bidi embeddings and overrides */
               (cp >= 0x2066 && cp <= 0x2069);              /* bidi isolates */
}

int term_write(FILE *f, const char *s, size_t n) {
        size_t i = 0, plain = 0; /* s[plain..i) is kept as is, written in one go */

        for (; i < n;) {
                unsigned char c = (unsigned char) s[i];
                uint32_t cp = 0;
                size_t len = 1;

                if (c == '\t' || (c >= 0x20 && c < 0x7f)) {
                        i++;
                        continue;
                }
                if (c >= 0x80) {
                        len = utf8_decode(s + i, n - i, &cp);
                        if (len > 0 && !code_point_acts(cp)) {
                                i += len;
                                continue;
                        }
                }
                fwrite(s + plain, 1, i - plain, f);
                if (c == '\n')
                        fputs("\\n", f);
                else if (len > 0 && c >= 0x80)
                        fprintf(f, "\\u%04x", (unsigned) cp);
                else
                        fprintf(f, "\\x%02x", c); /* C0, DEL, or a byte that is not UTF-8 */
                i += len > 0 ? len : 1;
                plain = i;
        }
        fwrite(s + plain, 1, i - plain, f);
        return ferror(f) ? -EIO : 0;
}

int term_puts(const char *s, FILE *f) {
        return term_write(f, strempty(s), strlen(strempty(s)));
}

char *term_escape_n(const char *s, size_t n) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        int r;

        if (!f)
                return NULL;
        r = term_write(f, s, n);
        if (fclose(f) != 0 || r < 0)
                return NULL;
        return TAKE_PTR(buf);
}

char *term_escape(const char *s) {
        return term_escape_n(strempty(s), strlen(strempty(s)));
}

int json_text_write(FILE *f, const char *json) {
        size_t n = strlen(json), plain = 0;

        for (size_t i = 0, len; i < n; i += len) {
                len = utf8_decode(json + i, n - i, NULL);
                if (len > 0)
                        continue;
                fwrite(json + plain, 1, i - plain, f);
                fprintf(f, "\\\\x%02x", (unsigned char) json[i]);
                len = 1;
                plain = i + 1;
        }
        fwrite(json + plain, 1, n - plain, f);
        return ferror(f) ? -EIO : 0;
}
