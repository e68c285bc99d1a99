/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * YAML values as the kubelet's decoder types them, as json-c objects: sigs.k8s.io/yaml turns a
 * KubeletConfiguration into JSON with go-yaml v2, which resolves plain scalars by YAML 1.1
 * (yes/no/on/off and y/n are booleans, ~ is null) and leaves quoted and block scalars strings.
 *
 *     _cleanup_(json_object_putp) json_object *v = yaml_node_to_json(node);
 *     json_object *w = yaml_scalar_to_json("false", true);   a flag's value, read like a plain scalar
 *
 * NULL only when out of memory (a YAML null is json-c's NULL too: see yaml_node_to_json()).
 */

#include <json-c/json.h>
#include <stdbool.h>

#include "remedy/macro.h"
#include "remedy/yaml-node.h"

static inline void json_object_putp(json_object **o) {
        if (*o)
                json_object_put(*o);
}

/* A plain scalar as a YAML 1.1 boolean, as go-yaml v2 reads one (y, yes, on, true, ... in three
 * cases): 1, 0, or -1 when it is not one. */
int yaml11_bool(const char *s);

/* A scalar: null (*ret NULL), a boolean, an integer, a float or a string. plain: not quoted. 0 or
 * -ENOMEM. */
int yaml_scalar_to_json(const char *s, size_t size, bool plain, json_object **ret);

/* A node and everything below it; mapping keys in document order. 0 or -ENOMEM; *ret is NULL
 * for a null. */
int yaml_node_to_json(const YamlNode *n, json_object **ret);

/* The text a value compares by: a string as it is, a number or boolean as JSON writes it, null
 * as "null", lists and mappings as compact JSON with mapping keys sorted and scalars inside
 * written the same way (so that "110" and 110 compare equal). NULL when out of memory. */
char *json_value_text(json_object *o);
