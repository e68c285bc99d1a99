/* SPDX-License-Identifier: MIT */
#include "remedy/utf8.h"

bool utf8_is_valid_n(const char *s, size_t n) {
        static const unsigned least[] = { 0, 0, 0x80, 0x800, 0x10000 };
        const unsigned char *p = (const unsigned char *) s;

        for (size_t i = 0; i < n;) {
                size_t len = p[i] < 0x80 ? 1 : (p[i] & 0xe0) == 0xc0 ? 2 : (p[i] & 0xf0) == 0xe0 ? 3 : (p[i] & 0xf8) == 0xf0 ? 4 : 0;
                if (len == 0 || len > n - i)
                        return false;
                unsigned cp = len == 1 ? p[i] : p[i] & (0x7fu >> len);
                for (size_t k = 1; k < len; k++) {
                        if ((p[i + k] & 0xc0) != 0x80)
                                return false;
                        cp = cp << 6 | (p[i + k] & 0x3fu);
                }
                if (cp < least[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                i += len;
        }
        return true;
}
