/* SPDX-License-Identifier: MIT */
/*
 * The kubelet's configuration as cmd/kubelet/app/server.go builds it: the --config file, then
 * every *.conf below --config-dir (filepath.WalkDir: recursively, each directory in lexical
 * order) applied with jsonpatch.MergePatch (RFC 7386: mappings merged key by key, anything else
 * replaced whole, null removes), then the command line parsed again over the result
 * (kubeletConfigFlagPrecedence()), so that a flag beats both files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/kubelet-cmdline.h"
#include "remedy/strv.h"
#include "remedy/yaml-json.h"
#include "remedy/yaml-node.h"
#include "remedy/error-line.h"
#include "remedy/unit-file.h"

/* Flags registered by options.AddKubeletConfigFlags() on a config field, with the field's JSON
 * path in kubelet.config.k8s.io/v1beta1. Not all of them: the ones a node repair looks at. */
static const struct {
        const char *flag, *key;
} flag_keys[] = {
        { "address", "address" },
        { "anonymous-auth", "authentication.anonymous.enabled" },
        { "authentication-token-webhook", "authentication.webhook.enabled" },
        { "authorization-mode", "authorization.mode" },
        { "cgroup-driver", "cgroupDriver" },
        { "cgroup-root", "cgroupRoot" },
        { "cgroups-per-qos", "cgroupsPerQOS" },
        { "client-ca-file", "authentication.x509.clientCAFile" },
        { "cluster-dns", "clusterDNS" },
        { "cluster-domain", "clusterDomain" },
        { "container-log-max-files", "containerLogMaxFiles" },
        { "container-log-max-size", "containerLogMaxSize" },
        { "container-runtime-endpoint", "containerRuntimeEndpoint" },
        { "cpu-manager-policy", "cpuManagerPolicy" },
        { "enforce-node-allocatable", "enforceNodeAllocatable" },
        { "eviction-hard", "evictionHard" },
        { "fail-cgroupv1", "failCgroupV1" },
        { "fail-swap-on", "failSwapOn" },
        { "hairpin-mode", "hairpinMode" },
        { "healthz-port", "healthzPort" },
        { "image-gc-high-threshold", "imageGCHighThresholdPercent" },
        { "image-gc-low-threshold", "imageGCLowThresholdPercent" },
        { "image-service-endpoint", "imageServiceEndpoint" },
        { "kube-reserved", "kubeReserved" },
        { "kubelet-cgroups", "kubeletCgroups" },
        { "max-pods", "maxPods" },
        { "pod-cidr", "podCIDR" },
        { "pod-manifest-path", "staticPodPath" },
        { "port", "port" },
        { "protect-kernel-defaults", "protectKernelDefaults" },
        { "provider-id", "providerID" },
        { "read-only-port", "readOnlyPort" },
        { "register-node", "registerNode" },
        { "resolv-conf", "resolvConf" },
        { "rotate-certificates", "rotateCertificates" },
        { "rotate-server-certificates", "serverTLSBootstrap" },
        { "runtime-request-timeout", "runtimeRequestTimeout" },
        { "serialize-image-pulls", "serializeImagePulls" },
        { "system-cgroups", "systemCgroups" },
        { "system-reserved", "systemReserved" },
        { "tls-cert-file", "tlsCertFile" },
        { "tls-private-key-file", "tlsPrivateKeyFile" },
        { "v", "logging.verbosity" },
        { "volume-plugin-dir", "volumePluginDir" },
};

const char *kubelet_flag_config_key(const char *flag) {
        for (size_t i = 0; i < ELEMENTSOF(flag_keys); i++)
                if (streq(flag_keys[i].flag, flag))
                        return flag_keys[i].key;
        return NULL;
}

void kubelet_setting_done(KubeletSetting *s) {
        free(s->value);
        free(s->source);
        free(s->flag);
        free(s->word);
        free(s->variable);
        strv_free(s->overridden);
        *s = (KubeletSetting) {};
}

/* The drop-ins below dir, in WalkDir's order: entries sorted by name, directories entered where
 * they sort. Hidden names count too. */
