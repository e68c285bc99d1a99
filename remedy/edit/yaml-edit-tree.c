/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <yaml.h>

#include "remedy/macro.h"
#include "remedy/yaml-node.h"
#include "yaml-edit-tree.h"

int yaml_edit_error(char **ret_error, int err, const Pos *at, const char *fmt, ...) {
        _cleanup_free_ char *reason = NULL;
        va_list ap;
        int r;

        if (!ret_error || *ret_error)
                return err;
        va_start(ap, fmt);
        r = vasprintf(&reason, fmt, ap);
        va_end(ap);
        if (r < 0 || (at ? asprintf(ret_error, "%u:%u: %s", at->line, at->column, reason)
                         : asprintf(ret_error, "%s", reason)) < 0) {
                *ret_error = NULL;
                return -ENOMEM;
        }
        return err;
}

static Node *node_free(Node *n) {
        if (!n)
                return NULL;
        for (size_t i = 0; i < n->n_items; i++)
                node_free(n->items[i]);
        free(n->items);
        free(n->value);
        free(n->tag);
        free(n);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Node *, node_free);

void yaml_edit_tree_done(Tree *t) {
        t->root = node_free(t->root);
}

/* libyaml's mark.index counts characters from after the BOM; we splice bytes. Events arrive in
 * nearly increasing order, so one cursor walked both ways keeps the conversion linear. */
typedef struct Loader {
        yaml_parser_t parser;
        const char *text;           /* after the BOM */
        size_t size;
        size_t bom;
        size_t chars, bytes;        /* the cursor */
        char **error;
} Loader;

static bool utf8_continuation(char c) {
        return ((unsigned char) c & 0xC0) == 0x80;
}

static Pos loader_pos(Loader *l, const yaml_mark_t *m) {
        while (l->chars < m->index && l->bytes < l->size) {
                do
                        l->bytes++;
                while (l->bytes < l->size && utf8_continuation(l->text[l->bytes]));
                l->chars++;
        }
        while (l->chars > m->index && l->bytes > 0) {
                do
                        l->bytes--;
                while (l->bytes > 0 && utf8_continuation(l->text[l->bytes]));
                l->chars--;
        }
        return (Pos) { .offset = l->bom + l->bytes, .line = m->line + 1, .column = m->column + 1 };
}

static int loader_next(Loader *l, yaml_event_t *ret) {
        if (!yaml_parser_parse(&l->parser, ret)) {
                Pos at = { .line = l->parser.problem_mark.line + 1, .column = l->parser.problem_mark.column + 1 };
                return yaml_edit_error(l->error, -EBADMSG, &at, "%s%s%s", strempty(l->parser.problem),
                                       l->parser.context ? " " : "", strempty(l->parser.context));
        }
        return 0;
}

static int node_append(Node *parent, Node *child) {
        Node **items = reallocarray(parent->items, parent->n_items + 1, sizeof(Node *));
        if (!items)
                return -ENOMEM;
        parent->items = items;
        parent->items[parent->n_items++] = child;
        return 0;
}

