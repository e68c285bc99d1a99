/* SPDX-License-Identifier: MIT */
#include "remedy/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/macro.h"
#include "remedy/term-escape.h"

static LogLevel max_level = LOG_LEVEL_NOTICE;

void log_set_max_level(LogLevel level) {
        max_level = level;
}

LogLevel log_get_max_level(void) {
        return max_level;
}

int log_internal(LogLevel level, int error, const char *fmt, ...) {
        int e = error < 0 ? -error : error;

        if (level <= max_level) {
                static const char *const prefix[] = {
                        [LOG_LEVEL_ERROR] = "remedy: ",
                        [LOG_LEVEL_WARNING] = "remedy: warning: ",
                        [LOG_LEVEL_NOTICE] = "remedy: ",
                        [LOG_LEVEL_INFO] = "remedy: ",
                        [LOG_LEVEL_DEBUG] = "remedy: debug: ",
                };
                _cleanup_free_ char *msg = NULL;
                va_list ap;
                int n;

                /* %m in fmt prints the error passed in, not whatever errno happens to be. */
                errno = e;
                va_start(ap, fmt);
                n = vasprintf(&msg, fmt, ap);
                va_end(ap);
                /* Messages name the node's paths, units and flags: escaped for the terminal. */
                fputs(prefix[level], stderr);
                (void) term_puts(n < 0 ? "out of memory" : msg, stderr);
                fputc('\n', stderr);
        }
        return e > 0 ? -e : -EIO;
}
