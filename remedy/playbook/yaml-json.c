/* SPDX-License-Identifier: MIT */
/*
 * YAML 1.1 scalar resolution as go-yaml v2 (resolve.go) does it for the kubelet's configuration,
 * and a canonical text of a JSON value for comparing configurations written in different forms
 * (a kubeadm ConfigMap, a node's config.yaml, a JSON file, a snapshot).
 */
#include "remedy/yaml-json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/strv.h"

int yaml11_bool(const char *s) {
        static const char * const yes[] = { "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", NULL };
        static const char * const no[] = { "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", NULL };
        for (size_t i = 0; yes[i]; i++)
                if (streq(s, yes[i]))
                        return 1;
        for (size_t i = 0; no[i]; i++)
                if (streq(s, no[i]))
                        return 0;
        return -1;
}

/* [-+]?[0-9]+ without leading zeros (go-yaml reads 0755 as octal: left a string here). */
static bool is_decimal(const char *s) {
        const char *p = s + (*s == '-' || *s == '+');
        if (!*p || (p[0] == '0' && p[1]))
                return false;
        return strspn(p, "0123456789") == strlen(p);
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool is_float(const char *s) {
        const char *p = s + (*s == '-' || *s == '+');
        size_t ints = strspn(p, "0123456789"), frac = 0;
        p += ints;
        if (*p == '.') {
                frac = strspn(p + 1, "0123456789");
                p += 1 + frac;
        }
        if (ints + frac == 0)
                return false;
        if (*p == 'e' || *p == 'E') {
                p++;
                p += *p == '-' || *p == '+';
                size_t e = strspn(p, "0123456789");
                if (e == 0)
                        return false;
                p += e;
        }
        return *p == 0;
}

int yaml_scalar_to_json(const char *s, size_t size, bool plain, json_object **ret) {
        *ret = NULL;
        if (!plain || memchr(s, 0, size))
                return (*ret = json_object_new_string_len(s, (int) size)) ? 0 : -ENOMEM;
        if (size == 0 || streq(s, "~") || streq(s, "null") || streq(s, "Null") || streq(s, "NULL"))
                return 0;
        int b = yaml11_bool(s);
        if (b >= 0)
                *ret = json_object_new_boolean(b);
        else if (is_decimal(s)) {
                errno = 0;
                long long v = strtoll(s, NULL, 10);
                *ret = errno == 0 ? json_object_new_int64(v) : json_object_new_double_s(strtod(s, NULL), s);
        } else if (is_float(s))
                *ret = json_object_new_double_s(strtod(s, NULL), s);
        else
                *ret = json_object_new_string_len(s, (int) size);
        return *ret ? 0 : -ENOMEM;
}

int yaml_node_to_json(const YamlNode *n, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        int r;

        *ret = NULL;
        switch (n->type) {
        case YAML_NODE_SCALAR:
                return yaml_scalar_to_json(n->scalar, n->size, n->plain && !n->block, ret);
        case YAML_NODE_SEQUENCE:
                if (!(o = json_object_new_array()))
                        return -ENOMEM;
                for (size_t i = 0; i < n->n_items; i++) {
                        json_object *item;
                        if ((r = yaml_node_to_json(n->items[i], &item)) < 0)
                                return r;
                        if (json_object_array_add(o, item) < 0) {
                                json_object_put(item);
                                return -ENOMEM;
                        }
                }
                break;
        case YAML_NODE_MAPPING:
                if (!(o = json_object_new_object()))
                        return -ENOMEM;
                for (size_t i = 0; i < n->n_pairs; i++) {
                        json_object *value;
                        if ((r = yaml_node_to_json(n->pairs[i].value, &value)) < 0)
                                return r;
                        if (json_object_object_add(o, n->pairs[i].key->scalar, value) < 0) {
                                json_object_put(value);
                                return -ENOMEM;
                        }
                }
                break;
        }
        *ret = TAKE_PTR(o);
        return 0;
}

static int write_value(FILE *out, json_object *o, bool inside) {
        switch (json_object_get_type(o)) {
        case json_type_null:
                fputs("null", out);
                break;
        case json_type_string:
                if (!inside)
                        fputs(json_object_get_string(o), out);
                else {
                        /* inside a list or mapping: JSON's own quoting keeps items apart */
                        _cleanup_(json_object_putp) json_object *s = json_object_new_string(json_object_get_string(o));
                        if (!s)
                                return -ENOMEM;
                        fputs(json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), out);
                }
                break;
        case json_type_boolean:
        case json_type_int:
        case json_type_double:
                if (inside)
                        fputc('"', out);
                fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), out);
                if (inside)
                        fputc('"', out);
                break;
        case json_type_array:
                fputc('[', out);
                for (size_t i = 0; i < json_object_array_length(o); i++) {
                        fputs(i ? "," : "", out);
                        int r = write_value(out, json_object_array_get_idx(o, i), true);
                        if (r < 0)
                                return r;
                }
                fputc(']', out);
                break;
        case json_type_object: {
                _cleanup_strv_free_ char **keys = NULL;
                json_object_object_foreach(o, key, value) {
                        (void) value;
                        if (strv_extend(&keys, key) < 0)
                                return -ENOMEM;
                }
                strv_sort(keys);
                fputc('{', out);
                STRV_FOREACH(k, keys) {
                        _cleanup_(json_object_putp) json_object *ks = json_object_new_string(*k);
                        if (!ks)
                                return -ENOMEM;
                        fprintf(out, "%s%s:", k == keys ? "" : ",",
                                json_object_to_json_string_ext(ks, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
                        int r = write_value(out, json_object_object_get(o, *k), true);
                        if (r < 0)
                                return r;
                }
                fputc('}', out);
                break;
        }
        }
        return 0;
}

char *json_value_text(json_object *o) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *out = open_memstream(&text, &size);
        if (!out)
                return NULL;
        int r = write_value(out, o, false);
        if (fclose(out) != 0 || r < 0)
                return NULL;
        return TAKE_PTR(text);
}
