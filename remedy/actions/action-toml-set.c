/* SPDX-License-Identifier: MIT */
/*
 * toml-set: {path, table, key, value, type, create}
 *
 * Sets one key of one table of a TOML file (containerd's config.toml), keeping every other byte:
 * toml-edit does the edit and refuses anything but exactly this one value changing. table is
 * written as inside a [header] and may be omitted for the root table; key is one key name.
 *
 * type is string, bool or int. Without it the value decides: a plain YAML true/false is a bool, a
 * plain integer an int, "{{ p }}" alone takes the type of the parameter p, anything else is a
 * string. A missing file is an error unless create: true, which starts from an empty file (a
 * config that vanished is more often a mistake than something to recreate from one key).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/context.h"
#include "remedy/edit-value.h"
#include "remedy/toml-edit.h"

typedef struct TomlSetArgs {
        Template *path;
        Template *table;     /* NULL: the root table */
        Template *key;
        Template *value;
        EditValueType type;
        bool create;
} TomlSetArgs;

static void toml_set_free(void *p) {
        TomlSetArgs *a = p;
        if (!a)
                return;
        template_free(a->path);
        template_free(a->table);
        template_free(a->key);
        template_free(a->value);
        free(a);
}

static bool is_plain_integer(const char *s) {
        if (*s == '-' || *s == '+')
                s++;
        return *s && strspn(s, "0123456789") == strlen(s);
}

static int infer_type(ParseContext *pc, const YamlNode *node, const Template *value, EditValueType *ret) {
        const Param *p = template_sole_param(value);
        if (p) {
                *ret = p->type == PARAM_BOOL ? EDIT_VALUE_BOOL : p->type == PARAM_INT ? EDIT_VALUE_INT : EDIT_VALUE_STRING;
                return 0;
        }
        if (node->plain && yaml_node_bool(node) >= 0) {
                /* YAML reads True and TRUE as booleans too; TOML only knows true and false */
                if (!streq(node->scalar, "true") && !streq(node->scalar, "false"))
                        return parse_error(pc, node, "value: write a boolean as true or false");
                *ret = EDIT_VALUE_BOOL;
        } else if (node->plain && is_plain_integer(node->scalar))
                *ret = EDIT_VALUE_INT;
        else
                *ret = EDIT_VALUE_STRING;
        return 0;
}

static int toml_set_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "path", "table", "key", "value", "type", "create", NULL };
        _cleanup_free_ char *type = NULL;
        TomlSetArgs *a = calloc(1, sizeof(TomlSetArgs));
        const char *literal;
        int r;

        if (!a)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "toml-set", keys)) < 0 ||
            (r = parse_template(pc, args, "path", true, TEMPLATE_PATH, "a path", &a->path)) < 0 ||
            (r = parse_template(pc, args, "table", false, 0, "a TOML table name", &a->table)) < 0 ||
            (r = parse_template(pc, args, "key", true, 0, "a TOML key", &a->key)) < 0 ||
            (r = parse_template(pc, args, "value", true, 0, "a TOML value", &a->value)) < 0 ||
            (r = parse_string(pc, args, "type", false, &type)) < 0 ||
            (r = parse_bool(pc, args, "create", false, &a->create)) < 0)
                goto fail;

        const YamlNode *value_node = yaml_node_get(args, "value");
        if (type) {
                int t = edit_value_type_from_string(type);
                if (t < 0) {
                        r = parse_error(pc, yaml_node_get(args, "type"), "type: must be string, bool or int, not \"%s\"", type);
                        goto fail;
                }
                a->type = (EditValueType) t;
        } else if ((r = infer_type(pc, value_node, a->value, &a->type)) < 0)
                goto fail;

        /* what can be checked before the node is seen is checked now */
        literal = template_literal(a->value);
        if (literal && edit_value_check(&(EditValue) { .type = a->type, .text = literal }) < 0) {
                r = parse_error(pc, value_node, "value: \"%s\" is not a valid %s", literal, edit_value_type_name(a->type));
                goto fail;
        }
        literal = a->table ? template_literal(a->table) : NULL;
        if (literal) {
                _cleanup_free_ char *reason = NULL;
                if (toml_edit_check_table(literal, &reason) < 0) {
                        r = parse_error(pc, yaml_node_get(args, "table"), "table: %s", reason ? reason : "invalid table name");
                        goto fail;
                }
        }
        literal = template_literal(a->key);
        if (literal && !*literal) {
                r = parse_error(pc, yaml_node_get(args, "key"), "key: must not be empty");
                goto fail;
        }

        *ret = a;
        return 0;
