/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Sets one scalar in a YAML file and keeps every other byte: comments, key order, quoting,
 * indentation, line endings (LF or CRLF), a UTF-8 BOM. The file is parsed with libyaml; the edit
 * is a splice at libyaml's marks (which count characters, not bytes: converted here), and the
 * result is parsed again and compared with the original, so that only the wanted key changed.
 *
 * keypath is a dotted path of mapping keys from the top-level mapping ("cgroupDriver",
 * "memorySwap.swapBehavior"); a key holding dots is double-quoted: evictionHard."nodefs.available".
 * A missing key is inserted (with missing parent mappings, as nested block mappings) at the end of
 * its parent mapping with the indentation of its siblings; a flow mapping gets ", key: value"; an
 * empty file, or one with only comments, gets "key: value\n".
 *
 * A new string is written plain when YAML 1.1 (kubelet) and 1.2 both read it back as that string,
 * else double-quoted; an old single- or double-quoted value keeps its quotes when the new value
 * fits them. Bools and ints are written plain and canonical (edit-value.h).
 *
 * Refused: a file that does not parse (-EBADMSG), holds a NUL byte or is UTF-16 (-EBADMSG), is
 * larger than YAML_MAX_SIZE (-E2BIG) or nested deeper than YAML_MAX_DEPTH (-ELOOP); with -EINVAL: more
 * than one document, a key path crossing a non-mapping (a scalar, a sequence, an empty value, an
 * alias), a target that is a mapping or sequence, an anchored or block (| >) scalar, a duplicate
 * key on the path, and any edit whose re-parse differs elsewhere. Errors in the file come with
 * *ret_error = "LINE:COLUMN: reason" (the caller prefixes the file name); errors in the arguments
 * (a bad key path, a value that fails edit_value_check()) with the reason alone.
 */

#include <stddef.h>

#include "remedy/edit-value.h"

/* Returns 0 when the file already has the value (*ret_data NULL), 1 when changed. The value is
 * compared typed: `failSwapOn: false` is bool false, `"false"` only the string. */
int yaml_edit_set(const char *data, size_t size, const char *keypath, const EditValue *value, char **ret_data,
                  size_t *ret_size, char **ret_error);

/* The scalar at keypath as a string: 1 found, 0 missing (or not a scalar: -EMEDIUMTYPE; a path
 * crossing a non-mapping: -EINVAL, as above). */
int yaml_edit_get(const char *data, size_t size, const char *keypath, char **ret_value, char **ret_error);

/* Removes the key at keypath (plain components: "featureGates.KubeletCredentialProviders"), its
 * lines in a block mapping, "key: value" and one comma in a flow one; a block mapping left empty
 * goes with its own key. 0 when the key is not there (*ret_data NULL), 1 when removed; -EINVAL when
 * the key does not start its own line or the result would differ elsewhere (yaml-edit-remove.c). */
int yaml_edit_remove(const char *data, size_t size, const char *keypath, char **ret_data, size_t *ret_size,
                     char **ret_error);
/* The keys of the mapping at keypath: 1 with *ret_keys (NULL when it has none), 0 when there is no
 * mapping there. */
int yaml_edit_keys(const char *data, size_t size, const char *keypath, char ***ret_keys, char **ret_error);
/* Checks a key path's syntax (no empty component, quotes closed): 0 or -EINVAL. */
int yaml_edit_keypath_check(const char *keypath);
