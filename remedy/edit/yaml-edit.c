/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <yaml.h>

#include "remedy/macro.h"
#include "remedy/strv.h"
#include "remedy/yaml-edit.h"
#include "yaml-edit-tree.h"

static const char *node_kind_name(const Node *n) {
        switch (n->kind) {
        case NODE_SCALAR:
                return n->style == YAML_PLAIN_SCALAR_STYLE && n->length == 0 ? "empty" : "a scalar";
        case NODE_SEQUENCE:
                return "a sequence";
        case NODE_MAPPING:
                return "a mapping";
        case NODE_ALIAS:
                return "an alias";
        }
        return "unknown";
}

/* "a.b.c"; a key holding dots is quoted: evictionHard."nodefs.available". */
static int keypath_split(const char *keypath, char ***ret) {
        _cleanup_strv_free_ char **components = NULL;
        int r;

        for (const char *p = keypath;;) {
                bool quoted = *p == '"';
                size_t n = quoted ? strcspn(p + 1, "\"") : strcspn(p, ".");
                const char *next = p + n + 2 * quoted;
                char *c;

                if (n == 0 || (quoted && p[n + 1] != '"') || (*next != '.' && *next != '\0'))
                        return -EINVAL;
                c = strndup(p + quoted, n);
                if (!c)
                        return -ENOMEM;
                r = strv_consume(&components, c);
                if (r < 0)
                        return r;
                if (*next == '\0')
                        break;
                p = next + 1;
        }
        *ret = TAKE_PTR(components);
        return 0;
}

/* The first n components joined with dots (for errors), or the path with separators no key
 * holds (for comparing flattened documents). */
static char *keypath_join(char **components, size_t n, const char *separator, const char *lead) {
        _cleanup_free_ char *s = strdup(lead);

        for (size_t i = 0; s && i < n; i++) {
                char *t = NULL;
                if (asprintf(&t, "%s%s%s", s, i > 0 ? separator : "", components[i]) < 0)
                        return NULL;
                free(s);
                s = t;
        }
        return TAKE_PTR(s);
}

typedef struct Lookup {
        Node *mapping;        /* the deepest mapping reached on the path */
        size_t found;         /* how many components exist */
        Node *target;         /* the value at the whole path, or NULL */
} Lookup;

static int lookup(Node *root, char **components, Lookup *ret, char **ret_error) {
        size_t n = strv_length(components);
        Node *m = root;

        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *where = NULL;
                Node *value = NULL;

                where = i == 0 ? strdup("the top level") : keypath_join(components, i, ".", "");
                if (!where)
                        return -ENOMEM;
                if (m->kind != NODE_MAPPING)
                        return yaml_edit_error(ret_error, -EINVAL, &m->start, "%s%s%s is %s, not a mapping",
                                               i > 0 ? "\"" : "", where, i > 0 ? "\"" : "", node_kind_name(m));

                for (size_t j = 0; j + 1 < m->n_items; j += 2) {
                        const Node *key = m->items[j];

                        if (key->kind != NODE_SCALAR || !streq(key->value, components[i]) ||
                            key->length != strlen(key->value))
                                continue;
                        /* Which of two equal keys wins differs between parsers. */
                        if (value)
                                return yaml_edit_error(ret_error, -EINVAL, &key->start, "duplicate key \"%s\"",
                                                       components[i]);
                        value = m->items[j + 1];
                }
                if (!value) {
                        *ret = (Lookup) { .mapping = m, .found = i };
                        return 0;
                }
                if (value->kind == NODE_ALIAS)
                        return yaml_edit_error(ret_error, -EINVAL, &value->start,
                                               "the value of \"%s\" is an alias, not editing through it",
                                               components[i]);
                if (i + 1 == n) {
                        *ret = (Lookup) { .mapping = m, .found = n, .target = value };
                        return 0;
                }
                m = value;
        }
        return -EINVAL;
}

static bool node_is_null_document(const Node *n) {
        return !n || (n->kind == NODE_SCALAR && n->style == YAML_PLAIN_SCALAR_STYLE && n->length == 0 && !n->tag &&
                      !n->anchored);
}

/* Where a node's text ends, including its nested block content. */
static size_t node_last_end(const Node *n) {
        while ((n->kind == NODE_MAPPING || n->kind == NODE_SEQUENCE) && !n->flow && n->n_items > 0)
                n = n->items[n->n_items - 1];
        return n->end.offset;
}

