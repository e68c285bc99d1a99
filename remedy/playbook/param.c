/* SPDX-License-Identifier: MIT */
/*
 * Parameter declarations (params:), the type checks shared by defaults and --set values, and the
 * resolved values of one run.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/fileio.h"
#include "remedy/playbook.h"

#include "remedy/strv.h"
#include "remedy/utf8.h"

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

int param_text_check(const char *value, char **ret_reason) {
        size_t n = strlen(value);
        uint32_t cp = 0;
        size_t at = 0;
        char *reason = NULL;
        int k = 0;

        if (!utf8_is_valid_n(value, n))
                k = asprintf(&reason, "not valid UTF-8");
        else
                /* Valid UTF-8: a C1 control is U+0080..U+009F, "\xc2\x80".."\xc2\x9f"; U+2028 and
                 * U+2029 are "\xe2\x80\xa8" and "\xe2\x80\xa9". */
                for (size_t i = 0; i < n && !cp; i++) {
                        const unsigned char *c = (const unsigned char *) value + i;
                        if (c[0] < 0x20 || c[0] == 0x7f)
                                cp = c[0];
                        else if (c[0] == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f)
                                cp = c[1];
                        else if (c[0] == 0xe2 && c[1] == 0x80 && (c[2] == 0xa8 || c[2] == 0xa9))
                                cp = 0x2000 | (uint32_t) (c[2] - 0x80);
                        at = i + 1;
                }
        if (cp >= 0x2028)
                /* Line breaks to JavaScript, YAML 1.1 and some terminals. */
                k = asprintf(&reason, "not one line of text: it has a Unicode line or paragraph separator "
                             "(U+%04" PRIX32 ") at byte %zu", cp, at);
        else if (cp)
                /* A newline ends a line of the file the value goes into, an ESC reaches the
                 * terminal of whoever reads the plan. */
                k = asprintf(&reason, "not one line of printable text: it has a control character "
                             "(U+%04" PRIX32 ") at byte %zu", cp, at);
        else if (!reason)
                return 0;
        if (k < 0)
                return -ENOMEM;
        if (ret_reason)
                *ret_reason = reason;
        else
                free(reason);
        return -EINVAL;
}

/* ADDRESS/PREFIX with a network address: the host bits must be zero, so that a node address
 * given where a subnet belongs ("10.244.1.7/16") is caught rather than silently widened. */
static bool cidr_is_valid(const char *s, const char **ret_reason) {
        const char *slash = strrchr(s, '/');
        unsigned char addr[16];

        *ret_reason = "not a CIDR subnet (ADDRESS/PREFIX: 10.244.0.0/16, fd00:10::/64)";
        if (!slash || slash == s || strlen(slash + 1) > 3)
                return false;
        _cleanup_free_ char *host = strndup(s, (size_t) (slash - s));
        if (!host)
                return false;
        int family = strchr(host, ':') ? AF_INET6 : AF_INET;
        unsigned bits = family == AF_INET6 ? 128 : 32;
        if (inet_pton(family, host, addr) != 1)
                return false;

        const char *d = slash + 1;
        if (!is_digit(d[0]) || (d[0] == '0' && d[1]))
                return false;
        unsigned prefix = 0;
        for (; *d; d++) {
                if (!is_digit(*d))
                        return false;
                prefix = prefix * 10 + (unsigned) (*d - '0');
        }
        if (prefix > bits) {
                *ret_reason = family == AF_INET6 ? "not a CIDR subnet: an IPv6 prefix is 0 to 128 bits"
                                                 : "not a CIDR subnet: an IPv4 prefix is 0 to 32 bits";
                return false;
        }
        for (unsigned b = prefix; b < bits; b++)
                if (addr[b / 8] & (0x80 >> (b % 8))) {
                        *ret_reason = "not a CIDR subnet: the address has host bits set (give the network address)";
                        return false;
                }
        return true;
}

/* A duration as seconds with an "s" suffix ("90s", "0.5s"): the one spelling coreutils' sleep
 * (NUMBER[smhd]), systemd's time spans and Go's time.ParseDuration (the kubelet's config) all read
 * the same. systemd's "500ms" is not a sleep(1) argument, sleep's "1d" is not a Go duration. */
static int duration_canonical(uint64_t usec, char **ret) {
        uint64_t frac = usec % 1000000;
        int k;
        if (frac == 0)
                k = asprintf(ret, "%" PRIu64 "s", usec / 1000000);
        else {
                unsigned digits = 6;
                while (frac % 10 == 0) {
                        frac /= 10;
                        digits--;
                }
                k = asprintf(ret, "%" PRIu64 ".%0*" PRIu64 "s", usec / 1000000, (int) digits, frac);
        }
        if (k < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}

int param_value_canonical(const Param *p, const char *value, char **ret) {
        uint64_t usec;

        if (p->type == PARAM_DURATION && duration_parse(value, &usec) >= 0 && usec != UINT64_MAX)
                return duration_canonical(usec, ret);
        *ret = strdup(value);
        return *ret ? 0 : -ENOMEM;
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

        /* Every value is one line of text before it is anything else. */
        char *text_reason = NULL;
        int r = param_text_check(value, &text_reason);
        if (r < 0) {
                if (ret_reason)
                        *ret_reason = text_reason;
                else
                        free(text_reason);
                return r;
        }

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
                if (duration_parse(value, &usec) >= 0 && usec != UINT64_MAX)
                        return 0;
                reason = streq(value, "infinity") ? "infinity, which is not a delay or timeout a step can wait out"
                                                  : "not a time span such as 15s, 1min 30s or 500ms";
                break;
        }
        case PARAM_CIDR:
                if (cidr_is_valid(value, &reason))
                        return 0;
                break;
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
