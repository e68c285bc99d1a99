/* SPDX-License-Identifier: MIT */
/*
 * `when:` conditions. They read the node through the Context, so a condition sees the files as
 * the earlier steps of the same run would leave them, exactly as the action after it does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/action.h"
#include "remedy/context.h"
#include "remedy/strv.h"
#include "remedy/toml-edit.h"
#include "remedy/yaml-edit.h"

Condition *condition_free(Condition *c) {
        if (!c)
                return NULL;
        if (c->args && c->type->free_args)
                c->type->free_args(c->args);
        free(c);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Condition *, condition_free);

/* The Context's first error, copied for a caller that reports through ret_error. */
static int eval_error_from_ctx(Context *c, int r, char **ret_error) {
        if (ret_error && !*ret_error && c->error)
                *ret_error = strdup(c->error);
        return r;
}

/* exists / absent */

typedef struct PathArgs {
        Template *path;
        char **except;        /* file names a glob's matches leave out */
} PathArgs;

static void path_free(void *args) {
        PathArgs *a = args;
        if (!a)
                return;
        template_free(a->path);
        strv_free(a->except);
        free(a);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(PathArgs *, path_free);

/* PATH, or {path: PATH, except: [NAME, ...]}: "a CNI config other than our placeholder". */
static int path_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "path", "except", NULL };
        _cleanup_(path_freep) PathArgs *a = calloc(1, sizeof(PathArgs));
        const YamlNode *path = args;
        int r;

        if (!a)
                return -ENOMEM;
        if (args->type == YAML_NODE_MAPPING) {
                if ((r = parse_check_keys(pc, args, "a path condition", keys)) < 0 ||
                    (r = parse_string_list(pc, args, "except", false, &a->except)) < 0)
                        return r;
                STRV_FOREACH(e, a->except)
                        if (!**e || strchr(*e, '/'))
                                return parse_error(pc, yaml_node_get(args, "except"),
                                                   "except: takes file names, not paths: \"%s\"", *e);
                path = yaml_node_get(args, "path");
                if (!path)
                        return parse_error(pc, args, "a path condition needs path:");
        }
        if (path->type != YAML_NODE_SCALAR || yaml_node_is_null(path))
                return parse_error(pc, path, "expected a path (or a glob in its last component)");
        if ((r = template_parse(pc, path, TEMPLATE_PATH | TEMPLATE_GLOB, "a path", &a->path)) < 0)
                return r;
        *ret = TAKE_PTR(a);
        return 0;
}

static bool has_glob_chars(const char *s) {
        return strpbrk(s, "*?[") != NULL;
}

static bool excepted(const PathArgs *a, const char *path) {
        const char *slash = strrchr(path, '/');
        return strv_contains(a->except, slash ? slash + 1 : path);
}

static int path_exists(Context *c, const PathArgs *a, char **ret_error) {
        _cleanup_free_ char *path = NULL;
        int r = ctx_render(c, a->path, &path);
        if (r < 0)
                return eval_error_from_ctx(c, r, ret_error);

        if (has_glob_chars(path)) {
                _cleanup_strv_free_ char **matches = NULL;
                r = ctx_glob(c, path, &matches);
                if (r < 0)
                        return eval_error_from_ctx(c, r, ret_error);
                STRV_FOREACH(m, matches)
                        if (!excepted(a, *m))
                                return 1;
                return 0;
        }
        if (excepted(a, path))
                return 0;

        const NodeFile *f;
        r = ctx_read(c, path, true, &f);
        if (r < 0)
                return eval_error_from_ctx(c, r, ret_error);
        return f->kind != FILE_ABSENT;
}

static int exists_eval(Context *c, const void *args, char **ret_error) {
        return path_exists(c, args, ret_error);
}

static int absent_eval(Context *c, const void *args, char **ret_error) {
        int r = path_exists(c, args, ret_error);
        return r < 0 ? r : !r;
}

static const ConditionType condition_exists = {
        .key = "exists",
        .parse = path_parse,
        .eval = exists_eval,
        .free_args = path_free,
};

static const ConditionType condition_absent = {
        .key = "absent",
        .parse = path_parse,
        .eval = absent_eval,
        .free_args = path_free,
};