/* The start of the line after offset p, so that a trailing comment stays with its value. A block
 * scalar ends at the start of the next line (or among its indentation): that line, then. */
static size_t line_after(const char *data, size_t size, size_t p) {
        size_t line_start = p, spaces = 0;
        const char *nl;

        while (line_start > 0 && data[line_start - 1] != '\n')
                line_start--;
        while (line_start + spaces < p && data[line_start + spaces] == ' ')
                spaces++;
        if (line_start + spaces == p)
                return line_start;
        nl = memchr(data + p, '\n', size - p);
        return nl ? (size_t) (nl - data) + 1 : size;
}

static const char *detect_eol(const char *data, size_t size) {
        const char *nl = memchr(data, '\n', size);
        return nl && nl > data && nl[-1] == '\r' ? "\r\n" : "\n";
}

/* How far the file indents a nested block mapping under its key (kubeadm: 2). */
static unsigned detect_indent_step(const Node *n) {
        if (n->kind != NODE_MAPPING && n->kind != NODE_SEQUENCE)
                return 0;
        for (size_t i = 0; i < n->n_items; i++) {
                const Node *item = n->items[i];
                unsigned step;

                if (n->kind == NODE_MAPPING && !n->flow && i % 2 == 1 && item->kind == NODE_MAPPING &&
                    !item->flow && item->n_items > 0 && item->items[0]->start.column > n->items[i - 1]->start.column)
                        return item->items[0]->start.column - n->items[i - 1]->start.column;
                step = detect_indent_step(item);
                if (step > 0)
                        return step;
        }
        return 0;
}

/*
 * A JSON document (EKS writes the kubelet's configuration as JSON): a flow mapping whose keys are
 * double-quoted. YAML reads JSON, but what is inserted must stay JSON: keys and strings
 * double-quoted, new mappings as {"key": value}.
 */
static bool tree_is_json(const Tree *t) {
        const Node *r = t->root;
        /* "{}" alone says nothing either way: YAML it stays */
        return r && r->kind == NODE_MAPPING && r->flow && r->n_items > 0 &&
               r->items[0]->style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
}

static int format_key(const char *key, bool in_flow, bool json, char **ret) {
        EditValue v = { .type = EDIT_VALUE_STRING, .text = key };
        return edit_value_yaml_format(&v, json ? EDIT_YAML_DOUBLE_QUOTED : EDIT_YAML_PLAIN, in_flow, ret);
}

/* "a:\n  b: value\n" for the components from `from` on. */
static int write_block(FILE *f, char **components, size_t from, unsigned indent, unsigned step, const char *value,
                       const char *eol) {
        for (size_t i = from; components[i]; i++, indent += step) {
                _cleanup_free_ char *key = NULL;
                int r = format_key(components[i], false, false, &key);
                if (r < 0)
                        return r;
                fprintf(f, "%*s%s:%s%s%s", (int) indent, "", key, components[i + 1] ? "" : " ",
                        components[i + 1] ? "" : value, eol);
        }
        return 0;
}

/* "a: {b: value}", or in JSON "\"a\": {\"b\": value}" */
static int write_flow(FILE *f, char **components, size_t from, const char *value, bool json) {
        size_t depth = 0;

        for (size_t i = from; components[i]; i++) {
                _cleanup_free_ char *key = NULL;
                int r = format_key(components[i], true, json, &key);
                if (r < 0)
                        return r;
                fprintf(f, "%s: %s", key, components[i + 1] ? "{" : value);
                depth += !!components[i + 1];
        }
        while (depth-- > 0)
                fputc('}', f);
        return 0;
}

typedef struct Splice {
        size_t start, end;    /* the byte range replaced */
        char *text;
} Splice;

static void splice_done(Splice *s) {
        free(s->text);
        s->text = NULL;
}

static int memstream_finish(FILE *f, char **buf, char **ret) {
        if (fflush(f) != 0 || ferror(f)) {
                fclose(f);
                return -ENOMEM;
        }
        fclose(f);
        *ret = TAKE_PTR(*buf);
        return 0;
}

