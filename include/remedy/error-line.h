/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * One-line errors handed up to the caller that reports them. A reader of node files fails with
 * a negative errno and, where the problem is the node's file or a name in it, one line in
 * *ret_error ("/lib/systemd/system/x.service:7: Invalid section header '[Install'"), which the
 * verb or the engine prints once:
 *
 *     if (!value)
 *             return fail(ret_error, -EINVAL, "%s:%u: missing value", file, line);
 *
 * The first error wins: a later one, from a caller that adds context, does not replace the
 * line that says where the problem is. ret_error may be NULL, for callers that only want r.
 */

#include "remedy/macro.h"

/* Sets *ret_error to the formatted line unless ret_error is NULL or already set; 0 or -ENOMEM. */
_printf_(2, 3) int error_line_set(char **ret_error, const char *fmt, ...);

/* Returns err after setting *ret_error, for `return fail(ret_error, -EINVAL, "...", ...);`. Not
 * for C++ files, where cc-boundary.hh's remedy_cc::fail() is the way to fail. */
#define fail(ret_error, err, ...) ({ (void) error_line_set(ret_error, __VA_ARGS__); (err); })
