/* SPDX-License-Identifier: MIT */
/*
 * Parameter declarations (params:) and the resolved values of one run. The checks of one value
 * against its type, shared by defaults, --set values and node facts, are param-check.c's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/playbook.h"
#include "remedy/strv.h"

/* The node facts a parameter can take its value from (`from:`); the engine reads them from the
 * node (node_fact_param(), containerd-node.c). */
static const char * const param_facts[] = { "containerd.cni.conf_dir", "containerd.cni.bin_dir", NULL };

bool param_fact_is_known(const char *name) {
        for (const char * const *f = param_facts; *f; f++)
                if (streq(*f, name))
                        return true;
        return false;
}

static const char * const param_type_names[_PARAM_TYPE_MAX] = {
        [PARAM_STRING] = "string",
        [PARAM_BOOL] = "bool",
        [PARAM_INT] = "int",
        [PARAM_DURATION] = "duration",
        [PARAM_PATH] = "path",
        [PARAM_ENUM] = "enum",
        [PARAM_CIDR] = "cidr",
};

const char *param_type_name(ParamType t) {
        return t >= 0 && t < _PARAM_TYPE_MAX ? param_type_names[t] : NULL;
}

static int param_type_from_string(const char *s) {
        for (int t = 0; t < _PARAM_TYPE_MAX; t++)
                if (streq(param_type_names[t], s))
                        return t;
        return -EINVAL;
}

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

void params_free(Param *params, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(params[i].name);
                free(params[i].default_value);
                strv_free(params[i].choices);
                free(params[i].description);
                free(params[i].from);
        }
        free(params);
}

static bool param_name_is_valid(const char *s) {
        if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
                return false;
        for (const char *c = s + 1; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || is_digit(*c) || *c == '_' || *c == '-'))
                        return false;
        return true;
}

static int param_parse_one(ParseContext *pc, const YamlNode *key, const YamlNode *decl, Param *p) {
        static const char * const keys[] = { "type", "default", "description", "choices", "from", NULL };
        _cleanup_free_ char *type = NULL;
        int r;

        if (!param_name_is_valid(key->scalar))
                return parse_error(pc, key, "parameter name '%s' must start with a letter or '_' and hold only "
                                   "letters, digits, '_' and '-'", key->scalar);
        p->name = strdup(key->scalar);
        if (!p->name)
                return -ENOMEM;
        p->mark = key->mark;

        r = parse_check_keys(pc, decl, "a parameter declaration", keys);
        if (r < 0)
                return r;
        r = parse_string(pc, decl, "type", true, &type);
        if (r < 0)
                return r;
        int t = param_type_from_string(type);
        if (t < 0)
                return parse_error(pc, yaml_node_get(decl, "type"),
                                   "unknown parameter type '%s' (expected string, bool, int, duration, path, enum or cidr)",
                                   type);
        p->type = t;

        r = parse_string(pc, decl, "description", false, &p->description);
        if (r < 0)
                return r;

        r = parse_string(pc, decl, "from", false, &p->from);
        if (r < 0)
                return r;
        if (p->from && !param_fact_is_known(p->from))
                return parse_error(pc, yaml_node_get(decl, "from"), "unknown node fact '%s' (expected one of: %s)",
                                   p->from, "containerd.cni.conf_dir, containerd.cni.bin_dir");
        if (p->from && p->type != PARAM_PATH)
                return parse_error(pc, yaml_node_get(decl, "from"), "from: gives a path; parameter '%s' is a %s",
                                   p->name, type);

        r = parse_string_list(pc, decl, "choices", false, &p->choices);
        if (r < 0)
                return r;
        if (p->type == PARAM_ENUM && strv_length(p->choices) == 0)
                return parse_error(pc, r > 0 ? yaml_node_get(decl, "choices") : decl,
                                   "parameter '%s' of type enum needs choices: [...]", p->name);
        if (p->type != PARAM_ENUM && r > 0)
                return parse_error(pc, yaml_node_get_key(decl, "choices"),
                                   "choices only apply to parameters of type enum, '%s' is a %s", p->name, type);

        const YamlNode *def = yaml_node_get(decl, "default");
        if (def) {
                /* A default written as 10 or true is the same text as "10" or "true" here: the
                 * declared type decides, and the checker below enforces it. */
                if (def->type != YAML_NODE_SCALAR || yaml_node_is_null(def))
                        return parse_error(pc, def, "default of parameter '%s' must be a scalar (omit it to make "
                                           "the parameter required)", p->name);
                if (strlen(def->scalar) != def->size)
                        return parse_error(pc, def, "default of parameter '%s' contains a NUL character", p->name);
                _cleanup_free_ char *reason = NULL;
                /* Named without the text itself: an ESC in it would reach the terminal. */
                r = param_text_check(def->scalar, &reason);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return parse_error(pc, def, "default of parameter '%s' is %s", p->name, reason);
                r = param_check_value(p, def->scalar, &reason);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return parse_error(pc, def, "default '%s' of parameter '%s' is %s", def->scalar, p->name,
                                           reason);
                p->default_value = strdup(def->scalar);
                if (!p->default_value)
                        return -ENOMEM;
        }
        return 0;
}

