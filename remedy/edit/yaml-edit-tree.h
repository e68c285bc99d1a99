/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What yaml-edit.c needs from yaml-edit-tree.c: the file loaded into a small tree whose nodes
 * know their byte offsets, so that an edit can be spliced in without re-emitting the file.
 * Unlike yaml-node.h (playbooks), this tree keeps what playbooks refuse (anchors, aliases, any
 * tag, duplicate keys) and the scalar styles, so that the editor can decide what it may touch.
 *
 * Load with yaml_edit_tree_load() into a zeroed Tree and release it with yaml_edit_tree_done()
 * (usable as _cleanup_(yaml_edit_tree_done)). Errors in the file come back as a negative errno
 * and, through yaml_edit_error(), as "LINE:COLUMN: reason".
 */

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "remedy/macro.h"

/* Where a node is: a byte offset into the file and libyaml's line/column, 1-based. */
typedef struct Pos {
        size_t offset;
        unsigned line, column;
} Pos;

typedef enum NodeKind {
        NODE_SCALAR,
        NODE_SEQUENCE,
        NODE_MAPPING,
        NODE_ALIAS,
} NodeKind;

typedef struct Node {
        NodeKind kind;
        Pos start, end;
        Pos close;                  /* collections: where the closing token starts ('}') */
        yaml_scalar_style_t style;
        bool flow;
        bool anchored;
        char *tag;
        char *value;                /* scalars; may hold NUL bytes from escapes */
        size_t length;
        struct Node **items;        /* sequence items; mapping keys and values alternating */
        size_t n_items;
} Node;

typedef struct Tree {
        Node *root;                 /* NULL: no document at all */
        size_t bom;                 /* bytes of UTF-8 BOM before the text */
} Tree;

/* Returns err. Sets *ret_error to "LINE:COLUMN: reason", or to the reason alone when at is NULL
 * (errors in the arguments); a ret_error that is NULL or already set is left alone, so that the
 * first, most specific reason wins. -ENOMEM when the string cannot be allocated. */
_printf_(4, 5) int yaml_edit_error(char **ret_error, int err, const Pos *at, const char *fmt, ...);

/* Refuses input larger than YAML_MAX_SIZE (-E2BIG), UTF-16 or holding a NUL byte (-EBADMSG), more
 * than one document (-EINVAL), nesting deeper than YAML_MAX_DEPTH (-ELOOP), and whatever libyaml
 * does not parse (-EBADMSG). An empty stream gives ret->root == NULL. */
int yaml_edit_tree_load(const char *data, size_t size, Tree *ret, char **ret_error);

void yaml_edit_tree_done(Tree *t);
