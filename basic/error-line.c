/* SPDX-License-Identifier: MIT */
#include "remedy/error-line.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

int error_line_set(char **ret_error, const char *fmt, ...) {
        va_list ap;
        char *s;

        if (!ret_error || *ret_error)
                return 0;
        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        *ret_error = s;
        return 0;
}
