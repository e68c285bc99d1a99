/* SPDX-License-Identifier: MIT */
#include "remedy/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
                va_list ap;

                /* %m in fmt prints the error passed in, not whatever errno happens to be. */
                errno = e;
                fputs(prefix[level], stderr);
                va_start(ap, fmt);
                vfprintf(stderr, fmt, ap);
                va_end(ap);
                fputc('\n', stderr);
        }
        return e > 0 ? -e : -EIO;
}
