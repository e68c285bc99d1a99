/* SPDX-License-Identifier: MIT */
/*
 * Parameter declarations (params:), the type checks shared by defaults and --set values, and the
 * resolved values of one run.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/fileio.h"
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

static const struct {
        const char *suffix;
        uint64_t usec;
} duration_units[] = {
        { "usec", 1ULL },        { "us", 1ULL },          { "\xc2\xb5s", 1ULL },    { "\xce\xbcs", 1ULL },
        { "msec", 1000ULL },     { "ms", 1000ULL },       { "seconds", 1000000ULL }, { "second", 1000000ULL },
        { "sec", 1000000ULL },   { "s", 1000000ULL },     { "minutes", 60000000ULL }, { "minute", 60000000ULL },
        { "min", 60000000ULL },  { "m", 60000000ULL },    { "hours", 3600000000ULL }, { "hour", 3600000000ULL },
        { "hr", 3600000000ULL }, { "h", 3600000000ULL },  { "days", 86400000000ULL }, { "day", 86400000000ULL },
        { "d", 86400000000ULL }, { "weeks", 604800000000ULL }, { "week", 604800000000ULL },
        { "w", 604800000000ULL }, { "months", 2629800000000ULL }, { "month", 2629800000000ULL },
        { "M", 2629800000000ULL }, { "years", 31557600000000ULL }, { "year", 31557600000000ULL },
        { "y", 31557600000000ULL },
};

static bool is_space(char c) {
        return c == ' ' || c == '\t';
}

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* A systemd time span (systemd.time(7)): "15s", "1min 30s", "500ms", "2h30m", "0", "infinity".
 * A number without a unit is seconds, as in systemd's unit files. A fraction applies to its unit
 * ("1.5s" is 1500000 µs). */
int duration_parse(const char *s, uint64_t *ret_usec) {
        uint64_t total = 0;
        bool any = false;

        if (streq(s, "infinity")) {
                *ret_usec = UINT64_MAX;
                return 0;
        }

        for (;;) {
                while (is_space(*s))
                        s++;
                if (!*s) {
                        if (!any)
                                return -EINVAL;
                        *ret_usec = total;
                        return 0;
                }

                const char *start = s;
                uint64_t whole = 0;
                while (is_digit(*s)) {
                        if (__builtin_mul_overflow(whole, 10, &whole) ||
                            __builtin_add_overflow(whole, (uint64_t) (*s - '0'), &whole))
                                return -ERANGE;
                        s++;
                }
                bool has_whole = s > start;
                const char *frac = NULL, *frac_end = NULL;
                if (*s == '.') {
                        s++;
                        frac = s;
                        while (is_digit(*s))
                                s++;
                        frac_end = s;
                        if (frac == frac_end)
                                return -EINVAL;
                } else if (!has_whole)
                        return -EINVAL;

                while (is_space(*s))
                        s++;
                const char *unit = s;
                while (*s && !is_space(*s) && !is_digit(*s) && *s != '.')
                        s++;
                size_t unit_len = (size_t) (s - unit);
                uint64_t mult = 1000000ULL;
                if (unit_len > 0) {
                        bool found = false;
                        for (size_t i = 0; i < ELEMENTSOF(duration_units) && !found; i++)
                                if (strlen(duration_units[i].suffix) == unit_len &&
                                    memcmp(duration_units[i].suffix, unit, unit_len) == 0) {
                                        mult = duration_units[i].usec;
                                        found = true;
                                }
                        if (!found)
                                return -EINVAL;
                }

                uint64_t part;
                if (__builtin_mul_overflow(whole, mult, &part) || __builtin_add_overflow(total, part, &total))
                        return -ERANGE;
                /* Fractions below a microsecond are dropped, as systemd does. */
                uint64_t scale = mult;
                for (const char *d = frac; d && d < frac_end && scale >= 10; d++) {
                        scale /= 10;
                        if (__builtin_add_overflow(total, (uint64_t) (*d - '0') * scale, &total))
                                return -ERANGE;
                }
                any = true;
        }
}

