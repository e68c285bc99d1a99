/* SPDX-License-Identifier: MIT */
/*
 * `remedy drift`: a baseline read into the shape of a snapshot, and the fields of two such
 * documents compared one by one.
 *
 * Compared: the kubelet's effective configuration (kubelet.PATH), against any baseline; against
 * another node's snapshot also the kubelet's flags that no config field stands for
 * (kubelet.flags.NAME), containerd's CRI settings (containerd.*), the units' states where both
 * snapshots have them (live against offline: only the unit file state) and package versions.
 * Not compared: apiVersion and kind, file lists, sources, the command line as words (its flags
 * are), and errors.
 */
#include "remedy/snapshot.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drift-rules.h"
#include "remedy/kubelet-cmdline.h"
#include "remedy/strv.h"

Baseline *baseline_free(Baseline *b) {
        if (!b)
                return NULL;
        free(b->file);
        json_object_putp(&b->doc);
        free(b);
        return NULL;
}

const char *baseline_kind_name(BaselineKind k) {
        static const char * const names[] = {
                [BASELINE_CONFIGMAP] = "kubeadm kubelet-config ConfigMap",
                [BASELINE_KUBELET_CONFIG] = "KubeletConfiguration",
                [BASELINE_SNAPSHOT] = "remedy snapshot",
        };
        return names[k];
}

/* A YAML node as JSON, each value carrying its line in the baseline file (json-c userdata),
 * shifted by offset for a document embedded in a block scalar. */
static int node_json_lines(const YamlNode *n, unsigned offset, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        int r;

        *ret = NULL;
        switch (n->type) {
        case YAML_NODE_SCALAR:
                if ((r = yaml_node_to_json(n, &o)) < 0)
                        return r;
                break;
        case YAML_NODE_SEQUENCE:
                if (!(o = json_object_new_array()))
                        return -ENOMEM;
                for (size_t i = 0; i < n->n_items; i++) {
                        json_object *item;
                        if ((r = node_json_lines(n->items[i], offset, &item)) < 0)
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
                        if ((r = node_json_lines(n->pairs[i].value, offset, &value)) < 0)
                                return r;
                        /* the key's line: where a reader looks for the setting */
                        if (value)
                                json_object_set_userdata(value, (void *) (uintptr_t) (n->pairs[i].key->mark.line + offset), NULL);
                        if (json_object_object_add(o, n->pairs[i].key->scalar, value) < 0) {
                                json_object_put(value);
                                return -ENOMEM;
                        }
                }
                break;
        }
        if (o && !json_object_get_userdata(o))
                json_object_set_userdata(o, (void *) (uintptr_t) (n->mark.line + offset), NULL);
        *ret = TAKE_PTR(o);
        return 0;
}

_printf_(4, 5) static int bad(char **ret_error, const char *file, unsigned line, const char *fmt, ...) {
        _cleanup_free_ char *what = NULL;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&what, fmt, ap);
        va_end(ap);
        if (r < 0 || asprintf(ret_error, "%s:%u: %s", file, line, what) < 0)
                return -ENOMEM;
        return -EBADMSG;
}

static const char *scalar_of(const YamlNode *map, const char *key) {
        const YamlNode *n = yaml_node_get(map, key);
        return n && n->type == YAML_NODE_SCALAR ? n->scalar : NULL;
}

