/* SPDX-License-Identifier: MIT */
/*
 * Typed getters shared by the parsers of playbooks, actions, conditions and checks. Each one
 * records the first error as "FILE:LINE:COLUMN: reason" in the ParseContext, pointing at the
 * node that is wrong (or at the mapping that lacks a required key).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "remedy/playbook.h"
#include "remedy/strv.h"

_printf_(3, 0) static int parse_error_va(ParseContext *pc, Mark mark, const char *fmt, va_list ap) {
        if (pc->error)
                return -EINVAL;

        _cleanup_free_ char *reason = NULL;
        if (vasprintf(&reason, fmt, ap) < 0)
                return -ENOMEM;
        if (asprintf(&pc->error, "%s:%u:%u: %s", mark.file ?: pc->file, mark.line, mark.column, reason) < 0) {
                pc->error = NULL;
                return -ENOMEM;
        }
        return -EINVAL;
}

int parse_error_at(ParseContext *pc, Mark mark, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int r = parse_error_va(pc, mark, fmt, ap);
        va_end(ap);
        return r;
}

int parse_error(ParseContext *pc, const YamlNode *node, const char *fmt, ...) {
        Mark mark = node ? node->mark : (Mark) { .file = pc->file, .line = 1, .column = 1 };
        va_list ap;
        va_start(ap, fmt);
        int r = parse_error_va(pc, mark, fmt, ap);
        va_end(ap);
        return r;
}

/* "a mapping", "a sequence", "a string", "null": what the author wrote, for "got ..." errors. */
static const char *node_kind(const YamlNode *n) {
        if (yaml_node_is_null(n))
                return "nothing (null)";
        switch (n->type) {
        case YAML_NODE_SCALAR:
                return "a scalar";
        case YAML_NODE_SEQUENCE:
                return "a sequence";
        case YAML_NODE_MAPPING:
                return "a mapping";
        }
        return "something else";
}

static char *join_keys(const char * const *allowed) {
        size_t len = 1;
        for (const char * const *k = allowed; *k; k++)
                len += strlen(*k) + 2;
        char *s = malloc(len), *p = s;
        if (!s)
                return NULL;
        *p = 0;
        for (const char * const *k = allowed; *k; k++)
                p = stpcpy(stpcpy(p, k == allowed ? "" : ", "), *k);
        return s;
}

int parse_check_keys(ParseContext *pc, const YamlNode *node, const char *what, const char * const *allowed) {
        if (!node || node->type != YAML_NODE_MAPPING)
                return parse_error(pc, node, "%s must be a mapping, got %s", what, node ? node_kind(node) : "nothing");

        for (size_t i = 0; i < node->n_pairs; i++) {
                const YamlNode *key = node->pairs[i].key;
                bool known = false;
                for (const char * const *k = allowed; *k && !known; k++)
                        known = streq(key->scalar, *k);
                if (!known) {
                        _cleanup_free_ char *list = join_keys(allowed);
                        if (!list)
                                return -ENOMEM;
                        return parse_error(pc, key, "unknown key '%s' in %s (expected %s)", key->scalar, what, list);
                }
        }
        return 0;
}

/* Looks key up in map: 0 absent (error if required), 1 present with *ret set. */
static int lookup(ParseContext *pc, const YamlNode *map, const char *key, bool required, const YamlNode **ret) {
        if (!map || map->type != YAML_NODE_MAPPING)
                return parse_error(pc, map, "expected a mapping with '%s', got %s", key,
                                   map ? node_kind(map) : "nothing");
        const YamlNode *v = yaml_node_get(map, key);
        if (!v) {
                if (required)
                        return parse_error(pc, map, "missing required key '%s'", key);
                return 0;
        }
        *ret = v;
        return 1;
}