static int plan_insert(const char *data, size_t size, const Tree *tree, char **components, const Lookup *found,
                       const EditValue *v, Splice *ret) {
        const Node *m = found->mapping;
        _cleanup_free_ char *value = NULL, *buf = NULL;
        const char *eol = detect_eol(data, size);
        size_t bufsize = 0;
        FILE *f;
        int r;

        bool json = tree_is_json(tree);
        r = edit_value_yaml_format(v, json ? EDIT_YAML_DOUBLE_QUOTED : EDIT_YAML_PLAIN, m && m->flow, &value);
        if (r < 0)
                return r;
        f = open_memstream(&buf, &bufsize);
        if (!f)
                return -ENOMEM;

        if (!m) {
                /* Empty or only comments: the key starts the document. */
                ret->start = ret->end = size;
                if (size > tree->bom && data[size - 1] != '\n')
                        fputs(eol, f);
                r = write_block(f, components, 0, 0, 2, value, eol);
        } else if (m->flow) {
                if (m->n_items > 0) {
                        const Node *last_key = m->items[m->n_items - 2];
                        ret->start = ret->end = node_last_end(m->items[m->n_items - 1]);
                        if (json && last_key->start.line > m->start.line)
                                /* one entry a line, as pretty-printed JSON has it: a line of its own */
                                fprintf(f, ",%s%*s", eol, (int) last_key->start.column - 1, "");
                        else
                                fputs(", ", f);
                } else
                        ret->start = ret->end = m->close.offset;
                r = write_flow(f, components, found->found, value, json);
        } else {
                unsigned step = detect_indent_step(tree->root);

                ret->start = ret->end = line_after(data, size, node_last_end(m->items[m->n_items - 1]));
                if (ret->start == size && data[size - 1] != '\n')
                        fputs(eol, f);
                r = write_block(f, components, found->found, m->items[0]->start.column - 1, step > 0 ? step : 2,
                                value, eol);
        }
        if (r < 0) {
                fclose(f);
                return r;
        }
        return memstream_finish(f, &buf, &ret->text);
}

static int plan_replace(const char *data, const Lookup *found, const EditValue *v, Splice *ret) {
        const Node *old = found->target;
        _cleanup_free_ char *value = NULL;
        EditYamlQuoting quoting = old->style == YAML_SINGLE_QUOTED_SCALAR_STYLE   ? EDIT_YAML_SINGLE_QUOTED
                                  : old->style == YAML_DOUBLE_QUOTED_SCALAR_STYLE ? EDIT_YAML_DOUBLE_QUOTED
                                                                                  : EDIT_YAML_PLAIN;
        const char *prefix = "";
        int r;

        r = edit_value_yaml_format(v, quoting, found->mapping->flow, &value);
        if (r < 0)
                return r;

        /* An empty value sits right after the ':' ("key:"), or after a bare flow key ("{key}"). */
        if (old->start.offset == old->end.offset && old->start.offset > 0) {
                char before = data[old->start.offset - 1];
                prefix = before == ':' ? " " : strchr(" \t\r\n", before) ? "" : ": ";
        }
        if (asprintf(&ret->text, "%s%s", prefix, value) < 0)
                return -ENOMEM;
        ret->start = old->start.offset;
        ret->end = old->end.offset;
        return 0;
}

typedef struct Entry {
        char *path;
        const Node *node;
} Entry;

typedef struct Flat {
        Entry *entries;
        size_t n;
} Flat;

static void flat_done(Flat *f) {
        for (size_t i = 0; i < f->n; i++)
                free(f->entries[i].path);
        free(f->entries);
        *f = (Flat) {};
}

/* Every leaf (scalar, alias, empty collection) with its path. Paths use \x1f between keys, which no
 * kubelet key holds, so that keys with dots compare right too. */
static int flatten(const Node *n, const char *path, Flat *f) {
        Entry *entries;
        char *copy;
        int r;

        if ((n->kind == NODE_MAPPING || n->kind == NODE_SEQUENCE) && n->n_items > 0) {
                bool mapping = n->kind == NODE_MAPPING;

                for (size_t i = 0; i + mapping < n->n_items; i += 1 + mapping) {
                        _cleanup_free_ char *child = NULL;
                        const Node *key = n->items[i];

                        if ((mapping ? asprintf(&child, "%s\x1f%s", path, key->kind == NODE_SCALAR ? key->value : "?")
                                     : asprintf(&child, "%s\x1f[%zu]", path, i)) < 0)
                                return -ENOMEM;
                        r = flatten(n->items[i + mapping], child, f);
                        if (r < 0)
                                return r;
                }
                return 0;
        }

        entries = reallocarray(f->entries, f->n + 1, sizeof(Entry));
        if (!entries)
                return -ENOMEM;
        f->entries = entries;
        copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        f->entries[f->n++] = (Entry) { .path = copy, .node = n };
        return 0;
}

