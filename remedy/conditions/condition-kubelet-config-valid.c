/* SPDX-License-Identifier: MIT */
/*
 * when: / match: / verify: {kubelet-config-valid: {valid: BOOL}}
 *
 * Whether the files the kubelet loads its configuration from (--config, then the --config-dir
 * drop-ins: kubelet-cmdline.h) are ones it can load, judged as cmd/kubelet/app/server.go's
 * loadConfigFile() and the kubelet's scheme judge them: each parses as YAML (or JSON) to a
 * mapping, the main file names a kind and that kind is KubeletConfiguration in
 * kubelet.config.k8s.io (a kubeconfig, kind Config, passed as --config is the classic mistake:
 * kubernetes #121467), and a drop-in names apiVersion and kind. The evidence is FILE:LINE: reason.
 *
 * Not judged from the files: a missing --config file (the node may not have joined: FAILURES.md
 * B.4), and the files the configuration names (clientCAFile, ...): node trees copied without
 * their PKI would all match; the kubelet's own journal line names such a file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/action.h"
#include "remedy/context.h"
#include "remedy/kubelet-cmdline.h"
#include "remedy/strv.h"
#include "remedy/yaml-node.h"

#define KUBELET_UNIT "kubelet.service"
#define KUBELET_API_GROUP "kubelet.config.k8s.io/"

typedef struct KubeletConfigValid {
        bool valid;
} KubeletConfigValid;

static int kubelet_config_valid_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        KubeletConfigValid *k = calloc(1, sizeof(KubeletConfigValid));
        int r;

        if (!k)
                return -ENOMEM;
        static const char * const keys[] = { "valid", NULL };
        if ((r = parse_check_keys(pc, args, "kubelet-config-valid", keys)) < 0 ||
            (r = parse_bool(pc, args, "valid", true, &k->valid)) < 0) {
                free(k);
                return r;
        }
        *ret = k;
        return 0;
}

static const char *scalar_of(const YamlNode *map, const char *key) {
        const YamlNode *n = yaml_node_get(map, key);
        return n && n->type == YAML_NODE_SCALAR ? n->scalar : NULL;
}

/* NULL when the kubelet loads the file; else why not, as "FILE:LINE: reason". */
static int judge_file(Context *c, const char *path, bool dropin, char **ret_reason) {
        _cleanup_(yaml_document_freep) YamlDocument *doc = NULL;
        _cleanup_free_ char *error = NULL;
        const NodeFile *f;
        int r;

        *ret_reason = NULL;
        if ((r = ctx_read(c, path, true, &f)) < 0)
                return r;
        if (f->kind == FILE_ABSENT)
                return 0;   /* not joined yet (B.4), or a drop-in that went: nothing to judge */
        if (f->kind != FILE_REGULAR)
                return asprintf(ret_reason, "%s: is a %s, not a file: the kubelet fails to start", path,
                                file_kind_name(f->kind)) < 0 ? -ENOMEM : 0;
        r = yaml_document_parse(path, f->data, f->size, &doc, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return asprintf(ret_reason, "%s (the kubelet cannot decode it)", error ? error : path) < 0 ? -ENOMEM : 0;
        const YamlNode *root = doc->root;
        if (!root || root->type != YAML_NODE_MAPPING) {
                if (dropin && !root)
                        return 0;
                return asprintf(ret_reason, "%s:%u: not a KubeletConfiguration (a mapping)", path,
                                root ? root->mark.line : 1) < 0 ? -ENOMEM : 0;
        }
        const char *kind = scalar_of(root, "kind"), *api = scalar_of(root, "apiVersion");
        const YamlNode *at = yaml_node_get_key(root, "kind") ?: yaml_node_get_key(root, "apiVersion");
        unsigned line = at ? at->mark.line : root->mark.line;
        if (streq_ptr(kind, "Config"))
                return asprintf(ret_reason, "%s:%u: kind Config is a kubeconfig, not a KubeletConfiguration: the kubelet's "
                                "--config names its kubeconfig (--kubeconfig is for that)", path, line) < 0 ? -ENOMEM : 0;
        if (!kind || !api)
                return asprintf(ret_reason, "%s:%u: no %s: the kubelet cannot tell what the file is", path, line,
                                !kind ? "kind" : "apiVersion") < 0 ? -ENOMEM : 0;
        if (!streq(kind, "KubeletConfiguration") || strncmp(api, KUBELET_API_GROUP, strlen(KUBELET_API_GROUP)) != 0)
                return asprintf(ret_reason, "%s:%u: kind %s in %s is not the kubelet's KubeletConfiguration (%sv1beta1)",
                                path, line, kind, api, KUBELET_API_GROUP) < 0 ? -ENOMEM : 0;
        return 0;
}

/* >0 as asked, 0 not; *ret_evidence says why each file cannot be loaded, or that all can. */
static int kubelet_config_judge(Context *c, const KubeletConfigValid *k, char **ret_evidence) {
        _cleanup_(kubelet_cmdline_done) KubeletCommandLine cl = {};
        _cleanup_strv_free_ char **files = NULL, **reasons = NULL;
        _cleanup_free_ char *error = NULL;
        const NodeFS fs = ctx_node_fs(c);
        int r;

        r = kubelet_cmdline_resolve(&fs, KUBELET_UNIT, NULL, &cl, &error);
        if (r == -ENOENT && !error)
                return k->valid;   /* no kubelet: nothing invalid */
        if (r < 0)
                return r == -ENOMEM ? r : ctx_error(c, r, "%s: %s", KUBELET_UNIT, error ? error : strerror(-r));
        if (!cl.config_path && !cl.config_dir)
                return k->valid;
        r = kubelet_config_files(&fs, cl.config_path, cl.config_dir, &files, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                if (strv_extend(&reasons, error ? error : strerror(-r)) < 0)
                        return -ENOMEM;
        } else
                for (size_t i = 0; files && files[i]; i++) {
                        _cleanup_free_ char *reason = NULL;
                        if ((r = judge_file(c, files[i], !(cl.config_path && i == 0), &reason)) < 0)
                                return r;
                        if (reason && strv_consume(&reasons, TAKE_PTR(reason)) < 0)
                                return -ENOMEM;
                }
        if (reasons) {
                size_t size = 0;
                FILE *out = open_memstream(ret_evidence, &size);
                if (!out)
                        return -ENOMEM;
                fputs("the kubelet cannot load its configuration: ", out);
                STRV_FOREACH(x, reasons)
                        fprintf(out, "%s%s", x == reasons ? "" : "; ", *x);
                if (fclose(out) != 0)
                        return -ENOMEM;
        } else if (!(*ret_evidence = strdup("the kubelet's configuration files load")))
                return -ENOMEM;
        return !reasons == k->valid;
}

static int kubelet_config_valid_eval(Context *c, const void *args, char **ret_error) {
        _cleanup_free_ char *evidence = NULL;
        int r = kubelet_config_judge(c, args, &evidence);
        if (r > 0 && evidence && !((const KubeletConfigValid *) args)->valid && strv_extend(&c->evidence, evidence) < 0)
                return -ENOMEM;
        return r;
}

static int kubelet_config_valid_check_run(Context *c, const void *args, char **ret_evidence) {
        _cleanup_free_ char *evidence = NULL;
        int r = kubelet_config_judge(c, args, &evidence);
        if (r == 0)
                *ret_evidence = TAKE_PTR(evidence);
        return r;
}

const ConditionType condition_kubelet_config_valid = {
        .key = "kubelet-config-valid",
        .parse = kubelet_config_valid_parse,
        .eval = kubelet_config_valid_eval,
        .free_args = free,
};

const CheckType check_kubelet_config_valid = {
        .key = "kubelet-config-valid",
        .parse = kubelet_config_valid_parse,
        .run = kubelet_config_valid_check_run,
        .free_args = free,
        .state = true,
};