/* {kubelet: {config: CONFIG}} */
static int wrap_config(json_object *config, json_object **ret) {
        _cleanup_(json_object_putp) json_object *doc = json_object_new_object(), *kubelet = json_object_new_object();
        if (!doc || !kubelet || json_object_object_add(kubelet, "config", config) < 0)
                return json_object_put(config), -ENOMEM;
        if (json_object_object_add(doc, "kubelet", TAKE_PTR(kubelet)) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(doc);
        return 0;
}

static int require_kubelet_configuration(const char *file, const YamlNode *root, unsigned offset, char **ret_error) {
        const char *kind = scalar_of(root, "kind");
        if (!kind || !streq(kind, "KubeletConfiguration"))
                return bad(ret_error, file, root->mark.line + offset, "%s",
                           kind ? "the kubelet's configuration is of kind KubeletConfiguration, not this one"
                                : "no kind: not a KubeletConfiguration");
        return 0;
}

/* data.kubelet of kubeadm's kubelet-config ConfigMap: a KubeletConfiguration in a string. */
static int load_configmap(const char *file, const YamlNode *root, json_object **ret, char **ret_error) {
        _cleanup_(yaml_document_freep) YamlDocument *inner = NULL;
        _cleanup_free_ char *error = NULL;
        const YamlNode *data = yaml_node_get(root, "data"), *value = data ? yaml_node_get(data, "kubelet") : NULL;
        json_object *config;
        int r;

        if (!value || value->type != YAML_NODE_SCALAR)
                return bad(ret_error, file, (value ? value : data ? data : root)->mark.line, "%s",
                           "a ConfigMap without a data.kubelet string: not kubeadm's kubelet-config");
        /* A block scalar's content starts on the line after its indicator: inner line L is line
         * mark + L of the file. A quoted string (kubectl -o json) has no such mapping. */
        unsigned offset = value->block ? value->mark.line : 0;
        r = yaml_document_parse(file, value->scalar, value->size, &inner, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                const char *rest = error ? startswith(error, file) : NULL;
                unsigned line = 0;
                char *end = NULL;
                if (rest && *rest == ':')
                        line = (unsigned) strtoul(rest + 1, &end, 10);
                const char *reason = end && *end == ':' ? strchr(end + 1, ':') : NULL;
                if (!offset || !reason)
                        return bad(ret_error, file, value->mark.line, "data.kubelet does not parse: %s",
                                   error ? error : strerror(-r));
                return bad(ret_error, file, line + offset, "data.kubelet does not parse:%s", reason + 1);
        }
        if (!inner->root || inner->root->type != YAML_NODE_MAPPING)
                return bad(ret_error, file, value->mark.line, "%s", "data.kubelet is not a KubeletConfiguration mapping");
        if ((r = require_kubelet_configuration(file, inner->root, offset ? offset : value->mark.line - 1, ret_error)) < 0)
                return r;
        if ((r = node_json_lines(inner->root, offset, &config)) < 0)
                return r;
        return wrap_config(config, ret);
}

int baseline_load(const char *file, const char *data, size_t size, Baseline **ret, char **ret_error) {
        _cleanup_(baseline_freep) Baseline *b = calloc(1, sizeof(Baseline));
        _cleanup_(yaml_document_freep) YamlDocument *doc = NULL;
        int r;

        *ret_error = NULL;
        if (!b || !(b->file = strdup(file)))
                return -ENOMEM;
        r = yaml_document_parse(file, data, size, &doc, ret_error);
        if (r < 0)
                return r == -ENOMEM ? r : -EBADMSG;
        const YamlNode *root = doc->root;
        if (!root || root->type != YAML_NODE_MAPPING)
                return bad(ret_error, file, root ? root->mark.line : 1, "%s",
                           "not a kubelet-config ConfigMap, a KubeletConfiguration or a remedy snapshot");
        const char *kind = scalar_of(root, "kind");
        if (kind && streq(kind, "ConfigMap")) {
                b->kind = BASELINE_CONFIGMAP;
                r = load_configmap(file, root, &b->doc, ret_error);
        } else if (kind && streq(kind, "KubeletConfiguration")) {
                json_object *config;
                b->kind = BASELINE_KUBELET_CONFIG;
                if ((r = node_json_lines(root, 0, &config)) >= 0)
                        r = wrap_config(config, &b->doc);
        } else if (yaml_node_get(root, "remedy_snapshot")) {
                const YamlNode *kubelet = yaml_node_get(root, "kubelet");
                b->kind = BASELINE_SNAPSHOT;
                if (!kubelet || kubelet->type != YAML_NODE_MAPPING)
                        return bad(ret_error, file, root->mark.line, "%s", "a remedy snapshot without a kubelet mapping");
                const YamlNode *error = yaml_node_get(kubelet, "error");
                if (error && error->type == YAML_NODE_SCALAR)
                        return bad(ret_error, file, error->mark.line,
                                   "the kubelet's configuration could not be read there (%s): nothing to compare with",
                                   error->scalar);
                r = node_json_lines(root, 0, &b->doc);
        } else
                return bad(ret_error, file, kind ? yaml_node_get(root, "kind")->mark.line : root->mark.line,
                           "%s", "not a kubelet-config ConfigMap, a KubeletConfiguration or a remedy snapshot");
        if (r < 0)
                return r;
        *ret = TAKE_PTR(b);
        return 0;
}

/* One comparable field of a document. */
typedef struct Field {
        char *path;
        json_object *value;   /* borrowed from the document; NULL: null */
        char *source;         /* node: where it was set; baseline: FILE:LINE */
} Field;

typedef struct Fields {
        Field *items;
        size_t n;
} Fields;

static void fields_done(Fields *f) {
        for (size_t i = 0; i < f->n; i++) {
                free(f->items[i].path);
                free(f->items[i].source);
        }
        free(f->items);
        *f = (Fields) {};
}

static const Field *fields_find(const Fields *f, const char *path) {
        for (size_t i = 0; i < f->n; i++)
                if (streq(f->items[i].path, path))
                        return &f->items[i];
        return NULL;
}

/* file NULL: the node, whose sources are in its document; else the baseline, by line. */
static int fields_add(Fields *f, const char *path, json_object *value, const char *source, const char *file) {
        Field *items = reallocarray(f->items, f->n + 1, sizeof(Field));
        if (!items)
                return -ENOMEM;
        f->items = items;
        Field *n = &f->items[f->n];
        *n = (Field) { .path = strdup(path), .value = value };
        if (!n->path)
                return -ENOMEM;
        f->n++;
        uintptr_t line = value ? (uintptr_t) json_object_get_userdata(value) : 0;
        if (file && line > 0) {
                if (asprintf(&n->source, "%s:%u%s%s", file, (unsigned) line, source ? ", set there by " : "", strempty(source)) < 0)
                        return -ENOMEM;
        } else if (source && !(n->source = strdup(source)))
                return -ENOMEM;
        return 0;
}

static const char *member_string(json_object *o, const char *key) {
        json_object *v = json_object_object_get(o, key);
        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* The kubelet's config, walked into its leaves as the snapshot's `sources` names them. */
static int add_config(Fields *f, json_object *o, char ***prefix, json_object *sources, const char *file) {
        size_t depth = strv_length(*prefix);
        json_object_object_foreach(o, key, value) {
                int r;
                if (depth == 0 && (streq(key, "apiVersion") || streq(key, "kind")))
                        continue;
                if (strv_extend(prefix, key) < 0)
                        return -ENOMEM;
                if (json_object_is_type(value, json_type_object))
                        r = add_config(f, value, prefix, sources, file);
                else {
                        _cleanup_free_ char *text = config_path_text(*prefix), *path = NULL;
                        if (!text || asprintf(&path, "kubelet.%s", text) < 0)
                                return -ENOMEM;
                        r = fields_add(f, path, value, member_string(sources, text), file);
                }
                free((*prefix)[depth]);
                (*prefix)[depth] = NULL;
                if (r < 0)
                        return r;
        }
        return 0;
}

static int add_member(Fields *f, json_object *o, const char *key, const char *path, const char *source_key, const char *file) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v))
                return 0;
        return fields_add(f, path, v, source_key ? member_string(o, source_key) : NULL, file);
}