int params_parse(ParseContext *pc, const YamlNode *node, Param **ret, size_t *ret_n) {
        Param *params = NULL;
        size_t n = 0;
        int r = 0;

        if (yaml_node_is_null(node)) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        if (node->type != YAML_NODE_MAPPING)
                return parse_error(pc, node, "params must be a mapping of parameter names to declarations");

        params = calloc(node->n_pairs ?: 1, sizeof(Param));
        if (!params)
                return -ENOMEM;
        for (size_t i = 0; i < node->n_pairs; i++) {
                r = param_parse_one(pc, node->pairs[i].key, node->pairs[i].value, &params[n++]);
                if (r < 0) {
                        params_free(params, n);
                        return r;
                }
        }
        *ret = params;
        *ret_n = n;
        return 0;
}

const Param *playbook_find_param(const Playbook *p, const char *name) {
        for (size_t i = 0; i < p->n_params; i++)
                if (streq(p->params[i].name, name))
                        return &p->params[i];
        return NULL;
}

struct ParamValues {
        size_t n;
        char **names;    /* in declaration order */
        char **values;
        bool *given;     /* set by an assignment (--set), not a default */
};

ParamValues *param_values_free(ParamValues *v) {
        if (!v)
                return NULL;
        for (size_t i = 0; i < v->n; i++) {
                free(v->names[i]);
                free(v->values[i]);
        }
        free(v->names);
        free(v->values);
        free(v->given);
        free(v);
        return NULL;
}

_printf_(2, 3) static int values_error(char **ret_error, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int k = vasprintf(ret_error, fmt, ap);
        va_end(ap);
        if (k < 0) {
                *ret_error = NULL;
                return -ENOMEM;
        }
        return -EINVAL;
}

/* Values named after p's parameters, none of them set yet. */
static ParamValues *param_values_alloc(const Playbook *p) {
        _cleanup_(param_values_freep) ParamValues *v = calloc(1, sizeof(ParamValues));
        if (!v)
                return NULL;
        v->names = calloc(p->n_params ?: 1, sizeof(char *));
        v->values = calloc(p->n_params ?: 1, sizeof(char *));
        v->given = calloc(p->n_params ?: 1, sizeof(bool));
        if (!v->names || !v->values || !v->given)
                return NULL;
        v->n = p->n_params;
        for (size_t i = 0; i < p->n_params; i++)
                if (!(v->names[i] = strdup(p->params[i].name)))
                        return NULL;
        return TAKE_PTR(v);
}

int param_values_defaults(const Playbook *p, ParamValues **ret) {
        _cleanup_(param_values_freep) ParamValues *v = param_values_alloc(p);
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_params; i++)
                if (p->params[i].default_value &&
                    param_value_canonical(&p->params[i], p->params[i].default_value, &v->values[i]) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(v);
        return 0;
}

