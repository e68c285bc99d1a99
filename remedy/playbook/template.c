/* SPDX-License-Identifier: MIT */
/*
 * {{ name }} substitution and nothing more: no expressions, filters or conditionals, so that what
 * a playbook writes is what its text says. References are resolved against the declared
 * parameters when the playbook loads; values are checked against the field they go into when
 * rendering, because only then are they known.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/fileio.h"
#include "remedy/playbook.h"

Template *template_free(Template *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_parts; i++)
                free(t->parts[i].literal);
        free(t->parts);
        free(t);
        return NULL;
}

static int template_add(Template *t, const char *literal, size_t len, const Param *param) {
        TemplatePart *parts = realloc(t->parts, (t->n_parts + 1) * sizeof(TemplatePart));
        if (!parts)
                return -ENOMEM;
        t->parts = parts;
        TemplatePart *p = &t->parts[t->n_parts];
        *p = (TemplatePart) { .param = param };
        if (literal) {
                p->literal = strndup(literal, len);
                if (!p->literal)
                        return -ENOMEM;
        }
        t->n_parts++;
        return 0;
}

static bool is_name_char(char c, bool first) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
               (!first && ((c >= '0' && c <= '9') || c == '-'));
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

static const Param *find_param(const ParseContext *pc, const char *name) {
        for (size_t i = 0; i < pc->n_params; i++)
                if (streq(pc->params[i].name, name))
                        return &pc->params[i];
        return NULL;
}

static bool has_glob_chars(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (strchr("*?[]", s[i]))
                        return true;
        return false;
}

/* A path's shape, for the literal-only templates checked at load and every rendered one. */
static int check_path(const char *path, TemplateFlags flags, char **ret_normal, const char **ret_reason) {
        _cleanup_free_ char *normal = NULL;

        if (path[0] != '/') {
                *ret_reason = "is not an absolute path";
                return -EINVAL;
        }
        if (path_normalize(path, &normal) < 0) {
                *ret_reason = "has a '.' or '..' component";
                return -EINVAL;
        }
        const char *slash = strrchr(normal, '/');
        if (has_glob_chars(normal, (size_t) (slash - normal))) {
                *ret_reason = flags & TEMPLATE_GLOB ? "has wildcards outside its last component"
                                                    : "has wildcards this field does not expand";
                return -EINVAL;
        }
        if (!(flags & TEMPLATE_GLOB) && has_glob_chars(slash, strlen(slash))) {
                *ret_reason = "has wildcards this field does not expand";
                return -EINVAL;
        }
        if (ret_normal)
                *ret_normal = TAKE_PTR(normal);
        return 0;
}

int template_parse(ParseContext *pc, const YamlNode *scalar, TemplateFlags flags, const char *what, Template **ret) {
        return template_parse_format(pc, scalar, flags, TEMPLATE_FORMAT_TEXT, what, ret);
}

int template_parse_format(ParseContext *pc, const YamlNode *scalar, TemplateFlags flags, TemplateFormat format,
                          const char *what, Template **ret) {
        _cleanup_(template_freep) Template *t = NULL;
        int r;

        if (!scalar || scalar->type != YAML_NODE_SCALAR)
                return parse_error(pc, scalar, "%s must be a string", what);
        if (strlen(scalar->scalar) != scalar->size)
                return parse_error(pc, scalar, "%s contains a NUL character", what);

        t = calloc(1, sizeof(Template));
        if (!t)
                return -ENOMEM;
        t->flags = flags;
        t->format = format;
        t->what = what;
        t->mark = scalar->mark;
        t->plain = scalar->plain;

        const char *s = scalar->scalar;
        for (;;) {
                const char *open = strstr(s, "{{");
                if (!open) {
                        if (*s && (r = template_add(t, s, strlen(s), NULL)) < 0)
                                return r;
                        break;
                }
                if (open > s && (r = template_add(t, s, (size_t) (open - s), NULL)) < 0)
                        return r;

                const char *close = strstr(open + 2, "}}");
                if (!close)
                        return parse_error(pc, scalar, "unclosed '{{' in %s: write {{ name }}", what);

                const char *b = open + 2, *e = close;
                while (b < e && is_blank(*b))
                        b++;
                while (e > b && is_blank(e[-1]))
                        e--;
                size_t len = (size_t) (e - b);
                if (len == 0)
                        return parse_error(pc, scalar, "empty '{{ }}' in %s", what);
                bool valid = true;
                for (size_t i = 0; i < len; i++)
                        valid = valid && is_name_char(b[i], i == 0);
                if (!valid)
                        return parse_error(pc, scalar,
                                           "'{{%.*s}}' in %s is not a parameter name: templates substitute "
                                           "parameters only ({{ name }}), no expressions",
                                           (int) (close - open - 2), open + 2, what);

                _cleanup_free_ char *name = strndup(b, len);
                if (!name)
                        return -ENOMEM;
                const Param *param = find_param(pc, name);
                if (!param)
                        return parse_error(pc, scalar, "'{{ %s }}' refers to an undeclared parameter (declare it under params:)",
                                           name);
                if ((r = template_add(t, NULL, 0, param)) < 0)
                        return r;
                s = close + 2;
        }

        const char *reason;
        if (format != TEMPLATE_FORMAT_TEXT && template_format_scan(t, &reason) < 0)
                return parse_error(pc, scalar, "%s (%s): %s", what, template_format_name(format), reason);

        /* What the author wrote is checked now; what parameters add is checked when rendering. */
        for (size_t i = 0; i < t->n_parts; i++)
                if (t->parts[i].literal && !(flags & TEMPLATE_MULTILINE) && strpbrk(t->parts[i].literal, "\r\n"))
                        return parse_error(pc, scalar, "%s must be a single line", what);

        if ((flags & (TEMPLATE_PATH | TEMPLATE_GLOB)) && t->n_parts > 0) {
                if (t->n_parts == 1 && t->parts[0].literal) {
                        if (check_path(t->parts[0].literal, flags, NULL, &reason) < 0)
                                return parse_error(pc, scalar, "%s '%s' %s", what, t->parts[0].literal, reason);
                } else if (t->parts[0].literal && t->parts[0].literal[0] != '/')
                        return parse_error(pc, scalar, "%s '%s' is not an absolute path", what, scalar->scalar);
        } else if ((flags & (TEMPLATE_PATH | TEMPLATE_GLOB)) && t->n_parts == 0)
                return parse_error(pc, scalar, "%s is empty", what);

        *ret = TAKE_PTR(t);
        return 0;
}

