/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * An index from strings to positions (basic/str-index.c): an open-addressing hash table, for the
 * lookups by path that would otherwise scan a list once per element. A transaction over ten
 * thousand files (a glob over a kubelet's pod volumes) made those scans quadratic: seconds of
 * strcmp. Keys are copied; the index grows as it fills.
 *
 *     _cleanup_(str_index_freep) StrIndex *x = NULL;
 *     r = str_index_put(&x, path, i);        // 0 added, 1 replaced the value
 *     if (str_index_get(x, path, &i)) ...     // true when found
 */

#include <stdbool.h>
#include <stddef.h>

#include "remedy/macro.h"

typedef struct StrIndex StrIndex;

StrIndex *str_index_free(StrIndex *x);
DEFINE_TRIVIAL_CLEANUP_FUNC(StrIndex *, str_index_free);

/* Creates the index on first use. */
int str_index_put(StrIndex **x, const char *key, size_t value);
bool str_index_get(const StrIndex *x, const char *key, size_t *ret);
