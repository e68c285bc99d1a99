/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * A scalar value to write into a structured file (YAML, TOML). The type decides the
 * representation: a TOML bool is `true`, a TOML string `"true"`; a YAML string that would read
 * back as another type ("true", "10", "") is quoted.
 */

typedef enum EditValueType {
        EDIT_VALUE_STRING,
        EDIT_VALUE_BOOL,
        EDIT_VALUE_INT,
} EditValueType;

typedef struct EditValue {
        EditValueType type;
        const char *text;     /* "true"/"false" for bools, decimal for ints */
} EditValue;

const char *edit_value_type_name(EditValueType t);
/* "string", "bool", "int" -> type, or -EINVAL. */
int edit_value_type_from_string(const char *s);
/* Checks text against type; -EINVAL otherwise. Bools are exactly "true" or "false" ("yes",
 * "True" are refused); ints are decimal with an optional sign and in range for long long ("1x",
 * "0x10", " 1" are refused; "010" is ten, as for int parameters, and written canonically). */
int edit_value_check(const EditValue *v);

/*
 * YAML representation, shared by the YAML editor. A string is written plain only when it reads
 * back as the same string under YAML 1.1 (kubelet's go-yaml, "yes"/"on"/"0o17"/"1:30") and 1.2
 * (libyaml users) both; otherwise it is quoted.
 */
typedef enum EditYamlQuoting {
        EDIT_YAML_PLAIN,          /* plain where it reads back the same, else double-quoted */
        EDIT_YAML_SINGLE_QUOTED,  /* kept when the string fits in single quotes */
        EDIT_YAML_DOUBLE_QUOTED,
} EditYamlQuoting;

/* Whether the plain scalar s reads as a string (not null, bool, number, timestamp, merge key). */
bool edit_value_yaml_plain_is_string(const char *s);
/*
 * The scalar text that writes v: bools and ints plain and canonical ("+07" becomes "7"); strings
 * in the quoting asked for when they fit it. in_flow says the scalar goes inside a flow collection
 * ({a: 1}), where ",[]{}" end a plain scalar.
 */
int edit_value_yaml_format(const EditValue *v, EditYamlQuoting quoting, bool in_flow, char **ret);
/* Whether a parsed YAML scalar (value of length bytes, plain or quoted, explicit tag or NULL)
 * reads as v: `false` as bool false, `"false"` only as the string "false". */
bool edit_value_yaml_equal(const EditValue *v, const char *value, size_t length, bool plain, const char *tag);