int parse_template(ParseContext *pc, const YamlNode *map, const char *key, bool required, TemplateFlags flags,
                   const char *what, Template **ret) {
        return parse_template_format(pc, map, key, required, flags, TEMPLATE_FORMAT_TEXT, what, ret);
}

int parse_template_format(ParseContext *pc, const YamlNode *map, const char *key, bool required, TemplateFlags flags,
                          TemplateFormat format, const char *what, Template **ret) {
        const YamlNode *v = NULL;
        int r = parse_scalar(pc, map, key, required, &v);
        if (r <= 0)
                return r;
        r = template_parse_format(pc, v, flags, format, what, ret);
        return r < 0 ? r : 1;
}

const char *template_literal(const Template *t) {
        if (t->n_parts == 0)
                return "";
        if (t->n_parts == 1 && t->parts[0].literal)
                return t->parts[0].literal;
        return NULL;
}

const Param *template_sole_param(const Template *t) {
        if (t && t->n_parts == 1 && !t->parts[0].literal)
                return t->parts[0].param;
        return NULL;
}

_printf_(3, 4) static int render_error(const Template *t, char **ret_error, const char *fmt, ...) {
        _cleanup_free_ char *reason = NULL;
        va_list ap;
        va_start(ap, fmt);
        int k = vasprintf(&reason, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        if (ret_error && asprintf(ret_error, "%s:%u:%u: %s", t->mark.file, t->mark.line, t->mark.column, reason) < 0) {
                *ret_error = NULL;
                return -ENOMEM;
        }
        return -EINVAL;
}

/* The values of one rendering as their places write them, one slot per part (NULL for literals). */
typedef struct Encoded {
        char **values;
        size_t n;
} Encoded;

static void encoded_done(Encoded *e) {
        for (size_t i = 0; e->values && i < e->n; i++)
                free(e->values[i]);
        free(e->values);
}

int template_render(const Template *t, const ParamValues *values, char **ret, char **ret_error) {
        size_t len = 0, n_refs = 0;
        const char *first_ref = NULL, *reason = NULL;
        int r;

        if (ret_error)
                *ret_error = NULL;

        /* Each value as its place in the format writes it. */
        _cleanup_(encoded_done) Encoded encoded = { .values = calloc(t->n_parts ?: 1, sizeof(char *)), .n = t->n_parts };
        if (!encoded.values)
                return -ENOMEM;
        for (size_t i = 0; i < t->n_parts; i++) {
                const TemplatePart *part = &t->parts[i];
                if (part->literal) {
                        len += strlen(part->literal);
                        continue;
                }
                const char *v = param_values_get(values, part->param->name);
                if (!v)
                        r = render_error(t, ret_error, "parameter '%s' has no value", part->param->name);
                else if (!(t->flags & TEMPLATE_MULTILINE) && strpbrk(v, "\r\n"))
                        r = render_error(t, ret_error, "parameter '%s' contains a newline, which would break %s",
                                         part->param->name, t->what);
                else if ((r = template_slot_encode(part->slot, part->param, v, &encoded.values[i], &reason)) == -EINVAL)
                        r = render_error(t, ret_error, "parameter '%s' cannot be written into %s (%s): its value is %s",
                                         part->param->name, t->what, template_format_name(t->format), reason);
                if (r < 0)
                        return r;
                if (!first_ref)
                        first_ref = part->param->name;
                n_refs++;
                len += strlen(encoded.values[i]);
        }

        _cleanup_free_ char *out = malloc(len + 1);
        if (!out)
                return -ENOMEM;
        char *p = out;
        *p = 0;
        for (size_t i = 0; i < t->n_parts; i++)
                p = stpcpy(p, t->parts[i].literal ?: encoded.values[i]);

        /* A last check of the whole, when values went into it: should a lexer have misjudged a
         * place, the file is refused rather than written broken. */
        r = n_refs > 0 ? template_format_check(t->format, out, &reason) : 0;
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return render_error(t, ret_error, "%s (%s) %s", t->what, template_format_name(t->format), reason);

        if (t->flags & (TEMPLATE_PATH | TEMPLATE_GLOB)) {
                _cleanup_free_ char *normal = NULL;
                if (check_path(out, t->flags, &normal, &reason) < 0) {
                        if (n_refs == 1)
                                return render_error(t, ret_error, "parameter '%s' makes %s '%s', which %s", first_ref,
                                                    t->what, out, reason);
                        if (n_refs > 1)
                                return render_error(t, ret_error, "parameters ('%s' and others) make %s '%s', which %s",
                                                    first_ref, t->what, out, reason);
                        return render_error(t, ret_error, "%s '%s' %s", t->what, out, reason);
                }
                free(out);
                out = TAKE_PTR(normal);
        }

        *ret = TAKE_PTR(out);
        return 0;
}
