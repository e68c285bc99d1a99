/* SPDX-License-Identifier: MIT */
/*
 * yaml-set: {path, key, value, type, create}
 *
 * Sets one scalar in a YAML file (kubelet's /var/lib/kubelet/config.yaml) and keeps every other
 * byte of it (yaml-edit.h). `key` is a dotted key path ("memorySwap.swapBehavior"), `value` a
 * template. `type` (string, bool, int) decides how the value is written and compared; without it,
 * a plain true/false is a bool, a plain integer an int, "{{ p }}" alone takes a bool or int
 * parameter's type, and anything else is a string. The file keeps its mode and owner.
 *
 * A missing file is an error unless `create: true`: kubeadm writes the kubelet's config.yaml when
 * the node joins, so a node without one is still bootstrapping, and a file holding only the one
 * key would give the kubelet a config with every other setting at its default (no clusterDNS, no
 * authentication settings) rather than a repaired one.
 */
#include <errno.h>
#include <stdlib.h>

#include "remedy/action.h"
#include "remedy/context.h"
#include "remedy/edit-value.h"
#include "remedy/playbook.h"
#include "remedy/yaml-edit.h"

typedef struct YamlSetArgs {
        Template *path;
        char *key;
        Template *value;
        EditValueType type;
        bool create;
} YamlSetArgs;

static YamlSetArgs *yaml_set_args_free(YamlSetArgs *a) {
        if (!a)
                return NULL;
        template_free(a->path);
        free(a->key);
        template_free(a->value);
        free(a);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(YamlSetArgs *, yaml_set_args_free);

static void yaml_set_free_args(void *p) {
        yaml_set_args_free(p);
}

static const char *template_literal(const Template *t) {
        if (t->n_parts == 0)
                return "";
        if (t->n_parts == 1 && t->parts[0].literal)
                return t->parts[0].literal;
        return NULL;
}

/* The type a value without `type:` has, as the playbook's own YAML reads it. */
static int infer_type(ParseContext *pc, const YamlNode *node, const Template *value, EditValueType *ret) {
        const Param *param = template_sole_param(value);
        const char *literal = template_literal(value);
        EditValue as_int;

        if (param) {
                *ret = param->type == PARAM_BOOL  ? EDIT_VALUE_BOOL
                       : param->type == PARAM_INT ? EDIT_VALUE_INT
                                                  : EDIT_VALUE_STRING;
                return 0;
        }
        *ret = EDIT_VALUE_STRING;
        if (!literal || !value->plain)
                return 0;

        as_int = (EditValue) { .type = EDIT_VALUE_INT, .text = literal };
        if (streq(literal, "true") || streq(literal, "false"))
                *ret = EDIT_VALUE_BOOL;
        else if (edit_value_check(&as_int) == 0)
                *ret = EDIT_VALUE_INT;
        else if (!edit_value_yaml_plain_is_string(literal))
                /* yes, True, ~, 1.5, 0x10: YAML versions disagree on what these are. */
                return parse_error(pc, node,
                                   "yaml-set: value '%s' is ambiguous: write true or false for a bool, quote it for "
                                   "a string, or give type:", literal);
        return 0;
}

static int yaml_set_parse(ParseContext *pc, const YamlNode *args, void **ret_args) {
        static const char * const keys[] = { "path", "key", "value", "type", "create", NULL };
        _cleanup_(yaml_set_args_freep) YamlSetArgs *a = NULL;
        _cleanup_free_ char *type = NULL;
        const char *literal;
        int r;

        a = calloc(1, sizeof(YamlSetArgs));
        if (!a)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "yaml-set", keys)) < 0 ||
            (r = parse_template(pc, args, "path", true, TEMPLATE_PATH, "a path", &a->path)) < 0 ||
            (r = parse_string(pc, args, "key", true, &a->key)) < 0 ||
            (r = parse_template(pc, args, "value", true, 0, "a YAML value", &a->value)) < 0 ||
            (r = parse_string(pc, args, "type", false, &type)) < 0 ||
            (r = parse_bool(pc, args, "create", false, &a->create)) < 0)
                return r;

        if (yaml_edit_keypath_check(a->key) < 0)
                return parse_error(pc, yaml_node_get(args, "key"),
                                   "yaml-set: key '%s' is not a key path like memorySwap.swapBehavior (quote a key "
                                   "holding dots: evictionHard.\"nodefs.available\")", a->key);

        if (type) {
                r = edit_value_type_from_string(type);
                if (r < 0)
                        return parse_error(pc, yaml_node_get(args, "type"),
                                           "yaml-set: type '%s' is not one of string, bool, int", type);
                a->type = r;
        } else if ((r = infer_type(pc, yaml_node_get(args, "value"), a->value, &a->type)) < 0)
                return r;

        /* What the author wrote is checked now; what parameters bring, when planning. */
        literal = template_literal(a->value);
        if (literal && edit_value_check(&(EditValue) { .type = a->type, .text = literal }) < 0)
                return parse_error(pc, yaml_node_get(args, "value"), "yaml-set: value '%s' is not a valid %s%s", literal,
                                   edit_value_type_name(a->type),
                                   a->type == EDIT_VALUE_BOOL ? " (write true or false)" : "");

        *ret_args = TAKE_PTR(a);
        return 0;
}

