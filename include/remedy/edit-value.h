/* SPDX-License-Identifier: MIT */
#pragma once

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
/* Checks text against type ("yes" is not a bool, "1x" not an int); -EINVAL otherwise. */
int edit_value_check(const EditValue *v);
