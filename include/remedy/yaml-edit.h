/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Sets one scalar in a YAML file and keeps every other byte: comments, key order, quoting,
 * indentation. The file is parsed with libyaml; the edit is a splice at libyaml's marks (which
 * count characters, not bytes: converted here), and the result is parsed again and compared with
 * the original, so that only the wanted key changed.
 *
 * keypath is a dotted path of mapping keys from the top-level mapping ("cgroupDriver",
 * "memorySwap.swapBehavior"). A missing key is inserted (with missing parent mappings) at the end
 * of its parent mapping with the indentation of its siblings; a flow mapping gets ", key: value".
 *
 * Errors are -EBADMSG (the file does not parse, or the key path crosses a non-mapping) or -EINVAL
 * with *ret_error = "LINE:COLUMN: reason" (the caller prefixes the file name).
 */

#include <stddef.h>

#include "remedy/edit-value.h"

/* Returns 0 when the file already has the value (*ret_data NULL), 1 when changed. */
int yaml_edit_set(const char *data, size_t size, const char *keypath, const EditValue *value, char **ret_data,
                  size_t *ret_size, char **ret_error);

/* The scalar at keypath as a string: 1 found, 0 missing (or not a scalar: -EMEDIUMTYPE). */
int yaml_edit_get(const char *data, size_t size, const char *keypath, char **ret_value, char **ret_error);