/* The rest of a snapshot: flags without a config field, containerd, units, packages. */
static int add_snapshot(Fields *f, json_object *doc, const char *file) {
        json_object *kubelet = json_object_object_get(doc, "kubelet"), *flags = json_object_object_get(kubelet, "flags");
        int r;

        for (size_t i = 0; flags && i < json_object_array_length(flags); i++) {
                json_object *flag = json_object_array_get_idx(flags, i);
                const char *name = member_string(flag, "flag");
                _cleanup_free_ char *path = NULL;
                if (!name || kubelet_flag_config_key(name) || streq(name, "config") || streq(name, "config-dir"))
                        continue;   /* in kubelet.config already, or a file path the config holds */
                if (asprintf(&path, "kubelet.flags.%s", name) < 0)
                        return -ENOMEM;
                json_object *value = json_object_object_get(flag, "value");
                Field *seen = (Field *) fields_find(f, path);
                if (seen) {   /* the last one wins, as pflag has it */
                        const char *source = member_string(flag, "source");
                        seen->value = value;
                        free(seen->source);
                        seen->source = NULL;
                        if (source && !(seen->source = strdup(source)))
                                return -ENOMEM;
                        continue;
                }
                if ((r = fields_add(f, path, value, member_string(flag, "source"), file)) < 0)
                        return r;
        }

        json_object *ctr = json_object_object_get(doc, "containerd"), *runtimes = json_object_object_get(ctr, "runtimes");
        if (ctr && ((r = add_member(f, ctr, "installed", "containerd.installed", NULL, file)) < 0 ||
                    (r = add_member(f, ctr, "config_version", "containerd.config_version", NULL, file)) < 0 ||
                    (r = add_member(f, ctr, "default_runtime", "containerd.default_runtime", NULL, file)) < 0 ||
                    (r = add_member(f, ctr, "cni_conf_dir", "containerd.cni_conf_dir", NULL, file)) < 0 ||
                    (r = add_member(f, ctr, "cni_bin_dirs", "containerd.cni_bin_dirs", NULL, file)) < 0 ||
                    (r = add_member(f, ctr, "sandbox_image", "containerd.sandbox_image", "sandbox_image_source", file)) < 0 ||
                    (r = add_member(f, ctr, "grpc_address", "containerd.grpc_address", "grpc_address_source", file)) < 0))
                return r;
        if (runtimes && json_object_is_type(runtimes, json_type_object)) {
                json_object_object_foreach(runtimes, name, rt) {
                        _cleanup_free_ char *type = NULL, *cgroup = NULL;
                        _cleanup_free_ char *text = config_path_text((char *[]) { name, NULL });
                        if (!text || asprintf(&type, "containerd.runtimes.%s.type", text) < 0 ||
                            asprintf(&cgroup, "containerd.runtimes.%s.systemd_cgroup", text) < 0)
                                return -ENOMEM;
                        if ((r = add_member(f, rt, "type", type, NULL, file)) < 0 ||
                            (r = add_member(f, rt, "systemd_cgroup", cgroup, "systemd_cgroup_source", file)) < 0)
                                return r;
                }
        }

        json_object *units = json_object_object_get(doc, "units");
        if (units && json_object_is_type(units, json_type_object)) {
                json_object_object_foreach(units, unit, state) {
                        static const char * const keys[] = { "load_state", "active_state", "sub_state", "unit_file_state" };
                        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                                _cleanup_free_ char *path = NULL;
                                if (asprintf(&path, "units.%s.%s", unit, keys[i]) < 0)
                                        return -ENOMEM;
                                if ((r = add_member(f, state, keys[i], path, NULL, file)) < 0)
                                        return r;
                        }
                }
        }

        json_object *packages = json_object_object_get(doc, "packages");
        if (packages && json_object_is_type(packages, json_type_object)) {
                json_object_object_foreach(packages, name, p) {
                        _cleanup_free_ char *path = NULL;
                        if (asprintf(&path, "packages.%s", name) < 0)
                                return -ENOMEM;
                        if ((r = add_member(f, p, "version", path, "source", file)) < 0)
                                return r;
                }
        }
        return 0;
}

