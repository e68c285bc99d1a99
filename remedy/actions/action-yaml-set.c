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

static int yaml_set_parse(ParseContext *pc, const YamlNode *args, void **ret_args) {
        static const char * const keys[] = { "path", "key", "value", "type", "create", NULL };
        _cleanup_(yaml_set_args_freep) YamlSetArgs *a = NULL;
        int r;

        a = calloc(1, sizeof(YamlSetArgs));
        if (!a)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "yaml-set", keys)) < 0 ||
            (r = parse_template(pc, args, "path", true, TEMPLATE_PATH, "a path", &a->path)) < 0 ||
            (r = parse_string(pc, args, "key", true, &a->key)) < 0 ||
            (r = typed_value_parse(pc, args, "yaml-set", &a->value, &a->type)) < 0 ||
            (r = parse_bool(pc, args, "create", false, &a->create)) < 0)
                return r;

        if (yaml_edit_keypath_check(a->key) < 0)
                return parse_error(pc, yaml_node_get(args, "key"),
                                   "yaml-set: key '%s' is not a key path like memorySwap.swapBehavior (quote a key "
                                   "holding dots: evictionHard.\"nodefs.available\")", a->key);

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
                return ctx_edit_error(c, r, path, error, "cannot edit");
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
