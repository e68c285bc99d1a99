/* SPDX-License-Identifier: MIT */
/*
 * YAML to YamlNode tree through libyaml's event API. The event API (rather than the document
 * API) lets us refuse aliases, odd tags and excessive nesting before anything is built, and keeps
 * the start mark of every node for error messages.
 */
#include "remedy/yaml-node.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

DEFINE_TRIVIAL_CLEANUP_FUNC(yaml_parser_t *, yaml_parser_delete);

static void yaml_node_free(YamlNode *n) {
        if (!n)
                return;
        free(n->scalar);
        for (size_t i = 0; i < n->n_items; i++)
                yaml_node_free(n->items[i]);
        free(n->items);
        for (size_t i = 0; i < n->n_pairs; i++) {
                yaml_node_free(n->pairs[i].key);
                yaml_node_free(n->pairs[i].value);
        }
        free(n->pairs);
        free(n);
}

YamlDocument *yaml_document_free(YamlDocument *d) {
        if (!d)
                return NULL;
        yaml_node_free(d->root);
        free(d->file);
        free(d);
        return NULL;
}

/* Line and column (1-based, column in characters) of a byte offset, for errors found on bytes
 * rather than on libyaml marks. */
static Mark mark_at_offset(const char *file, const char *data, size_t size, size_t offset) {
        Mark m = { .file = file, .line = 1, .column = 1 };
        for (size_t i = 0; i < offset && i < size; i++) {
                unsigned char c = (unsigned char) data[i];
                if (c == '\n') {
                        m.line++;
                        m.column = 1;
                } else if ((c & 0xC0) != 0x80)   /* count lead bytes only: one per character */
                        m.column++;
        }
        return m;
}

static Mark mark_from_yaml(const char *file, yaml_mark_t ym) {
        return (Mark) { .file = file, .line = (unsigned) ym.line + 1, .column = (unsigned) ym.column + 1 };
}