static int walk(const NodeFS *fs, const char *dir, unsigned depth, char ***files, char **ret_error) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        if (depth > 16)
                return fail(ret_error, -ELOOP, "%s: drop-in directories nested too deep", dir);
        for (const char *pattern = "*";; pattern = ".*") {
                _cleanup_strv_free_ char **found = NULL;
                _cleanup_free_ char *glob = NULL;
                if (asprintf(&glob, "%s/%s", streq(dir, "/") ? "" : dir, pattern) < 0)
                        return -ENOMEM;
                r = fs->glob(fs->userdata, glob, &found);
                if (r < 0)
                        return r;
                STRV_FOREACH(f, found)
                        if (strv_extend_unique(&names, *f) < 0)
                                return -ENOMEM;
                if (streq(pattern, ".*"))
                        break;
        }
        strv_sort(names);
        STRV_FOREACH(p, names) {
                const NodeFile *nf;
                r = fs->read(fs->userdata, *p, false, &nf);
                if (r < 0)
                        return r;
                if (nf->kind == FILE_DIRECTORY)
                        r = walk(fs, *p, depth + 1, files, ret_error);
                else if (endswith(*p, ".conf"))
                        r = strv_extend(files, *p);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int load(const NodeFS *fs, const char *path, bool dropin, YamlDocument **ret, char **ret_error) {
        const NodeFile *nf;
        int r = fs->read(fs->userdata, path, true, &nf);
        if (r < 0)
                return r;
        if (nf->kind == FILE_ABSENT)
                return fail(ret_error, -ENOENT, "%s: does not exist: the kubelet fails to start", path);
        if (nf->kind != FILE_REGULAR)
                return fail(ret_error, -EISDIR, "%s: is not a regular file: the kubelet fails to start", path);
        if (nf->size == 0 && !dropin)
                return fail(ret_error, -EBADMSG, "%s: is empty: the kubelet fails to start", path);
        r = yaml_document_parse(path, nf->data, nf->size, ret, ret_error);
        if (r < 0)
                return r;
        const YamlNode *root = (*ret)->root;
        if (root && root->type != YAML_NODE_MAPPING)
                return fail(ret_error, -EBADMSG, "%s:%u: not a KubeletConfiguration (a mapping)", path, root->mark.line);
        /* The strict decoder needs the type: a drop-in without it stops the kubelet. */
        if (dropin && (!yaml_node_get(root, "apiVersion") || !yaml_node_get(root, "kind")))
                return fail(ret_error, -EBADMSG, "%s: a drop-in needs apiVersion and kind: the kubelet fails to start", path);
        return 0;
}

static int record(KubeletSetting *s, const YamlNode *value, const char *path, unsigned line, const YamlNode **ret_node) {
        char *source;
        *ret_node = value;
        if (asprintf(&source, "%s:%u", path, line) < 0)
                return -ENOMEM;
        if (s->source && strv_consume(&s->overridden, TAKE_PTR(s->source)) < 0) {
                free(source);
                return -ENOMEM;
        }
        free(s->source);
        free(s->value);
        s->source = source;
        s->set = value != NULL;
        s->value = NULL;
        if (value && value->type == YAML_NODE_SCALAR && !(s->value = strdup(value->scalar)))
                return -ENOMEM;
        return 0;
}

/* One file's say on the dotted path, as a merge patch has it; *node becomes the value that now
 * decides (NULL: unset), and stays as it was when the file does not touch the path. */
static int apply(KubeletSetting *s, const YamlDocument *doc, char * const *path, const YamlNode **node_ret) {
        const YamlNode *node = doc->root;
        for (size_t i = 0; node && path[i]; i++) {
                const YamlNode *key = yaml_node_get_key(node, path[i]), *child = yaml_node_get(node, path[i]);
                if (!key)
                        return 0;   /* untouched */
                if (yaml_node_is_null(child))
                        return record(s, NULL, doc->file, key->mark.line, node_ret);   /* removed: the default again */
                if (!path[i + 1])
                        return record(s, child, doc->file, key->mark.line, node_ret);
                if (child->type != YAML_NODE_MAPPING)
                        return record(s, NULL, doc->file, key->mark.line, node_ret);   /* the parent replaced whole */
                node = child;
        }
        return 0;
}

/* The files the kubelet reads, in merge order: --config, then the drop-ins of --config-dir.
 * *ret_main_first: the first file is the main one (a drop-in needs apiVersion and kind). */
static int config_files(const NodeFS *fs, const char *config_path, const char *config_dir, char ***ret,
                        bool *ret_main_first, char **ret_error) {
        _cleanup_strv_free_ char **files = NULL;
        _cleanup_free_ char *main_abs = NULL, *dir_abs = NULL;
        int r;

        /* A relative path is taken from the kubelet's working directory: "/" under systemd. */
        if (config_path && asprintf(&main_abs, "%s%s", config_path[0] == '/' ? "" : "/", config_path) < 0)
                return -ENOMEM;
        if (main_abs && strv_extend(&files, main_abs) < 0)
                return -ENOMEM;
        if (config_dir && asprintf(&dir_abs, "%s%s", config_dir[0] == '/' ? "" : "/", config_dir) < 0)
                return -ENOMEM;
        if (dir_abs) {
                const NodeFile *nf;
                r = fs->read(fs->userdata, dir_abs, true, &nf);
                if (r < 0)
                        return r;
                if (nf->kind != FILE_DIRECTORY)
                        return fail(ret_error, -ENOENT, "--config-dir %s: %s: the kubelet fails to start", dir_abs,
                                    nf->kind == FILE_ABSENT ? "does not exist" : "is not a directory");
                r = walk(fs, nf->path, 0, &files, ret_error);
                if (r < 0)
                        return r;
        }
        *ret_main_first = main_abs != NULL;
        *ret = TAKE_PTR(files);
        return 0;
}

int kubelet_config_files(const NodeFS *fs, const char *config_path, const char *config_dir, char ***ret,
                         char **ret_error) {
        bool main_first;
        return config_files(fs, config_path, config_dir, ret, &main_first, ret_error);
}

static int split_key(const char *key, char ***ret) {
        _cleanup_strv_free_ char **path = NULL;
        for (const char *p = key; *p;) {
                size_t n = strcspn(p, ".");
                if (n == 0 || strv_consume(&path, strndup(p, n)) < 0)
                        return n == 0 ? -EINVAL : -ENOMEM;
                p += n + (p[n] == '.');
        }
        if (!path)
                return -EINVAL;
        *ret = TAKE_PTR(path);
        return 0;
}

int kubelet_config_effective_value(const NodeFS *fs, const char *config_path, const char *config_dir,
                                   const char *key, KubeletSetting *ret, char **ret_error) {
        _cleanup_(kubelet_setting_done) KubeletSetting s = {};
        _cleanup_strv_free_ char **path = NULL, **files = NULL;
        bool main_first;
        int r;

        if ((r = split_key(key, &path)) < 0)
                return r;
        if ((r = config_files(fs, config_path, config_dir, &files, &main_first, ret_error)) < 0)
                return r;

        /* The main file first, then the drop-ins over it. */
        for (size_t i = 0; files && files[i]; i++) {
                _cleanup_(yaml_document_freep) YamlDocument *doc = NULL;
                const YamlNode *node = NULL;
                r = load(fs, files[i], !(main_first && i == 0), &doc, ret_error);
                if (r < 0)
                        return r;
                r = apply(&s, doc, path, &node);
                if (r < 0)
                        return r;
        }
        *ret = s;
        s = (KubeletSetting) {};
        return 0;
}

/* A command-line flag over whatever the files said. */
static int apply_flag(KubeletSetting *s, const KubeletArg *a) {
        if (s->source && strv_consume(&s->overridden, TAKE_PTR(s->source)) < 0)
                return -ENOMEM;
        free(s->value);
        free(s->flag);
        free(s->word);
        free(s->variable);
        s->set = true;
        /* a boolean flag without a value means true */
        s->value = strdup(a->value ?: "true");
        s->source = strdup(a->source);
        s->flag = strdup(a->flag);
        s->word = strdup(a->word);
        s->variable = a->variable ? strdup(a->variable) : NULL;
        if (!s->value || !s->source || !s->flag || !s->word || (a->variable && !s->variable))
                return -ENOMEM;
        return 0;
}

/* A flag the kubelet refuses stops it before any of this matters. */
static const char *arg_config_key(const KubeletArg *a) {
        return a->flag && a->accepted != 0 ? kubelet_flag_config_key(a->flag) : NULL;
}

int kubelet_cmdline_setting(const KubeletCommandLine *c, const NodeFS *fs, const char *key, KubeletSetting *ret,
                            char **ret_error) {
        _cleanup_(kubelet_setting_done) KubeletSetting s = {};
        int r;

        r = kubelet_config_effective_value(fs, c->config_path, c->config_dir, key, &s, ret_error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < c->n_args; i++)
                if (streq_ptr(arg_config_key(&c->args[i]), key) && (r = apply_flag(&s, &c->args[i])) < 0)
                        return r;
        *ret = s;
        s = (KubeletSetting) {};
        return 0;
}

void kubelet_config_tree_done(KubeletConfigTree *t) {
        for (size_t i = 0; i < t->n_leaves; i++) {
                strv_free(t->leaves[i].path);
                json_object_putp(&t->leaves[i].value);
                kubelet_setting_done(&t->leaves[i].setting);
        }
        free(t->leaves);
        strv_free(t->files);
        *t = (KubeletConfigTree) {};
}

static bool path_equal(char * const *a, char * const *b) {
        for (; *a && *b; a++, b++)
                if (!streq(*a, *b))
                        return false;
        return !*a && !*b;
}

static int path_compare(char * const *a, char * const *b) {
        for (; *a && *b; a++, b++) {
                int c = strcmp(*a, *b);
                if (c != 0)
                        return c;
        }
        return *a ? 1 : *b ? -1 : 0;
}

static int leaf_compare(const void *x, const void *y) {
        return path_compare(((const KubeletConfigLeaf *) x)->path, ((const KubeletConfigLeaf *) y)->path);
}

static KubeletConfigLeaf *tree_find(KubeletConfigTree *t, char * const *path) {
        for (size_t i = 0; i < t->n_leaves; i++)
                if (path_equal(t->leaves[i].path, path))
                        return &t->leaves[i];
        return NULL;
}

static int tree_add(KubeletConfigTree *t, char * const *path, KubeletConfigLeaf **ret) {
        if ((*ret = tree_find(t, path)))
                return 0;
        KubeletConfigLeaf *l = reallocarray(t->leaves, t->n_leaves + 1, sizeof(KubeletConfigLeaf));
        if (!l)
                return -ENOMEM;
        t->leaves = l;
        l = &t->leaves[t->n_leaves];
        *l = (KubeletConfigLeaf) { .path = strv_copy(path) };
        if (!l->path)
                return -ENOMEM;
        t->n_leaves++;
        *ret = l;
        return 0;
}

/* Every path to a value that is not a non-empty mapping, in one file: the candidates for leaves. */
static int collect_paths(KubeletConfigTree *t, const YamlNode *map, char ***prefix) {
        size_t depth = strv_length(*prefix);
        for (size_t i = 0; map && map->type == YAML_NODE_MAPPING && i < map->n_pairs; i++) {
                const YamlNode *v = map->pairs[i].value;
                KubeletConfigLeaf *leaf;
                int r;

                if (strv_extend(prefix, map->pairs[i].key->scalar) < 0)
                        return -ENOMEM;
                if (v->type == YAML_NODE_MAPPING && v->n_pairs > 0)
                        r = collect_paths(t, v, prefix);
                else
                        r = tree_add(t, *prefix, &leaf);
                free((*prefix)[depth]);
                (*prefix)[depth] = NULL;
                if (r < 0)
                        return r;
        }
        return 0;
}

int kubelet_cmdline_config_tree(const KubeletCommandLine *c, const NodeFS *fs, KubeletConfigTree *ret,
                                char **ret_error) {
        _cleanup_(kubelet_config_tree_done) KubeletConfigTree t = {};
        _cleanup_strv_free_ char **files = NULL;
        YamlDocument **docs = NULL;
        size_t n_docs = 0;
        bool main_first;
        int r;

        if ((r = config_files(fs, c->config_path, c->config_dir, &files, &main_first, ret_error)) < 0)
                return r;
        n_docs = strv_length(files);
        if (n_docs > 0 && !(docs = calloc(n_docs, sizeof(YamlDocument *))))
                return -ENOMEM;
        for (size_t i = 0; i < n_docs; i++) {
                _cleanup_strv_free_ char **prefix = NULL;
                if ((r = load(fs, files[i], !(main_first && i == 0), &docs[i], ret_error)) < 0 ||
                    (r = collect_paths(&t, docs[i]->root, &prefix)) < 0)
                        goto finish;
        }

        /* Each candidate through the merge, as kubelet_config_effective_value() merges one key: a
         * path whose winner is a mapping has its own leaves, one that ends unset is left out. */
        size_t kept = 0;
        for (size_t i = 0; i < t.n_leaves; i++) {
                KubeletConfigLeaf *l = &t.leaves[i];
                const YamlNode *node = NULL;
                for (size_t d = 0; d < n_docs; d++)
                        if ((r = apply(&l->setting, docs[d], l->path, &node)) < 0)
                                goto finish;
                if (!l->setting.set || !node || node->type == YAML_NODE_MAPPING) {
                        strv_free(l->path);
                        kubelet_setting_done(&l->setting);
                        continue;
                }
                if ((r = yaml_node_to_json(node, &l->value)) < 0)
                        goto finish;
                t.leaves[kept++] = *l;
        }
        t.n_leaves = kept;

        for (size_t i = 0; i < c->n_args; i++) {
                const char *key = arg_config_key(&c->args[i]);
                _cleanup_strv_free_ char **path = NULL;
                KubeletConfigLeaf *l;
                if (!key)
                        continue;
                if ((r = split_key(key, &path)) < 0 || (r = tree_add(&t, path, &l)) < 0 ||
                    (r = apply_flag(&l->setting, &c->args[i])) < 0)
                        goto finish;
                json_object_putp(&l->value);
                l->value = NULL;
                if ((r = yaml_scalar_to_json(l->setting.value, strlen(l->setting.value), true, &l->value)) < 0)
                        goto finish;
        }
        if (t.n_leaves > 0)
                qsort(t.leaves, t.n_leaves, sizeof(KubeletConfigLeaf), leaf_compare);
        t.files = TAKE_PTR(files);
        *ret = t;
        t = (KubeletConfigTree) {};
        r = 0;
finish:
        for (size_t i = 0; i < n_docs; i++)
                yaml_document_free(docs[i]);
        free(docs);
        return r;
}