/* not */

static int not_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        Condition *inner = NULL;
        int r = condition_parse(pc, args, &inner);
        if (r < 0)
                return r;
        *ret = inner;
        return 0;
}

static int not_eval(Context *c, const void *args, char **ret_error) {
        int r = condition_eval(c, args, ret_error);
        return r < 0 ? r : !r;
}

static void not_free(void *args) {
        condition_free(args);
}

static const ConditionType condition_not = {
        .key = "not",
        .parse = not_parse,
        .eval = not_eval,
        .free_args = not_free,
};

/* any / all: a list of conditions, evaluated in order until one decides */

typedef struct ConditionList {
        Condition **items;
        size_t n;
} ConditionList;

static void list_free(void *p) {
        ConditionList *l = p;
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++)
                condition_free(l->items[i]);
        free(l->items);
        free(l);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(ConditionList *, list_free);

static int list_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        _cleanup_(list_freep) ConditionList *l = NULL;

        if (args->type != YAML_NODE_SEQUENCE || args->n_items == 0)
                return parse_error(pc, args, "any: and all: take a non-empty list of conditions");
        l = calloc(1, sizeof(ConditionList));
        if (!l || !(l->items = calloc(args->n_items, sizeof(Condition *))))
                return -ENOMEM;
        for (size_t i = 0; i < args->n_items; i++) {
                int r = condition_parse(pc, args->items[i], &l->items[i]);
                if (r < 0)
                        return r;
                l->n++;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static int list_eval(Context *c, const ConditionList *l, bool want, char **ret_error) {
        for (size_t i = 0; i < l->n; i++) {
                int r = condition_eval(c, l->items[i], ret_error);
                if (r < 0)
                        return r;
                if (!!r == want)
                        return want;
        }
        return !want;
}

static int any_eval(Context *c, const void *args, char **ret_error) {
        return list_eval(c, args, true, ret_error);
}

static int all_eval(Context *c, const void *args, char **ret_error) {
        return list_eval(c, args, false, ret_error);
}

static const ConditionType condition_any = {
        .key = "any",
        .parse = list_parse,
        .eval = any_eval,
        .free_args = list_free,
};

static const ConditionType condition_all = {
        .key = "all",
        .parse = list_parse,
        .eval = all_eval,
        .free_args = list_free,
};

/* toml / yaml: {path, key, equals} */

typedef struct ValueArgs {
        Template *path;
        char *key;
        Template *equals;   /* NULL: true when the key exists */
} ValueArgs;

static void value_args_free(void *p) {
        ValueArgs *a = p;
        if (!a)
                return;
        template_free(a->path);
        free(a->key);
        template_free(a->equals);
        free(a);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(ValueArgs *, value_args_free);

static int value_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "path", "key", "equals", NULL };
        _cleanup_(value_args_freep) ValueArgs *a = NULL;
        int r;

        r = parse_check_keys(pc, args, "a file value condition", keys);
        if (r < 0)
                return r;
        a = calloc(1, sizeof(ValueArgs));
        if (!a)
                return -ENOMEM;
        if ((r = parse_template(pc, args, "path", true, TEMPLATE_PATH, "a path", &a->path)) < 0)
                return r;
        if ((r = parse_string(pc, args, "key", true, &a->key)) < 0)
                return r;
        if ((r = parse_template(pc, args, "equals", false, 0, "a compared value", &a->equals)) < 0)
                return r;
        *ret = TAKE_PTR(a);
        return 0;
}

typedef int (*ValueGetter)(const char *data, size_t size, const char *keypath, char **ret_value, char **ret_error);

