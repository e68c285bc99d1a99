/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates, nothing past U+10FFFF. For
 * deciding whether bytes from a node file are text that may be shown (diffs) or read as systemd
 * reads a unit file.
 */

#include <stdbool.h>
#include <stddef.h>

/* Whether the n bytes at s are valid UTF-8 (a NUL byte is valid: callers that care check it). */
bool utf8_is_valid_n(const char *s, size_t n);
