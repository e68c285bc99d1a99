/* SPDX-License-Identifier: MIT */
/*
 * Removing a key from a YAML (or JSON) file, every other byte kept: the key's lines in a block
 * mapping, the "key: value" and one comma in a flow mapping. A block mapping left empty goes with
 * its own key (featureGates: with its last gate), so that no "featureGates:" reading as null is
 * left behind. The edited text is parsed again and must equal the original but for that key.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/strv.h"
#include "remedy/yaml-edit.h"
#include "yaml-edit-tree.h"

/* "featureGates.KubeletCredentialProviders": plain components only (no quoted keys). */
static int split_plain(const char *keypath, char ***ret) {
        _cleanup_strv_free_ char **components = NULL;
        if (!keypath || !*keypath || strpbrk(keypath, "\"'"))
                return -EINVAL;
        for (const char *p = keypath;;) {
                size_t n = strcspn(p, ".");
                if (n == 0)
                        return -EINVAL;
                if (strv_consume(&components, strndup(p, n)) < 0)
                        return -ENOMEM;
                if (!p[n])
                        break;
                p += n + 1;
        }
        *ret = TAKE_PTR(components);
        return 0;
}

/* The mapping holding each component and the index of its key there: n found, or fewer when the
 * path ends early (a missing key); -EINVAL when it crosses something that is not a mapping or a
 * key is there twice. */
static int walk(Node *root, char **components, Node **maps, size_t *keys, char **ret_error) {
        Node *m = root;
        size_t n = strv_length(components);

        for (size_t i = 0; i < n; i++) {
                size_t found = SIZE_MAX;
                if (!m || m->kind != NODE_MAPPING)
                        return i;   /* nothing below a scalar or a list holds the key */
                for (size_t j = 0; j + 1 < m->n_items; j += 2) {
                        const Node *key = m->items[j];
                        if (key->kind != NODE_SCALAR || key->length != strlen(components[i]) ||
                            !streq(key->value, components[i]))
                                continue;
                        if (found != SIZE_MAX)
                                return yaml_edit_error(ret_error, -EINVAL, &key->start, "duplicate key \"%s\"",
                                                       components[i]);
                        found = j;
                }
                if (found == SIZE_MAX)
                        return i;
                maps[i] = m;
                keys[i] = found;
                m = m->items[found + 1];
                if (m->kind == NODE_ALIAS && i + 1 < n)
                        return yaml_edit_error(ret_error, -EINVAL, &m->start,
                                               "the value of \"%s\" is an alias, not editing through it", components[i]);
        }
        return (int) n;
}

static size_t node_last_end(const Node *n) {
        while ((n->kind == NODE_MAPPING || n->kind == NODE_SEQUENCE) && !n->flow && n->n_items > 0)
                n = n->items[n->n_items - 1];
        return n->end.offset;
}

/* The bytes that carry the pair at index j of mapping m. */
static int pair_range(const char *data, size_t size, const Node *m, size_t j, size_t *ret_start, size_t *ret_end,
                      char **ret_error) {
        const Node *key = m->items[j], *value = m->items[j + 1];
        size_t start = key->start.offset, end = node_last_end(value);

        if (m->flow) {
                /* one comma goes with it: the one after, or before the last pair */
                if (j + 2 < m->n_items)
                        end = m->items[j + 2]->start.offset;
                else if (j > 0)
                        start = node_last_end(m->items[j - 1]);
                *ret_start = start;
                *ret_end = end;
                return 0;
        }
        while (start > 0 && (data[start - 1] == ' ' || data[start - 1] == '\t'))
                start--;
        if (start > 0 && data[start - 1] != '\n')
                return yaml_edit_error(ret_error, -EINVAL, &key->start,
                                       "\"%s\" does not start a line of its own, not removing it", key->value);
        const char *nl = memchr(data + end, '\n', size - end);
        *ret_start = start;
        *ret_end = nl ? (size_t) (nl - data) + 1 : size;
        return 0;
}