static int fields_of(json_object *doc, bool whole, const char *file, Fields *ret) {
        _cleanup_(fields_done) Fields f = {};
        _cleanup_strv_free_ char **prefix = NULL;
        json_object *kubelet = json_object_object_get(doc, "kubelet");
        json_object *config = json_object_object_get(kubelet, "config");
        int r;

        if (config && json_object_is_type(config, json_type_object) &&
            (r = add_config(&f, config, &prefix, json_object_object_get(kubelet, "sources"), file)) < 0)
                return r;
        if (whole && (r = add_snapshot(&f, doc, file)) < 0)
                return r;
        *ret = f;
        f = (Fields) {};
        return 0;
}

static void drift_item_done(DriftItem *i) {
        free(i->path);
        free(i->node_value);
        free(i->node_source);
        free(i->baseline_value);
        free(i->baseline_source);
        free(i->note);
}

void drift_report_done(DriftReport *d) {
        for (size_t i = 0; i < d->n_drift; i++)
                drift_item_done(&d->drift[i]);
        for (size_t i = 0; i < d->n_node_specific; i++)
                drift_item_done(&d->node_specific[i]);
        free(d->drift);
        free(d->node_specific);
        *d = (DriftReport) {};
}

static int value_text(const Field *f, char **ret) {
        *ret = NULL;
        return !f || (*ret = json_value_text(f->value)) ? 0 : -ENOMEM;
}

