/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Logging to stderr. Helpers return negative errno and do not log; the verb or the engine that
 * handles an error logs it once, saying what failed and what the operator can do.
 *
 *     return log_error_errno(r, "Failed to read \"%s\": %m", path);
 *
 * %m prints strerror of the errno passed in (as with systemd's log_*_errno()). The _errno
 * variants return the negative errno they were given so a caller can log and return in one line.
 */

#include <stdarg.h>
#include <stdbool.h>

#include "remedy/macro.h"

typedef enum LogLevel {
        LOG_LEVEL_ERROR = 0,
        LOG_LEVEL_WARNING = 1,
        LOG_LEVEL_NOTICE = 2,   /* the default threshold: -q hides notices */
        LOG_LEVEL_INFO = 3,     /* -v */
        LOG_LEVEL_DEBUG = 4,    /* -vv */
} LogLevel;

void log_set_max_level(LogLevel level);
LogLevel log_get_max_level(void);

/* Returns -abs(error) (or -EIO for 0) so callers can "return log_..._errno(r, ...)". */
int log_internal(LogLevel level, int error, const char *fmt, ...) _printf_(3, 4);

#define log_error(...)   ((void) log_internal(LOG_LEVEL_ERROR, 0, __VA_ARGS__))
#define log_warning(...) ((void) log_internal(LOG_LEVEL_WARNING, 0, __VA_ARGS__))
#define log_notice(...)  ((void) log_internal(LOG_LEVEL_NOTICE, 0, __VA_ARGS__))
#define log_info(...)    ((void) log_internal(LOG_LEVEL_INFO, 0, __VA_ARGS__))
#define log_debug(...)   ((void) log_internal(LOG_LEVEL_DEBUG, 0, __VA_ARGS__))

#define log_error_errno(error, ...)   log_internal(LOG_LEVEL_ERROR, (error), __VA_ARGS__)
#define log_warning_errno(error, ...) log_internal(LOG_LEVEL_WARNING, (error), __VA_ARGS__)
#define log_debug_errno(error, ...)   log_internal(LOG_LEVEL_DEBUG, (error), __VA_ARGS__)

/* -ENOMEM after logging it; for allocation failures. */
#define log_oom() log_internal(LOG_LEVEL_ERROR, -ENOMEM, "Out of memory.")