static bool leaf_same(const Node *a, const Node *b) {
        if (a->kind != b->kind)
                return false;
        if (a->kind != NODE_SCALAR)
                return true;
        return a->style == b->style && streq_ptr(a->tag, b->tag) && a->length == b->length &&
               memcmp(a->value, b->value, a->length) == 0;
}

/* The target and its parents (an empty "memorySwap: {}" before the insert) may differ. */
static bool entry_compared(const Entry *e, const char *target) {
        size_t l = strlen(e->path);
        return !streq(e->path, target) && !(strncmp(target, e->path, l) == 0 && target[l] == '\x1f');
}

static const Entry *flat_next(const Flat *f, size_t *i, const char *target) {
        for (; *i < f->n; (*i)++)
                if (entry_compared(&f->entries[*i], target))
                        return &f->entries[(*i)++];
        return NULL;
}

/* Parses the edited text again: it must parse, read the value back, and differ from the original
 * in nothing else. This guards the splicing above against every case it did not foresee. */
static int verify_edit(const Tree *before, const char *data, size_t size, char **components, const EditValue *v,
                       const Pos *at, char **ret_error) {
        _cleanup_free_ char *error = NULL, *target = NULL;
        _cleanup_(yaml_edit_tree_done) Tree after = {};
        _cleanup_(flat_done) Flat flat_before = {}, flat_after = {};
        Lookup found = {};
        size_t i = 0, j = 0;
        int r;

        r = yaml_edit_tree_load(data, size, &after, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return yaml_edit_error(ret_error, -EINVAL, at, "the edited file would not parse (%s), not writing it",
                                       strempty(error));
        r = after.root ? lookup(after.root, components, &found, &error) : -EINVAL;
        if (r == -ENOMEM)
                return r;
        if (r < 0 || !found.target || found.target->kind != NODE_SCALAR ||
            !edit_value_yaml_equal(v, found.target->value, found.target->length,
                                   found.target->style == YAML_PLAIN_SCALAR_STYLE, found.target->tag))
                return yaml_edit_error(ret_error, -EINVAL, at,
                                       "the edited file would not read back the value written, not writing it");

        target = keypath_join(components, strv_length(components), "\x1f", "\x1f");
        if (!target)
                return -ENOMEM;
        if ((before->root && (r = flatten(before->root, "", &flat_before)) < 0) ||
            (r = flatten(after.root, "", &flat_after)) < 0)
                return r;
        for (;;) {
                const Entry *a = flat_next(&flat_before, &i, target), *b = flat_next(&flat_after, &j, target);

                if (!a && !b)
                        return 0;
                if (!a || !b || !streq(a->path, b->path) || !leaf_same(a->node, b->node))
                        return yaml_edit_error(ret_error, -EINVAL, b ? &b->node->start : at,
                                               "the edit would change more than the key, not writing it");
        }
}

static int plan_edit(const char *data, size_t size, const Tree *tree, char **components, const EditValue *v,
                     Splice *ret, Pos *ret_at, char **ret_error) {
        Lookup found = {};
        const Node *old;
        int r;

        if (node_is_null_document(tree->root)) {
                *ret_at = (Pos) { .line = 1, .column = 1 };
                return plan_insert(data, size, tree, components, &found, v, ret);
        }

        r = lookup(tree->root, components, &found, ret_error);
        if (r < 0)
                return r;
        if (!found.target) {
                *ret_at = found.mapping->start;
                return plan_insert(data, size, tree, components, &found, v, ret);
        }

        old = found.target;
        *ret_at = old->start;
        if (old->kind != NODE_SCALAR)
                return yaml_edit_error(ret_error, -EINVAL, &old->start, "\"%s\" is %s, not a scalar",
                                       components[found.found - 1], node_kind_name(old));
        if (old->anchored)
                return yaml_edit_error(ret_error, -EINVAL, &old->start,
                                       "the value of \"%s\" has an anchor, not editing it",
                                       components[found.found - 1]);
        if (old->style == YAML_LITERAL_SCALAR_STYLE || old->style == YAML_FOLDED_SCALAR_STYLE)
                return yaml_edit_error(ret_error, -EINVAL, &old->start,
                                       "the value of \"%s\" is a block scalar, not editing it",
                                       components[found.found - 1]);
        if (edit_value_yaml_equal(v, old->value, old->length, old->style == YAML_PLAIN_SCALAR_STYLE, old->tag))
                return 0;

        r = plan_replace(data, &found, v, ret);
        return r < 0 ? r : 1;
}

static int check_arguments(const char *keypath, const EditValue *v, char ***ret_components, char **ret_error) {
        int r;

        r = edit_value_check(v);
        if (r < 0)
                return yaml_edit_error(ret_error, r, NULL, "\"%s\" is not a valid %s value",
                                       v && v->text ? v->text : "", v ? strempty(edit_value_type_name(v->type)) : "");
        r = keypath ? keypath_split(keypath, ret_components) : -EINVAL;
        if (r == -EINVAL)
                return yaml_edit_error(ret_error, r, NULL, "invalid key path \"%s\"", strempty(keypath));
        return r;
}

int yaml_edit_set(const char *data, size_t size, const char *keypath, const EditValue *value, char **ret_data,
                  size_t *ret_size, char **ret_error) {
        _cleanup_strv_free_ char **components = NULL;
        _cleanup_(yaml_edit_tree_done) Tree tree = {};
        _cleanup_(splice_done) Splice splice = {};
        _cleanup_free_ char *edited = NULL;
        size_t text_size, edited_size;
        Pos at = {};
        int r;

        r = check_arguments(keypath, value, &components, ret_error);
        if (r < 0)
                return r;
        r = yaml_edit_tree_load(data, size, &tree, ret_error);
        if (r < 0)
                return r;

        r = plan_edit(data, size, &tree, components, value, &splice, &at, ret_error);
        if (r < 0)
                return r;
        if (!splice.text) {
                *ret_data = NULL;
                if (ret_size)
                        *ret_size = 0;
                return 0;
        }

        text_size = strlen(splice.text);
        edited_size = size - (splice.end - splice.start) + text_size;
        edited = malloc(edited_size + 1);
        if (!edited)
                return -ENOMEM;
        memcpy(edited, data, splice.start);
        memcpy(edited + splice.start, splice.text, text_size);
        memcpy(edited + splice.start + text_size, data + splice.end, size - splice.end);
        edited[edited_size] = '\0';

        r = verify_edit(&tree, edited, edited_size, components, value, &at, ret_error);
        if (r < 0)
                return r;

        *ret_data = TAKE_PTR(edited);
        if (ret_size)
                *ret_size = edited_size;
        return 1;
}

int yaml_edit_get(const char *data, size_t size, const char *keypath, char **ret_value, char **ret_error) {
        _cleanup_strv_free_ char **components = NULL;
        _cleanup_(yaml_edit_tree_done) Tree tree = {};
        Lookup found = {};
        char *copy;
        int r;

        r = keypath ? keypath_split(keypath, &components) : -EINVAL;
        if (r == -EINVAL)
                return yaml_edit_error(ret_error, r, NULL, "invalid key path \"%s\"", strempty(keypath));
        if (r < 0)
                return r;
        r = yaml_edit_tree_load(data, size, &tree, ret_error);
        if (r < 0)
                return r;
        if (node_is_null_document(tree.root))
                return 0;
        r = lookup(tree.root, components, &found, ret_error);
        if (r < 0)
                return r;
        if (!found.target)
                return 0;
        if (found.target->kind != NODE_SCALAR)
                return yaml_edit_error(ret_error, -EMEDIUMTYPE, &found.target->start, "\"%s\" is %s, not a scalar",
                                       keypath, node_kind_name(found.target));

        copy = malloc(found.target->length + 1);
        if (!copy)
                return -ENOMEM;
        memcpy(copy, found.target->value, found.target->length + 1);
        *ret_value = copy;
        return 1;
}

int yaml_edit_keypath_check(const char *keypath) {
        _cleanup_strv_free_ char **components = NULL;
        return keypath ? keypath_split(keypath, &components) : -EINVAL;
}
