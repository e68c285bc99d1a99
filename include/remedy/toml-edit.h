/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Sets one key of one table of a TOML file keeping every other byte. The file is parsed and
 * validated with toml++ (Debian's libtomlplusplus) before and after the edit; toml++ gives the
 * source positions the edit splices at, and compares table names as TOML does
 * (plugins."io.containerd.grpc.v1.cri" and plugins.'io.containerd.grpc.v1.cri' are one table).
 *
 * table is written as inside a [header] ("plugins.\"io.containerd.grpc.v1.cri\".containerd");
 * "" means the root table. A missing key is inserted after the table's last key-value line, with
 * its siblings' indentation; a missing table is added as a [header] at the end of the file (or at
 * the end of its closest existing parent's block). After the edit the whole document is compared
 * with the original: exactly the one value differs, or the edit is refused.
 *
 * Errors: -EBADMSG when the input is not valid TOML, -EINVAL when the edit is impossible (the key
 * is a table, the table is an inline table or array); *ret_error = "LINE:COLUMN: reason".
 */

#include <stddef.h>

#include "remedy/edit-value.h"

/* Returns 0 when already so (*ret_data NULL), 1 when changed. */
int toml_edit_set(const char *data, size_t size, const char *table, const char *key, const EditValue *value,
                  char **ret_data, size_t *ret_size, char **ret_error);

/*
 * The value at a dotted key path (written as a TOML dotted key: version,
 * plugins."io.containerd.grpc.v1.cri".cni.conf_dir) as a string: strings unquoted, booleans
 * true/false, integers in decimal, other types in TOML syntax. 1 found, 0 missing.
 */
int toml_edit_get(const char *data, size_t size, const char *keypath, char **ret_value, char **ret_error);

/* Parses data; 0 when valid TOML, -EBADMSG with "LINE:COLUMN: reason" otherwise. */
int toml_edit_check(const char *data, size_t size, char **ret_error);
