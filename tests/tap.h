/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A small TAP emitter for meson's `protocol: 'tap'`. Each test file's main() calls its test
 * functions and returns tap_done(): the exit status is non-zero when any check failed.
 *
 *     ok(r == 0, "parse succeeds");
 *     is_str(got, "want", "value kept");
 */

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static unsigned tap_count, tap_failed;

__attribute__((format(printf, 2, 3), unused)) static bool ok(bool cond, const char *fmt, ...) {
        va_list ap;
        tap_count++;
        if (!cond)
                tap_failed++;
        printf("%sok %u - ", cond ? "" : "not ", tap_count);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        fflush(stdout);
        return cond;
}

__attribute__((format(printf, 1, 2), unused)) static void diag(const char *fmt, ...) {
        va_list ap;
        printf("# ");
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
}

#define is_str(got, want, ...)                                                                   \
        ({                                                                                        \
                const char *_g = (got), *_w = (want);                                            \
                bool _r = ok(_g && _w ? strcmp(_g, _w) == 0 : _g == _w, __VA_ARGS__);            \
                if (!_r)                                                                          \
                        diag("got:  \"%s\"\n# want: \"%s\"", _g ? _g : "(null)", _w ? _w : "(null)"); \
                _r;                                                                               \
        })

#define is_int(got, want, ...)                                                                   \
        ({                                                                                        \
                intmax_t _g = (intmax_t) (got), _w = (intmax_t) (want);                          \
                bool _r = ok(_g == _w, __VA_ARGS__);                                              \
                if (!_r)                                                                          \
                        diag("got: %jd, want: %jd", _g, _w);                                     \
                _r;                                                                               \
        })

__attribute__((unused)) static int tap_done(void) {
        printf("1..%u\n", tap_count);
        return tap_failed > 0 || tap_count == 0 ? 1 : 0;
}