static int report_field(DriftReport *d, const char *path, const Field *node, const Field *base, const char *base_text) {
        bool specific = drift_path_node_specific(path);
        DriftItem **items = specific ? &d->node_specific : &d->drift;
        size_t *n = specific ? &d->n_node_specific : &d->n_drift;
        DriftItem *l = reallocarray(*items, *n + 1, sizeof(DriftItem));
        int r;

        if (!l)
                return -ENOMEM;
        *items = l;
        DriftItem *i = &l[(*n)++];
        *i = (DriftItem) { .path = strdup(path) };
        if (!i->path || (r = value_text(node, &i->node_value)) < 0 || (r = value_text(base, &i->baseline_value)) < 0)
                return -ENOMEM;
        if ((node && node->source && !(i->node_source = strdup(node->source))) ||
            (base && base->source && !(i->baseline_source = strdup(base->source))))
                return -ENOMEM;
        const char *config = startswith(path, "kubelet.");
        const char *def = config ? kubelet_default_text(config) : NULL;
        if (def && (!node || !base) && asprintf(&i->note, "the kubelet's default is %s", def) < 0)
                return -ENOMEM;
        if (!specific)
                i->playbook = drift_playbook(path, base_text);
        return 0;
}

int drift_compare(json_object *node, const Baseline *b, DriftReport *ret) {
        _cleanup_(drift_report_done) DriftReport d = {};
        _cleanup_(fields_done) Fields mine = {}, theirs = {};
        _cleanup_strv_free_ char **paths = NULL;
        bool whole = b->kind == BASELINE_SNAPSHOT;
        int r;

        if ((r = fields_of(node, whole, NULL, &mine)) < 0 || (r = fields_of(b->doc, whole, b->file, &theirs)) < 0)
                return r;
        for (size_t i = 0; i < mine.n; i++)
                if (strv_extend_unique(&paths, mine.items[i].path) < 0)
                        return -ENOMEM;
        for (size_t i = 0; i < theirs.n; i++)
                if (strv_extend_unique(&paths, theirs.items[i].path) < 0)
                        return -ENOMEM;
        strv_sort(paths);

        STRV_FOREACH(p, paths) {
                const Field *a = fields_find(&mine, *p), *z = fields_find(&theirs, *p);
                _cleanup_free_ char *at = NULL, *zt = NULL;
                /* units: live against offline, only the unit file state is in both */
                if (startswith(*p, "units.") && (!a || !z))
                        continue;
                if ((r = drift_effective_text(*p, a ? a->value : NULL, a != NULL, &at)) < 0 ||
                    (r = drift_effective_text(*p, z ? z->value : NULL, z != NULL, &zt)) < 0)
                        return r;
                d.n_compared++;
                if (streq_ptr(at, zt))
                        continue;
                if ((r = report_field(&d, *p, a, z, zt)) < 0)
                        return r;
        }
        *ret = d;
        d = (DriftReport) {};
        return 0;
}
