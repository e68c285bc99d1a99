/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A YAML document as a tree of nodes that remember where they came from, built from libyaml's
 * event stream. Playbooks are parsed into this tree first and validated from it, so that every
 * error can name FILE:LINE:COLUMN.
 *
 * The loader refuses what a playbook never needs and what makes YAML dangerous or ambiguous:
 * anchors and aliases, tags other than the core ones, duplicate mapping keys, non-scalar keys,
 * more than one document, nesting deeper than YAML_MAX_DEPTH and input larger than YAML_MAX_SIZE
 * (libyaml 0.2.5 has no limits of its own).
 */

#include <stdbool.h>
#include <stddef.h>

#include "remedy/macro.h"

#define YAML_MAX_DEPTH 32
#define YAML_MAX_SIZE (1024U * 1024U)

typedef struct Mark {
        const char *file;   /* borrowed from the document */
        unsigned line;      /* 1-based */
        unsigned column;    /* 1-based, in characters */
} Mark;

typedef enum YamlNodeType {
        YAML_NODE_SCALAR,
        YAML_NODE_SEQUENCE,
        YAML_NODE_MAPPING,
} YamlNodeType;

typedef struct YamlNode YamlNode;

typedef struct YamlPair {
        YamlNode *key;      /* always a scalar */
        YamlNode *value;
} YamlPair;

struct YamlNode {
        YamlNodeType type;
        Mark mark;
        /* scalar */
        char *scalar;       /* NUL-terminated; may hold NUL bytes from escapes: see size */
        size_t size;
        bool plain;         /* unquoted plain scalar: true/false/numbers are resolved from these only */
        bool block;         /* literal or folded block scalar */
        /* sequence */
        YamlNode **items;
        size_t n_items;
        /* mapping, in document order */
        YamlPair *pairs;
        size_t n_pairs;
};

typedef struct YamlDocument {
        char *file;         /* the name errors are reported under */
        YamlNode *root;     /* NULL for an empty document */
} YamlDocument;

/*
 * Parses data. On a syntax or limit error returns -EBADMSG (or -E2BIG, -ELOOP) and sets
 * *ret_error to "FILE:LINE:COLUMN: reason".
 */
int yaml_document_parse(const char *file, const char *data, size_t size, YamlDocument **ret, char **ret_error);
YamlDocument *yaml_document_free(YamlDocument *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(YamlDocument *, yaml_document_free);

/* The value of key in a mapping, or NULL. */
const YamlNode *yaml_node_get(const YamlNode *map, const char *key);
/* The key node of key in a mapping (for error marks), or NULL. */
const YamlNode *yaml_node_get_key(const YamlNode *map, const char *key);

const char *yaml_node_type_name(YamlNodeType t);

/* Resolves a plain scalar as YAML 1.2 core schema booleans (true/false, True/False, TRUE/FALSE).
 * Returns 1 or 0, or -EINVAL when the node is not such a boolean. */
int yaml_node_bool(const YamlNode *n);
/* True for a missing node and for a plain null scalar ("", "~", null, Null, NULL): "key:" with
 * nothing after it. */
bool yaml_node_is_null(const YamlNode *n);