static int yaml_set_plan(Context *c, const void *p, Change *change) {
        const YamlSetArgs *a = p;
        _cleanup_free_ char *path = NULL, *text = NULL, *old = NULL, *edited = NULL, *error = NULL;
        const NodeFile *f;
        const char *data = "";
        size_t size = 0, edited_size = 0;
        EditValue value;
        bool create;
        int r;

        if ((r = ctx_render(c, a->path, &path)) < 0 || (r = ctx_render(c, a->value, &text)) < 0)
                return r;
        value = (EditValue) { .type = a->type, .text = text };
        if (edit_value_check(&value) < 0)
                return ctx_error(c, -EINVAL, "%s:%u:%u: yaml-set: value '%s' for %s is not a valid %s", a->value->mark.file,
                                 a->value->mark.line, a->value->mark.column, text, a->key,
                                 edit_value_type_name(a->type));

        if ((r = ctx_read(c, path, true, &f)) < 0)
                return r;
        create = f->kind == FILE_ABSENT;
        if (create && !a->create)
                return ctx_error(c, -ENOENT, "%s: file does not exist (the node may not have joined the cluster yet; "
                                 "add create: true to create it with only %s)", path, a->key);
        if (!create && f->kind != FILE_REGULAR)
                return ctx_error(c, -EISDIR, "%s: is a %s, not a YAML file", path, file_kind_name(f->kind));
        if (!create) {
                data = f->data;
                size = f->size;
        }

        r = yaml_edit_set(data, size, a->key, &value, &edited, &edited_size, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                /* File errors are "LINE:COLUMN: reason", argument errors the reason alone. */
                return ctx_error(c, r, "%s:%s%s", path, error && *error >= '0' && *error <= '9' ? "" : " ",
                                 error ? error : "cannot edit");
        if (r == 0)
                return 0;

        /* The old value for the note, read before ctx_want_file() replaces f. */
        if (yaml_edit_get(data, size, a->key, &old, NULL) <= 0)
                old = NULL;
        if (change_set_note(change, "%s: %s → %s", a->key, !old ? "(unset)" : *old ? old : "\"\"", *text ? text : "\"\"") < 0)
                return -ENOMEM;

        return ctx_want_file(c, change, path, edited, edited_size, create ? 0644 : (mode_t) -1,
                             create ? 0 : (uid_t) -1, create ? 0 : (gid_t) -1);
}

const ActionType action_yaml_set = {
        .key = "yaml-set",
        .summary = "one scalar set in a YAML file (kubelet config.yaml), every other byte kept",
        .parse = yaml_set_parse,
        .plan = yaml_set_plan,
        .free_args = yaml_set_free_args,
};
