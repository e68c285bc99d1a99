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
 * Errors in the arguments themselves (a table name that does not parse, a value that is not of
 * its type) are -EINVAL with a reason that has no position. *ret_error (may be NULL) is set only
 * on failure; columns count characters (codepoints), as toml++ does.
 *
 * key is one key name, not a dotted path: it is written bare when it can be, quoted otherwise.
 * An existing value is replaced in place (also inside an inline table or a table defined with
 * dotted keys); a missing key is only added to a table with a [header] of its own (or the root).
 * A string keeps a 'literal' style when the old value used one and the new text allows it.
 */

#include <stddef.h>

#include "remedy/edit-value.h"

/* Returns 0 when already so (*ret_data NULL), 1 when changed. */
int toml_edit_set(const char *data, size_t size, const char *table, const char *key, const EditValue *value,
                  char **ret_data, size_t *ret_size, char **ret_error);

/*
 * Removes every element of the array at key of table (named as for toml_edit_set()) that is a
 * string equal to one of values (a NULL-terminated list), keeping every other byte: the element
 * with the separator after it, or, for elements at the end, the separator before them; an array
 * left empty is "[]". Returns 0 when there is nothing to remove (no such table, key or element;
 * *ret_data NULL), 1 when changed. -EINVAL when key is not an array, -EBADMSG when data is not TOML.
 */
int toml_edit_array_remove(const char *data, size_t size, const char *table, const char *key, char * const *values,
                           char **ret_data, size_t *ret_size, char **ret_error);

/*
 * The value at a dotted key path (written as a TOML dotted key: version,
 * plugins."io.containerd.grpc.v1.cri".cni.conf_dir) as a string: strings unquoted, booleans
 * true/false, integers in decimal, other types in TOML syntax. 1 found, 0 missing.
 */
int toml_edit_get(const char *data, size_t size, const char *keypath, char **ret_value, char **ret_error);

/* The same for one key of a table named as toml_edit_set() takes them (table as in a [header],
 * key a single name): for saying what a value was. */
int toml_edit_get_key(const char *data, size_t size, const char *table, const char *key, char **ret_value,
                      char **ret_error);

/* Parses data; 0 when valid TOML, -EBADMSG with "LINE:COLUMN: reason" otherwise. */
int toml_edit_check(const char *data, size_t size, char **ret_error);

/* Checks a table name as toml_edit_set() takes it (for validating playbooks at load time); 0 or
 * -EINVAL with a reason. */
int toml_edit_check_table(const char *table, char **ret_error);