int param_values_new(const Playbook *p, char * const *assignments, ParamValues **ret, char **ret_error) {
        _cleanup_(param_values_freep) ParamValues *v = NULL;
        int r;

        *ret_error = NULL;
        v = param_values_alloc(p);
        if (!v)
                return -ENOMEM;

        /* Later assignments of the same key win, as with repeated command-line options. */
        STRV_FOREACH(a, assignments) {
                const char *eq = strchr(*a, '=');
                _cleanup_free_ char *reason = NULL, *key = eq ? strndup(*a, (size_t) (eq - *a)) : strdup(*a);
                if (!key)
                        return -ENOMEM;
                /* The key is echoed in the errors below, the value only once it is known to be
                 * printable. */
                r = param_text_check(key, &reason);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return values_error(ret_error, "--set: the key is %s", reason);
                if (!eq)
                        return values_error(ret_error, "--set '%s': expected KEY=VALUE", key);
                if (eq == *a)
                        return values_error(ret_error, "--set: expected KEY=VALUE, the key is empty");
                const Param *param = playbook_find_param(p, key);
                if (!param)
                        return values_error(ret_error, "%s: playbook '%s' has no parameter '%s'%s", p->path, p->name,
                                            key, p->n_params == 0 ? " (it takes none)" : "");
                r = param_text_check(eq + 1, &reason);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return values_error(ret_error, "%s:%u:%u: --set %s=...: the value is %s (parameter '%s' is declared "
                                            "here as %s)", param->mark.file, param->mark.line, param->mark.column, key,
                                            reason, key, param_type_name(param->type));
                r = param_check_value(param, eq + 1, &reason);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return values_error(ret_error, "%s:%u:%u: --set %s='%s': %s (parameter '%s' is declared here as %s)",
                                            param->mark.file, param->mark.line, param->mark.column, key, eq + 1, reason,
                                            key, param_type_name(param->type));
                size_t i = (size_t) (param - p->params);
                char *value;
                r = param_value_canonical(param, eq + 1, &value);
                if (r < 0)
                        return r;
                free(v->values[i]);
                v->values[i] = value;
                v->given[i] = true;
        }

        for (size_t i = 0; i < p->n_params; i++) {
                if (v->values[i])
                        continue;
                const Param *param = &p->params[i];
                if (!param->default_value)
                        return values_error(ret_error, "%s:%u:%u: parameter '%s' of playbook '%s' is required: "
                                            "pass --set %s=VALUE", param->mark.file, param->mark.line,
                                            param->mark.column, param->name, p->name, param->name);
                r = param_value_canonical(param, param->default_value, &v->values[i]);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(v);
        return 0;
}

const char *param_values_get(const ParamValues *v, const char *name) {
        if (!v)
                return NULL;
        for (size_t i = 0; i < v->n; i++)
                if (streq(v->names[i], name))
                        return v->values[i];
        return NULL;
}

size_t param_values_count(const ParamValues *v) {
        return v ? v->n : 0;
}

const char *param_values_name(const ParamValues *v, size_t i) {
        return v && i < v->n ? v->names[i] : NULL;
}

const char *param_values_value(const ParamValues *v, size_t i) {
        return v && i < v->n ? v->values[i] : NULL;
}

int param_values_fill_facts(const Playbook *p, ParamValues *v, ParamFactFn fn, void *userdata, char **ret_error) {
        *ret_error = NULL;
        for (size_t i = 0; i < p->n_params && i < v->n; i++) {
                const Param *param = &p->params[i];
                _cleanup_free_ char *value = NULL, *error = NULL, *reason = NULL;
                if (!param->from || v->given[i])
                        continue;
                int r = fn(userdata, param->from, &value, &error);
                if (r == -ENODATA)
                        continue;   /* the node does not say: the declared default stands */
                if (r < 0)
                        return error ? values_error(ret_error, "%s", error) : r;
                r = param_text_check(value, &reason);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return values_error(ret_error, "parameter '%s' of playbook '%s' from %s: the node's value is %s",
                                            param->name, p->name, param->from, reason);
                r = param_check_value(param, value, &reason);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return values_error(ret_error, "parameter '%s' of playbook '%s' from %s: '%s' is %s", param->name,
                                            p->name, param->from, value, reason);
                free(v->values[i]);
                v->values[i] = TAKE_PTR(value);
        }
        return 0;
}