static bool node_same(const Node *a, const Node *b, const Node *skip_key) {
        if (a->kind != b->kind)
                return false;
        switch (a->kind) {
        case NODE_SCALAR:
                return a->length == b->length && memcmp(a->value, b->value, a->length) == 0 && streq_ptr(a->tag, b->tag) &&
                       a->style == b->style;
        case NODE_ALIAS:
                return true;
        case NODE_SEQUENCE:
                if (a->n_items != b->n_items)
                        return false;
                for (size_t i = 0; i < a->n_items; i++)
                        if (!node_same(a->items[i], b->items[i], skip_key))
                                return false;
                return true;
        case NODE_MAPPING: {
                size_t j = 0;
                for (size_t i = 0; i + 1 < a->n_items; i += 2) {
                        if (a->items[i] == skip_key)
                                continue;
                        if (j + 1 >= b->n_items || !node_same(a->items[i], b->items[j], skip_key) ||
                            !node_same(a->items[i + 1], b->items[j + 1], skip_key))
                                return false;
                        j += 2;
                }
                return j == b->n_items;
        }
        }
        return false;
}

int yaml_edit_remove(const char *data, size_t size, const char *keypath, char **ret_data, size_t *ret_size,
                     char **ret_error) {
        _cleanup_strv_free_ char **components = NULL;
        _cleanup_(yaml_edit_tree_done) Tree tree = {}, after = {};
        _cleanup_free_ Node **maps = NULL;
        _cleanup_free_ size_t *keys = NULL;
        _cleanup_free_ char *edited = NULL, *error = NULL;
        int r;

        r = split_plain(keypath, &components);
        if (r == -EINVAL)
                return yaml_edit_error(ret_error, r, NULL, "invalid key path \"%s\"", strempty(keypath));
        if (r < 0)
                return r;
        if ((r = yaml_edit_tree_load(data, size, &tree, ret_error)) < 0)
                return r;
        size_t n = strv_length(components);
        maps = calloc(n, sizeof(Node *));
        keys = calloc(n, sizeof(size_t));
        if (!maps || !keys)
                return -ENOMEM;
        r = tree.root ? walk(tree.root, components, maps, keys, ret_error) : 0;
        if (r < 0)
                return r;
        if ((size_t) r < n) {
                *ret_data = NULL;
                if (ret_size)
                        *ret_size = 0;
                return 0;   /* not there: nothing to remove */
        }

        /* A block mapping that would be left empty goes with its key. */
        size_t level = n - 1;
        while (level > 0 && !maps[level]->flow && maps[level]->n_items == 2 && !maps[level - 1]->flow)
                level--;
        size_t start = 0, end = 0;
        if ((r = pair_range(data, size, maps[level], keys[level], &start, &end, ret_error)) < 0)
                return r;

        size_t edited_size = size - (end - start);
        edited = malloc(edited_size + 1);
        if (!edited)
                return -ENOMEM;
        memcpy(edited, data, start);
        memcpy(edited + start, data + end, size - end);
        edited[edited_size] = 0;

        const Node *removed = maps[level]->items[keys[level]];
        r = yaml_edit_tree_load(edited, edited_size, &after, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || !tree.root || !after.root || !node_same(tree.root, after.root, removed))
                return yaml_edit_error(ret_error, -EINVAL, &removed->start,
                                       "removing \"%s\" would change more than the key, not writing it", keypath);
        *ret_data = TAKE_PTR(edited);
        if (ret_size)
                *ret_size = edited_size;
        return 1;
}

int yaml_edit_keys(const char *data, size_t size, const char *keypath, char ***ret_keys, char **ret_error) {
        _cleanup_strv_free_ char **components = NULL, **found = NULL;
        _cleanup_(yaml_edit_tree_done) Tree tree = {};
        _cleanup_free_ Node **maps = NULL;
        _cleanup_free_ size_t *keys = NULL;
        int r;

        *ret_keys = NULL;
        r = split_plain(keypath, &components);
        if (r == -EINVAL)
                return yaml_edit_error(ret_error, r, NULL, "invalid key path \"%s\"", strempty(keypath));
        if (r < 0)
                return r;
        if ((r = yaml_edit_tree_load(data, size, &tree, ret_error)) < 0)
                return r;
        size_t n = strv_length(components);
        maps = calloc(n, sizeof(Node *));
        keys = calloc(n, sizeof(size_t));
        if (!maps || !keys)
                return -ENOMEM;
        r = tree.root ? walk(tree.root, components, maps, keys, ret_error) : 0;
        if (r < 0)
                return r;
        if ((size_t) r < n)
                return 0;
        const Node *m = maps[n - 1]->items[keys[n - 1] + 1];
        if (m->kind != NODE_MAPPING)
                return 0;
        for (size_t j = 0; j + 1 < m->n_items; j += 2)
                if (m->items[j]->kind == NODE_SCALAR && strv_extend(&found, m->items[j]->value) < 0)
                        return -ENOMEM;
        *ret_keys = TAKE_PTR(found);
        return 1;
}
