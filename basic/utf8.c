/* SPDX-License-Identifier: MIT */
#include "remedy/utf8.h"

size_t utf8_decode(const char *s, size_t n, uint32_t *ret_cp) {
        static const uint32_t least[] = { 0, 0, 0x80, 0x800, 0x10000 };
        const unsigned char *p = (const unsigned char *) s;

        if (n == 0)
                return 0;
        size_t len = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
        if (len == 0 || len > n)
                return 0;
        uint32_t cp = len == 1 ? p[0] : p[0] & (0x7fu >> len);
        for (size_t k = 1; k < len; k++) {
                if ((p[k] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (p[k] & 0x3fu);
        }
        if (cp < least[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        if (ret_cp)
                *ret_cp = cp;
        return len;
}

bool utf8_is_valid_n(const char *s, size_t n) {
        for (size_t i = 0, len; i < n; i += len) {
                len = utf8_decode(s + i, n - i, NULL);
                if (len == 0)
                        return false;
        }
        return true;
}