fail:
        toml_set_free(a);
        return r;
}

static int toml_set_plan(Context *c, const void *p, Change *change) {
        const TomlSetArgs *a = p;
        _cleanup_free_ char *path = NULL, *table = NULL, *key = NULL, *value = NULL, *old = NULL, *error = NULL,
                            *data = NULL;
        const NodeFile *f;
        size_t size = 0;
        int r;

        if ((r = ctx_render(c, a->path, &path)) < 0 ||
            (a->table && (r = ctx_render(c, a->table, &table)) < 0) ||
            (r = ctx_render(c, a->key, &key)) < 0 ||
            (r = ctx_render(c, a->value, &value)) < 0)
                return r;
        if (!table && !(table = strdup("")))
                return -ENOMEM;
        if (!*key)
                return ctx_error(c, -EINVAL, "toml-set: the key for %s is empty", path);

        EditValue v = { .type = a->type, .text = value };
        if (edit_value_check(&v) < 0)
                return ctx_error(c, -EINVAL, "toml-set: \"%s\" is not a valid %s for %s", value,
                                 edit_value_type_name(a->type), key);
        if ((r = toml_edit_check_table(table, &error)) < 0)
                return r == -ENOMEM ? r : ctx_error(c, r, "toml-set: %s", error ? error : "invalid table name");

        if ((r = ctx_read(c, path, true, &f)) < 0)
                return r;
        if (f->kind == FILE_ABSENT && !a->create)
                return ctx_error(c, -ENOENT, "%s: no such file (toml-set creates it only with create: true)", path);
        if (f->kind != FILE_ABSENT && f->kind != FILE_REGULAR)
                return ctx_error(c, -EINVAL, "%s: is a %s, not a regular file", path, file_kind_name(f->kind));
        const char *current = f->kind == FILE_REGULAR ? f->data : "";
        size_t current_size = f->kind == FILE_REGULAR ? f->size : 0;

        r = toml_edit_set(current, current_size, table, key, &v, &data, &size, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return ctx_edit_error(c, -EINVAL, path, error, strerror(-r));
        if (r == 0)
                return 0;

        r = toml_edit_get_key(current, current_size, table, key, &old, NULL);
        if (r == -ENOMEM)
                return r;

        /* f belongs to the overlay and is gone once we want the new content */
        bool created = f->kind == FILE_ABSENT;
        r = ctx_want_file(c, change, path, data, size, (mode_t) -1, (uid_t) -1, (gid_t) -1);
        if (r <= 0)
                return r;

        _cleanup_free_ char *where = NULL;
        if (*table ? asprintf(&where, "[%s]", table) < 0 : !(where = strdup("the root table")))
                return -ENOMEM;
        if (created)
                (void) change_set_note(change, "%s = %s in %s (new file)", key, value, where);
        else
                (void) change_set_note(change, "%s = %s in %s (was %s)", key, value, where, old ? old : "unset");
        return 1;
}

const ActionType action_toml_set = {
        .key = "toml-set",
        .summary = "one key of one table of a TOML file, every other byte kept",
        .parse = toml_set_parse,
        .plan = toml_set_plan,
        .free_args = toml_set_free,
};
