/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates, nothing past U+10FFFF. For
 * deciding whether bytes from a node file are text that may be shown (diffs) or read as systemd
 * reads a unit file.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether the n bytes at s are valid UTF-8 (a NUL byte is valid: callers that care check it). */
bool utf8_is_valid_n(const char *s, size_t n);

/* The length (1 to 4) of the valid UTF-8 sequence that starts s (n bytes available) and its code
 * point in *ret_cp (may be NULL); 0 when s does not start with one. */
size_t utf8_decode(const char *s, size_t n, uint32_t *ret_cp);