static int value_eval(Context *c, const ValueArgs *a, ValueGetter get, char **ret_error) {
        _cleanup_free_ char *path = NULL, *want = NULL, *value = NULL, *error = NULL;
        const NodeFile *f;
        int r;

        if ((r = ctx_render(c, a->path, &path)) < 0)
                return eval_error_from_ctx(c, r, ret_error);
        if (a->equals && (r = ctx_render(c, a->equals, &want)) < 0)
                return eval_error_from_ctx(c, r, ret_error);

        r = ctx_read(c, path, true, &f);
        if (r < 0)
                return eval_error_from_ctx(c, r, ret_error);
        if (f->kind == FILE_ABSENT)
                return 0;
        if (f->kind != FILE_REGULAR) {
                if (ret_error && asprintf(ret_error, "%s: is a %s, not a file", path, file_kind_name(f->kind)) < 0)
                        *ret_error = NULL;
                return -EISDIR;
        }

        r = get(f->data, f->size, a->key, &value, &error);
        if (r == -EMEDIUMTYPE)   /* a mapping or list there: never equal to a scalar */
                return !a->equals;
        if (r < 0) {
                /* error is "LINE:COLUMN: reason": the file name makes it point somewhere. */
                if (ret_error && asprintf(ret_error, "%s:%s", path, error ?: " cannot be parsed") < 0)
                        *ret_error = NULL;
                return r;
        }
        if (r == 0)
                return 0;
        return !want || streq(value, want);
}

static int toml_eval(Context *c, const void *args, char **ret_error) {
        return value_eval(c, args, toml_edit_get, ret_error);
}

static int yaml_eval(Context *c, const void *args, char **ret_error) {
        return value_eval(c, args, yaml_edit_get, ret_error);
}

static const ConditionType condition_toml = {
        .key = "toml",
        .parse = value_parse,
        .eval = toml_eval,
        .free_args = value_args_free,
};

static const ConditionType condition_yaml = {
        .key = "yaml",
        .parse = value_parse,
        .eval = yaml_eval,
        .free_args = value_args_free,
};

static const ConditionType * const condition_types[] = {
        &condition_exists, &condition_absent, &condition_not, &condition_any, &condition_all, &condition_toml,
        &condition_yaml, &condition_unit, &condition_param,
        &condition_changed, &condition_journal, &condition_client_certificate, &condition_swap, &condition_kubeadm_join,
        &condition_containerd_config, &condition_kubelet_config, &condition_kubelet_flags, &condition_sysctl,
        &condition_kernel_module, &condition_kubelet_feature_gates, &condition_kubelet_config_valid,
        &condition_kubelet_cgroup_v1, &condition_kubelet_node_ip, &condition_cri_endpoint,
        &condition_sandbox_image, &condition_kubelet_resolv_conf, &condition_ntp, NULL,
};

/* "exists, absent, ... or kubelet-flags": every key of the table, so that the message never
 * falls behind a condition added to it. */
static char *condition_keys_text(void) {
        char *s = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&s, &size);
        if (!f)
                return NULL;
        for (const ConditionType * const *t = condition_types; *t; t++)
                fprintf(f, "%s%s", t == condition_types ? "" : t[1] ? ", " : " or ", (*t)->key);
        if (fclose(f) != 0) {
                free(s);
                return NULL;
        }
        return s;
}

int condition_parse(ParseContext *pc, const YamlNode *node, Condition **ret) {
        _cleanup_(condition_freep) Condition *cond = NULL;
        _cleanup_free_ char *keys = NULL;

        if (node->type != YAML_NODE_MAPPING || node->n_pairs != 1) {
                if (!(keys = condition_keys_text()))
                        return -ENOMEM;
                return parse_error(pc, node, "a condition is a mapping with one key: %s", keys);
        }

        const YamlNode *key = node->pairs[0].key, *args = node->pairs[0].value;
        const ConditionType *type = NULL;
        for (const ConditionType * const *t = condition_types; *t && !type; t++)
                if (streq((*t)->key, key->scalar))
                        type = *t;
        if (!type) {
                if (!(keys = condition_keys_text()))
                        return -ENOMEM;
                return parse_error(pc, key, "unknown condition '%s' (expected %s)", key->scalar, keys);
        }

        cond = calloc(1, sizeof(Condition));
        if (!cond)
                return -ENOMEM;
        cond->type = type;
        cond->mark = node->mark;
        int r = type->parse(pc, args, &cond->args);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(cond);
        return 0;
}

int condition_eval(Context *c, const Condition *cond, char **ret_error) {
        return cond->type->eval(c, cond->args, ret_error);
}