static int load_node(Loader *l, const yaml_event_t *event, unsigned depth, Node **ret) {
        _cleanup_(node_freep) Node *n = NULL;
        const yaml_char_t *tag = NULL, *anchor = NULL;
        yaml_event_type_t end_type;
        int r;

        n = calloc(1, sizeof(Node));
        if (!n)
                return -ENOMEM;
        n->start = loader_pos(l, &event->start_mark);
        n->end = loader_pos(l, &event->end_mark);

        switch (event->type) {
        case YAML_ALIAS_EVENT:
                n->kind = NODE_ALIAS;
                break;
        case YAML_SCALAR_EVENT:
                n->kind = NODE_SCALAR;
                n->style = event->data.scalar.style;
                n->length = event->data.scalar.length;
                n->value = malloc(n->length + 1);
                if (!n->value)
                        return -ENOMEM;
                memcpy(n->value, event->data.scalar.value, n->length);
                n->value[n->length] = '\0';
                tag = event->data.scalar.tag;
                anchor = event->data.scalar.anchor;
                break;
        case YAML_SEQUENCE_START_EVENT:
                n->kind = NODE_SEQUENCE;
                n->flow = event->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
                tag = event->data.sequence_start.tag;
                anchor = event->data.sequence_start.anchor;
                break;
        case YAML_MAPPING_START_EVENT:
                n->kind = NODE_MAPPING;
                n->flow = event->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
                tag = event->data.mapping_start.tag;
                anchor = event->data.mapping_start.anchor;
                break;
        default:
                return yaml_edit_error(l->error, -EBADMSG, &n->start, "unexpected YAML event");
        }

        n->anchored = anchor;
        if (tag) {
                n->tag = strdup((const char *) tag);
                if (!n->tag)
                        return -ENOMEM;
        }
        if (n->kind == NODE_SCALAR || n->kind == NODE_ALIAS) {
                *ret = TAKE_PTR(n);
                return 0;
        }

        /* libyaml 0.2.5 has no depth limit of its own. */
        if (depth >= YAML_MAX_DEPTH)
                return yaml_edit_error(l->error, -ELOOP, &n->start, "nesting deeper than %u levels",
                                       YAML_MAX_DEPTH);

        end_type = n->kind == NODE_MAPPING ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
        for (;;) {
                _cleanup_(yaml_event_delete) yaml_event_t child_event = {};
                _cleanup_(node_freep) Node *child = NULL;

                r = loader_next(l, &child_event);
                if (r < 0)
                        return r;
                if (child_event.type == end_type) {
                        n->close = loader_pos(l, &child_event.start_mark);
                        n->end = loader_pos(l, &child_event.end_mark);
                        break;
                }
                r = load_node(l, &child_event, depth + 1, &child);
                if (r < 0)
                        return r;
                r = node_append(n, child);
                if (r < 0)
                        return r;
                TAKE_PTR(child);
        }

        *ret = TAKE_PTR(n);
        return 0;
}

static bool has_prefix(const char *data, size_t size, const char *prefix) {
        size_t l = strlen(prefix);
        return size >= l && memcmp(data, prefix, l) == 0;
}

int yaml_edit_tree_load(const char *data, size_t size, Tree *ret, char **ret_error) {
        _cleanup_(node_freep) Node *root = NULL;
        static const Pos file_start = { .line = 1, .column = 1 };
        Loader l = { .error = ret_error };
        bool have_document = false;
        int r = 0;

        if (size > YAML_MAX_SIZE)
                return yaml_edit_error(ret_error, -E2BIG, &file_start, "file is larger than %u bytes",
                                       YAML_MAX_SIZE);
        /* The character-to-byte conversion assumes UTF-8; libyaml would decode these silently. */
        if (has_prefix(data, size, "\xff\xfe") || has_prefix(data, size, "\xfe\xff"))
                return yaml_edit_error(ret_error, -EBADMSG, &file_start, "UTF-16 files are not supported");
        if (memchr(data, 0, size))
                return yaml_edit_error(ret_error, -EBADMSG, &file_start,
                                       "file holds a NUL byte, it is not UTF-8 YAML");
        if (has_prefix(data, size, "\xef\xbb\xbf"))
                l.bom = 3;
        l.text = data + l.bom;
        l.size = size - l.bom;

        if (!yaml_parser_initialize(&l.parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&l.parser, (const unsigned char *) data, size);

        for (;;) {
                _cleanup_(yaml_event_delete) yaml_event_t event = {};

                r = loader_next(&l, &event);
                if (r < 0 || event.type == YAML_STREAM_END_EVENT)
                        break;
                if (event.type == YAML_DOCUMENT_START_EVENT) {
                        if (have_document) {
                                Pos at = loader_pos(&l, &event.start_mark);
                                r = yaml_edit_error(ret_error, -EINVAL, &at,
                                                    "file holds more than one YAML document, not editing it");
                                break;
                        }
                        have_document = true;
                } else if (event.type != YAML_STREAM_START_EVENT && event.type != YAML_DOCUMENT_END_EVENT) {
                        r = load_node(&l, &event, 0, &root);
                        if (r < 0)
                                break;
                }
        }
        yaml_parser_delete(&l.parser);
        if (r < 0)
                return r;

        ret->root = TAKE_PTR(root);
        ret->bom = l.bom;
        return 0;
}