_printf_(4, 5) static int set_error(char **ret_error, int err, Mark m, const char *fmt, ...) {
        _cleanup_free_ char *reason = NULL;
        va_list ap;

        va_start(ap, fmt);
        int k = vasprintf(&reason, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        if (ret_error) {
                free(*ret_error);
                *ret_error = NULL;
                if (asprintf(ret_error, "%s:%u:%u: %s", m.file, m.line, m.column, reason) < 0) {
                        *ret_error = NULL;
                        return -ENOMEM;
                }
        }
        return err;
}

/* Returns the offset of the first byte that is not valid UTF-8 (or is NUL), or size. Refuses
 * overlong forms, surrogates and code points above U+10FFFF, as RFC 3629 does. */
static size_t utf8_first_invalid(const char *data, size_t size, bool *ret_nul) {
        const unsigned char *s = (const unsigned char *) data;
        size_t i = 0;

        *ret_nul = false;
        while (i < size) {
                unsigned char c = s[i];
                size_t len;
                uint32_t cp;

                if (c == 0) {
                        *ret_nul = true;
                        return i;
                }
                if (c < 0x80) {
                        i++;
                        continue;
                }
                if ((c & 0xE0) == 0xC0) {
                        len = 2;
                        cp = c & 0x1F;
                } else if ((c & 0xF0) == 0xE0) {
                        len = 3;
                        cp = c & 0x0F;
                } else if ((c & 0xF8) == 0xF0) {
                        len = 4;
                        cp = c & 0x07;
                } else
                        return i;
                if (size - i < len)
                        return i;
                for (size_t k = 1; k < len; k++) {
                        if ((s[i + k] & 0xC0) != 0x80)
                                return i;
                        cp = (cp << 6) | (s[i + k] & 0x3F);
                }
                if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
                    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                        return i;
                i += len;
        }
        return size;
}

#define CORE_TAG_PREFIX "tag:yaml.org,2002:"

/* Only the core schema's tags are accepted: anything else would ask the reader to construct a
 * type we do not have, and "!" makes a plain scalar a string without saying so. */
static bool tag_is_core(const char *tag, YamlNodeType type) {
        const char *t = startswith(tag, CORE_TAG_PREFIX);
        if (!t)
                return false;
        switch (type) {
        case YAML_NODE_SCALAR:
                return streq(t, "str") || streq(t, "int") || streq(t, "bool") || streq(t, "float") || streq(t, "null");
        case YAML_NODE_SEQUENCE:
                return streq(t, "seq");
        case YAML_NODE_MAPPING:
                return streq(t, "map");
        }
        return false;
}

typedef struct Builder {
        const char *file;
        YamlDocument *doc;
        YamlNode *stack[YAML_MAX_DEPTH];
        size_t depth;
        bool seen_document;
        char **ret_error;
} Builder;

static bool scalar_equal(const YamlNode *a, const YamlNode *b) {
        return a->size == b->size && memcmp(a->scalar, b->scalar, a->size) == 0;
}

/* Attaches a new node to the current collection (or makes it the root). The node is owned by
 * the tree from here on. */
static int builder_attach(Builder *b, YamlNode *n) {
        if (b->depth == 0) {
                b->doc->root = n;
                return 0;
        }

        YamlNode *parent = b->stack[b->depth - 1];
        if (parent->type == YAML_NODE_SEQUENCE) {
                YamlNode **items = realloc(parent->items, (parent->n_items + 1) * sizeof(YamlNode *));
                if (!items) {
                        yaml_node_free(n);
                        return -ENOMEM;
                }
                parent->items = items;
                parent->items[parent->n_items++] = n;
                return 0;
        }

        /* A mapping: a key opens a pair, the next node is its value. */
        if (parent->n_pairs > 0 && !parent->pairs[parent->n_pairs - 1].value) {
                parent->pairs[parent->n_pairs - 1].value = n;
                return 0;
        }

        if (n->type != YAML_NODE_SCALAR) {
                Mark m = n->mark;
                yaml_node_free(n);
                return set_error(b->ret_error, -EBADMSG, m, "mapping keys must be scalars");
        }
        for (size_t i = 0; i < parent->n_pairs; i++)
                if (scalar_equal(parent->pairs[i].key, n)) {
                        Mark m = n->mark, first = parent->pairs[i].key->mark;
                        int r = set_error(b->ret_error, -EBADMSG, m, "duplicate key '%s' (first at line %u)",
                                          n->scalar, first.line);
                        yaml_node_free(n);
                        return r;
                }

        YamlPair *pairs = realloc(parent->pairs, (parent->n_pairs + 1) * sizeof(YamlPair));
        if (!pairs) {
                yaml_node_free(n);
                return -ENOMEM;
        }
        parent->pairs = pairs;
        parent->pairs[parent->n_pairs++] = (YamlPair) { .key = n };
        return 0;
}

static int builder_check_node(Builder *b, Mark m, const yaml_char_t *anchor, const yaml_char_t *tag,
                              YamlNodeType type) {
        if (anchor)
                return set_error(b->ret_error, -EBADMSG, m, "anchors (&%s) are not allowed in playbooks",
                                 (const char *) anchor);
        if (tag && !tag_is_core((const char *) tag, type))
                return set_error(b->ret_error, -EBADMSG, m, "tag '%s' is not allowed (only the core schema's)",
                                 (const char *) tag);
        return 0;
}

static int builder_scalar(Builder *b, const yaml_event_t *e) {
        Mark m = mark_from_yaml(b->file, e->start_mark);
        const char *tag = (const char *) e->data.scalar.tag;
        int r;

        r = builder_check_node(b, m, e->data.scalar.anchor, e->data.scalar.tag, YAML_NODE_SCALAR);
        if (r < 0)
                return r;

        YamlNode *n = calloc(1, sizeof(YamlNode));
        if (!n)
                return -ENOMEM;
        n->type = YAML_NODE_SCALAR;
        n->mark = m;
        n->size = e->data.scalar.length;
        n->scalar = malloc(n->size + 1);
        if (!n->scalar) {
                free(n);
                return -ENOMEM;
        }
        memcpy(n->scalar, e->data.scalar.value, n->size);
        n->scalar[n->size] = 0;

        yaml_scalar_style_t style = e->data.scalar.style;
        n->plain = style == YAML_PLAIN_SCALAR_STYLE;
        n->block = style == YAML_LITERAL_SCALAR_STYLE || style == YAML_FOLDED_SCALAR_STYLE;
        /* An explicit core tag decides over the style: !!str 10 is a string, !!int "10" a number. */
        if (tag)
                n->plain = !streq(tag, CORE_TAG_PREFIX "str");

        return builder_attach(b, n);
}

static int builder_start_collection(Builder *b, const yaml_event_t *e, YamlNodeType type) {
        Mark m = mark_from_yaml(b->file, e->start_mark);
        const yaml_char_t *anchor, *tag;
        int r;

        if (type == YAML_NODE_SEQUENCE) {
                anchor = e->data.sequence_start.anchor;
                tag = e->data.sequence_start.tag;
        } else {
                anchor = e->data.mapping_start.anchor;
                tag = e->data.mapping_start.tag;
        }
        r = builder_check_node(b, m, anchor, tag, type);
        if (r < 0)
                return r;
        if (b->depth >= YAML_MAX_DEPTH)
                return set_error(b->ret_error, -ELOOP, m, "nesting deeper than %u levels", YAML_MAX_DEPTH);

        YamlNode *n = calloc(1, sizeof(YamlNode));
        if (!n)
                return -ENOMEM;
        n->type = type;
        n->mark = m;
        r = builder_attach(b, n);
        if (r < 0)
                return r;
        b->stack[b->depth++] = n;
        return 0;
}

static int builder_event(Builder *b, const yaml_event_t *e) {
        Mark m = mark_from_yaml(b->file, e->start_mark);

        switch (e->type) {
        case YAML_DOCUMENT_START_EVENT:
                if (b->seen_document)
                        return set_error(b->ret_error, -EBADMSG, m,
                                         "a second document: a playbook file holds exactly one");
                b->seen_document = true;
                return 0;
        case YAML_ALIAS_EVENT:
                return set_error(b->ret_error, -EBADMSG, m, "aliases (*%s) are not allowed in playbooks",
                                 (const char *) e->data.alias.anchor);
        case YAML_SCALAR_EVENT:
                return builder_scalar(b, e);
        case YAML_SEQUENCE_START_EVENT:
                return builder_start_collection(b, e, YAML_NODE_SEQUENCE);
        case YAML_MAPPING_START_EVENT:
                return builder_start_collection(b, e, YAML_NODE_MAPPING);
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
                if (b->depth > 0)
                        b->depth--;
                return 0;
        default:
                return 0;
        }
}

static int parser_error(yaml_parser_t *p, const char *file, const char *data, size_t size, char **ret_error) {
        const char *problem = p->problem ?: "invalid YAML";

        /* Reader errors (bad encoding, control characters) carry a byte offset, not a mark. */
        if (p->error == YAML_READER_ERROR)
                return set_error(ret_error, -EBADMSG, mark_at_offset(file, data, size, p->problem_offset), "%s",
                                 problem);
        if (p->error == YAML_MEMORY_ERROR)
                return -ENOMEM;

        Mark m = mark_from_yaml(file, p->problem_mark);
        if (p->context)
                return set_error(ret_error, -EBADMSG, m, "%s (%s at %zu:%zu)", problem, p->context,
                                 p->context_mark.line + 1, p->context_mark.column + 1);
        return set_error(ret_error, -EBADMSG, m, "%s", problem);
}

int yaml_document_parse(const char *file, const char *data, size_t size, YamlDocument **ret, char **ret_error) {
        _cleanup_(yaml_document_freep) YamlDocument *doc = NULL;
        yaml_parser_t parser;
        _cleanup_(yaml_parser_deletep) yaml_parser_t *parser_cleanup = NULL;
        bool nul;
        int r;

        if (ret_error)
                *ret_error = NULL;

        doc = calloc(1, sizeof(YamlDocument));
        if (!doc)
                return -ENOMEM;
        doc->file = strdup(file);
        if (!doc->file)
                return -ENOMEM;
        file = doc->file;

        if (size > YAML_MAX_SIZE)
                return set_error(ret_error, -E2BIG, (Mark) { file, 1, 1 },
                                 "%zu bytes is more than the %u a playbook may have", size, YAML_MAX_SIZE);

        /* libyaml skips a BOM itself, but our byte-offset marks are simpler without it. */
        if (size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
                data += 3;
                size -= 3;
        }

        size_t bad = utf8_first_invalid(data, size, &nul);
        if (bad < size)
                return set_error(ret_error, -EBADMSG, mark_at_offset(file, data, size, bad), "%s",
                                 nul ? "NUL byte in a YAML file" : "invalid UTF-8");

        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        parser_cleanup = &parser;
        yaml_parser_set_input_string(&parser, (const unsigned char *) data, size);
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);

        Builder b = { .file = file, .doc = doc, .ret_error = ret_error };
        for (;;) {
                yaml_event_t event;

                if (!yaml_parser_parse(&parser, &event))
                        return parser_error(&parser, file, data, size, ret_error);
                r = builder_event(&b, &event);
                bool end = event.type == YAML_STREAM_END_EVENT;
                yaml_event_delete(&event);
                if (r < 0)
                        return r;
                if (end)
                        break;
        }

        *ret = TAKE_PTR(doc);
        return 0;
}