static int require_scalar(ParseContext *pc, const char *key, const YamlNode *v, const char *want) {
        /* The classic: an unquoted "text (see: this)" is a one-pair mapping, not a string. */
        if (v->type == YAML_NODE_MAPPING && v->n_pairs == 1)
                return parse_error(pc, v, "'%s' must be %s, got a mapping (quote a string that holds ': ')", key, want);
        if (v->type != YAML_NODE_SCALAR || yaml_node_is_null(v))
                return parse_error(pc, v, "'%s' must be %s, got %s", key, want, node_kind(v));
        if (strlen(v->scalar) != v->size)
                return parse_error(pc, v, "'%s' contains a NUL character", key);
        return 0;
}

int parse_scalar(ParseContext *pc, const YamlNode *map, const char *key, bool required, const YamlNode **ret) {
        const YamlNode *v = NULL;
        int r = lookup(pc, map, key, required, &v);
        if (r <= 0)
                return r;
        r = require_scalar(pc, key, v, "a string");
        if (r < 0)
                return r;
        *ret = v;
        return 1;
}

int parse_bool(ParseContext *pc, const YamlNode *map, const char *key, bool required, bool *ret) {
        const YamlNode *v = NULL;
        int r = lookup(pc, map, key, required, &v);
        if (r <= 0)
                return r;
        int b = yaml_node_bool(v);
        if (b < 0)
                return parse_error(pc, v, "'%s' must be true or false, got %s%s%s", key,
                                   v->type == YAML_NODE_SCALAR ? "'" : "",
                                   v->type == YAML_NODE_SCALAR ? v->scalar : node_kind(v),
                                   v->type == YAML_NODE_SCALAR ? "'" : "");
        *ret = b;
        return 1;
}

int parse_string(ParseContext *pc, const YamlNode *map, const char *key, bool required, char **ret) {
        const YamlNode *v = NULL;
        int r = parse_scalar(pc, map, key, required, &v);
        if (r <= 0)
                return r;
        char *s = strdup(v->scalar);
        if (!s)
                return -ENOMEM;
        free(*ret);
        *ret = s;
        return 1;
}

int parse_string_list(ParseContext *pc, const YamlNode *map, const char *key, bool required, char ***ret) {
        const YamlNode *v = NULL;
        int r = lookup(pc, map, key, required, &v);
        if (r <= 0)
                return r;
        if (v->type != YAML_NODE_SEQUENCE)
                return parse_error(pc, v, "'%s' must be a list of strings, got %s", key, node_kind(v));

        _cleanup_strv_free_ char **list = calloc(1, sizeof(char *));
        if (!list)
                return -ENOMEM;
        for (size_t i = 0; i < v->n_items; i++) {
                const YamlNode *item = v->items[i];
                r = require_scalar(pc, key, item, "a list of strings");
                if (r < 0)
                        return r;
                r = strv_extend(&list, item->scalar);
                if (r < 0)
                        return r;
        }
        strv_free(*ret);
        *ret = TAKE_PTR(list);
        return 1;
}

int parse_mode(ParseContext *pc, const YamlNode *map, const char *key, bool required, mode_t *ret) {
        const YamlNode *v = NULL;
        int r = lookup(pc, map, key, required, &v);
        if (r <= 0)
                return r;
        r = require_scalar(pc, key, v, "an octal mode such as \"0644\"");
        if (r < 0)
                return r;

        /* The digits are read as octal whatever YAML would make of them: a plain 0644 is octal
         * in YAML 1.1 and decimal in 1.2, and 644 means 0644 to everyone who writes chmod. */
        const char *s = v->scalar;
        if (v->plain && startswith(s, "0o"))
                s += 2;
        size_t n = strlen(s);
        mode_t mode = 0;
        bool valid = n > 0 && n <= 5;
        for (size_t i = 0; valid && i < n; i++) {
                if (s[i] < '0' || s[i] > '7')
                        valid = false;
                else
                        mode = mode * 8 + (mode_t) (s[i] - '0');
        }
        if (!valid)
                return parse_error(pc, v, "'%s' must be an octal mode such as \"0644\", got '%s'", key, v->scalar);
        if (mode > 07777)
                return parse_error(pc, v, "'%s' is larger than 07777: '%s'", key, v->scalar);
        *ret = mode;
        return 1;
}