/* Decimal, optional minus, no spaces or plus: what a reader of the playbook would call an int. */
static bool int_is_valid(const char *s, const char **ret_reason) {
        const char *d = s[0] == '-' ? s + 1 : s;
        if (!is_digit(*d)) {
                *ret_reason = "not a decimal integer";
                return false;
        }
        for (const char *c = d; *c; c++)
                if (!is_digit(*c)) {
                        *ret_reason = "not a decimal integer";
                        return false;
                }
        char *end;
        errno = 0;
        (void) strtoll(s, &end, 10);
        if (errno == ERANGE) {
                *ret_reason = "out of range for a 64-bit integer";
                return false;
        }
        if (errno != 0 || *end) {
                *ret_reason = "not a decimal integer";
                return false;
        }
        return true;
}

int param_check_value(const Param *p, const char *value, char **ret_reason) {
        const char *reason = NULL;
        _cleanup_free_ char *choices = NULL;

        switch (p->type) {
        case PARAM_STRING:
                return 0;
        case PARAM_BOOL:
                if (streq(value, "true") || streq(value, "false"))
                        return 0;
                reason = "not a boolean (write true or false)";
                break;
        case PARAM_INT:
                if (int_is_valid(value, &reason))
                        return 0;
                break;
        case PARAM_DURATION: {
                uint64_t usec;
                if (duration_parse(value, &usec) >= 0)
                        return 0;
                reason = "not a time span such as 15s, 1min 30s or 500ms";
                break;
        }
        case PARAM_PATH: {
                _cleanup_free_ char *normal = NULL;
                if (path_normalize(value, &normal) >= 0 && streq(normal, value))
                        return 0;
                reason = value[0] == '/' ? "not a normalised path (no '.', '..', '//' or trailing '/')"
                                         : "not an absolute path";
                break;
        }
        case PARAM_ENUM:
                if (strv_contains(p->choices, value))
                        return 0;
                size_t len = strlen("must be one of: ") + 1;
                STRV_FOREACH(c, p->choices)
                        len += strlen(*c) + 2;
                choices = malloc(len);
                if (!choices)
                        return -ENOMEM;
                char *e = stpcpy(choices, "must be one of: ");
                STRV_FOREACH(c, p->choices)
                        e = stpcpy(stpcpy(e, c == p->choices ? "" : ", "), *c);
                reason = choices;
                break;
        default:
                reason = "of an unknown type";
        }

        if (ret_reason) {
                *ret_reason = strdup(reason);
                if (!*ret_reason)
                        return -ENOMEM;
        }
        return -EINVAL;
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
                                   "unknown parameter type '%s' (expected string, bool, int, duration, path or enum)",
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
                if (p->params[i].default_value && !(v->values[i] = strdup(p->params[i].default_value)))
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
                if (!eq || eq == *a)
                        return values_error(ret_error, "--set '%s': expected KEY=VALUE", *a);
                _cleanup_free_ char *key = strndup(*a, (size_t) (eq - *a));
                if (!key)
                        return -ENOMEM;
                const Param *param = playbook_find_param(p, key);
                if (!param)
                        return values_error(ret_error, "%s: playbook '%s' has no parameter '%s'%s", p->path, p->name,
                                            key, p->n_params == 0 ? " (it takes none)" : "");
                _cleanup_free_ char *reason = NULL;
                r = param_check_value(param, eq + 1, &reason);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return values_error(ret_error, "%s:%u:%u: --set %s='%s': %s (parameter '%s' is declared here as %s)",
                                            param->mark.file, param->mark.line, param->mark.column, key, eq + 1, reason,
                                            key, param_type_name(param->type));
                size_t i = (size_t) (param - p->params);
                char *value = strdup(eq + 1);
                if (!value)
                        return -ENOMEM;
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
                v->values[i] = strdup(param->default_value);
                if (!v->values[i])
                        return -ENOMEM;
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