const YamlNode *yaml_node_get_key(const YamlNode *map, const char *key) {
        if (!map || map->type != YAML_NODE_MAPPING)
                return NULL;
        size_t len = strlen(key);
        for (size_t i = 0; i < map->n_pairs; i++)
                if (map->pairs[i].key->size == len && memcmp(map->pairs[i].key->scalar, key, len) == 0)
                        return map->pairs[i].key;
        return NULL;
}

const YamlNode *yaml_node_get(const YamlNode *map, const char *key) {
        if (!map || map->type != YAML_NODE_MAPPING)
                return NULL;
        size_t len = strlen(key);
        for (size_t i = 0; i < map->n_pairs; i++)
                if (map->pairs[i].key->size == len && memcmp(map->pairs[i].key->scalar, key, len) == 0)
                        return map->pairs[i].value;
        return NULL;
}

const char *yaml_node_type_name(YamlNodeType t) {
        switch (t) {
        case YAML_NODE_SCALAR:
                return "scalar";
        case YAML_NODE_SEQUENCE:
                return "sequence";
        case YAML_NODE_MAPPING:
                return "mapping";
        }
        return "unknown";
}

int yaml_node_bool(const YamlNode *n) {
        if (!n || n->type != YAML_NODE_SCALAR || !n->plain)
                return -EINVAL;
        if (streq(n->scalar, "true") || streq(n->scalar, "True") || streq(n->scalar, "TRUE"))
                return 1;
        if (streq(n->scalar, "false") || streq(n->scalar, "False") || streq(n->scalar, "FALSE"))
                return 0;
        return -EINVAL;
}

bool yaml_node_is_null(const YamlNode *n) {
        if (!n)
                return true;
        if (n->type != YAML_NODE_SCALAR || !n->plain)
                return false;
        return n->size == 0 || streq(n->scalar, "~") || streq(n->scalar, "null") || streq(n->scalar, "Null") ||
               streq(n->scalar, "NULL");
}
