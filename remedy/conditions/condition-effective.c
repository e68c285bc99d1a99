/* SPDX-License-Identifier: MIT */
/*
 * The configuration a daemon actually runs with, not one file of it:
 *
 *   {containerd-config: {systemd_cgroup: BOOL, path: PATH}}     (path: /etc/containerd/config.toml)
 *       containerd's effective runc SystemdCgroup, its imports merged as containerd merges them
 *       (live: its own config dump). A 1.x import that names any CRI setting replaces the CRI
 *       table of config.toml, SystemdCgroup included.
 *   {kubelet-config: {key: KEY, equals: VALUE}}
 *       the kubelet's effective setting: its --config file, the --config-dir drop-ins merged over
 *       it, and a command-line flag over both, from the kubelet unit's ExecStart and environment.
 *
 * Both are conditions (match:, when:) and checks (verify:). A check that fails says which file
 * decides the value, so that a playbook which set config.toml or config.yaml and was overridden
 * by an import or a drop-in says so rather than report success. Both read the node's files as
 * they are on disk, not the planned state: they judge what the daemons would load.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/action.h"
#include "remedy/containerd-node.h"
#include "remedy/context.h"
#include "remedy/kubelet-cmdline.h"
#include "remedy/strv.h"

typedef struct ContainerdArgs {
        bool systemd_cgroup;
        Template *path;
} ContainerdArgs;

static void containerd_args_free(void *p) {
        ContainerdArgs *a = p;
        if (!a)
                return;
        template_free(a->path);
        free(a);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(ContainerdArgs *, containerd_args_free);

static int containerd_args_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "systemd_cgroup", "path", NULL };
        _cleanup_(containerd_args_freep) ContainerdArgs *a = calloc(1, sizeof(ContainerdArgs));
        int r;

        if (!a)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "containerd-config", keys)) < 0 ||
            (r = parse_bool(pc, args, "systemd_cgroup", true, &a->systemd_cgroup)) < 0 ||
            (r = parse_template(pc, args, "path", false, TEMPLATE_PATH, "a path", &a->path)) < 0)
                return r;
        *ret = TAKE_PTR(a);
        return 0;
}

/* >0 as wanted, 0 not; either way *ret_evidence says what decides it. <0 error. */
static int containerd_judge(Context *c, const ContainerdArgs *a, char **ret_evidence) {
        _cleanup_free_ char *path = NULL, *error = NULL;
        _cleanup_(containerd_config_done) ContainerdConfig cfg = {};
        size_t size = 0;
        int r;

        if ((r = ctx_render_or(c, a->path, CONTAINERD_CONFIG_PATH, &path)) < 0)
                return r;
        r = containerd_node_config(c->root, c->offline, path, &cfg, &error);
        if (r < 0)
                return ctx_error(c, r == -ENOMEM ? r : -EINVAL, "%s", error ? error : strerror(-r));

        const char *from = cfg.systemd_cgroup_file;
        FILE *out = open_memstream(ret_evidence, &size);
        if (!out)
                return -ENOMEM;
        fprintf(out, "containerd's effective SystemdCgroup is %s: ", cfg.systemd_cgroup ? "true" : "false");
        if (!from)
                fputs("nothing sets it (containerd's default)", out);
        else if (streq(from, path))
                fprintf(out, "set by %s", from);
        else
                fprintf(out, "set by %s, %s", from,
                        cfg.rules == 1 ? "an import that replaces the CRI settings of the main file" : "an import");
        /* Under 1.x rules an import with any CRI setting replaces the main file's CRI table: name
         * the imports when that is how the main file's value was lost. */
        if (!from && cfg.rules == 1 && strv_length(cfg.files) > 1)
                STRV_FOREACH(f, cfg.files + 1)
                        fprintf(out, "%s%s", f == cfg.files + 1 ? "; containerd 1.x lets an import's CRI settings replace the main file's: " : ", ", *f);
        if (fclose(out) != 0)
                return -ENOMEM;
        return (cfg.systemd_cgroup != 0) == a->systemd_cgroup;
}

static int containerd_condition_eval(Context *c, const void *args, char **ret_error) {
        _cleanup_free_ char *evidence = NULL;
        int r = containerd_judge(c, args, &evidence);
        if (r > 0 && evidence && strv_extend(&c->evidence, evidence) < 0)
                return -ENOMEM;
        return r;
}

static int containerd_check_run(Context *c, const void *args, char **ret_evidence) {
        _cleanup_free_ char *evidence = NULL;
        int r = containerd_judge(c, args, &evidence);
        if (r == 0)
                *ret_evidence = TAKE_PTR(evidence);
        return r;
}

const ConditionType condition_containerd_config = {
        .key = "containerd-config",
        .parse = containerd_args_parse,
        .eval = containerd_condition_eval,
        .free_args = containerd_args_free,
};

const CheckType check_containerd_config = {
        .key = "containerd-config",
        .parse = containerd_args_parse,
        .run = containerd_check_run,
        .free_args = containerd_args_free,
        .state = true,
};

typedef struct KubeletArgs {
        char *key;
        Template *equals;
} KubeletArgs;

static void kubelet_args_free(void *p) {
        KubeletArgs *a = p;
        if (!a)
                return;
        free(a->key);
        template_free(a->equals);
        free(a);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(KubeletArgs *, kubelet_args_free);

static int kubelet_args_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "key", "equals", NULL };
        _cleanup_(kubelet_args_freep) KubeletArgs *a = calloc(1, sizeof(KubeletArgs));
        int r;

        if (!a)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "kubelet-config", keys)) < 0 ||
            (r = parse_string(pc, args, "key", true, &a->key)) < 0 ||
            (r = parse_template(pc, args, "equals", true, 0, "a value", &a->equals)) < 0)
                return r;
        *ret = TAKE_PTR(a);
        return 0;
}

/* >0 equal, 0 not (either way with *ret_evidence saying what decides it), -ENOENT when the kubelet has no configuration to read
 * (no unit, or a node still joining: no config.yaml yet), <0 other errors. */
static int kubelet_judge(Context *c, const KubeletArgs *a, char **ret_evidence) {
        _cleanup_(kubelet_cmdline_done) KubeletCommandLine cl = {};
        _cleanup_(kubelet_setting_done) KubeletSetting s = {};
        _cleanup_free_ char *want = NULL, *error = NULL;
        const NodeFS fs = ctx_node_fs(c);
        size_t size = 0;
        int r;

        if ((r = ctx_render(c, a->equals, &want)) < 0)
                return r;
        r = kubelet_cmdline_resolve(&fs, "kubelet.service", NULL, &cl, &error);
        if (r == -ENOENT)
                return r;
        if (r < 0)
                return ctx_error(c, r == -ENOMEM ? r : -EINVAL, "kubelet.service: %s", error ? error : strerror(-r));
        r = kubelet_cmdline_setting(&cl, &fs, a->key, &s, &error);
        if (r == -ENOENT)
                return r;
        if (r < 0)
                return ctx_error(c, r == -ENOMEM ? r : -EINVAL, "%s", error ? error : strerror(-r));

        bool equal = s.set && streq_ptr(s.value, want);
        FILE *out = open_memstream(ret_evidence, &size);
        if (!out)
                return -ENOMEM;
        if (!s.set)
                fprintf(out, "the kubelet's %s is not set (the kubelet's default applies), not %s", a->key, want);
        else {
                fprintf(out, "the kubelet's effective %s is %s, set by ", a->key, s.value ? s.value : "(not a scalar)");
                if (s.flag)
                        fprintf(out, "--%s at ", s.flag);
                fputs(s.source, out);
                if (!equal)
                        fprintf(out, ", not %s", want);
        }
        STRV_FOREACH(o, s.overridden)
                fprintf(out, "%s%s", o == s.overridden ? ", overriding " : ", ", *o);
        if (fclose(out) != 0)
                return -ENOMEM;
        return equal;
}

static int kubelet_condition_eval(Context *c, const void *args, char **ret_error) {
        _cleanup_free_ char *evidence = NULL;
        int r = kubelet_judge(c, args, &evidence);
        if (r > 0 && evidence && strv_extend(&c->evidence, evidence) < 0)
                return -ENOMEM;
        return r == -ENOENT ? 0 : r;
}

static int kubelet_check_run(Context *c, const void *args, char **ret_evidence) {
        _cleanup_free_ char *evidence = NULL;
        int r = kubelet_judge(c, args, &evidence);
        if (r == -ENOENT)
                return (*ret_evidence = strdup("the kubelet has no configuration file to read yet")) ? 0 : -ENOMEM;
        if (r == 0)
                *ret_evidence = TAKE_PTR(evidence);
        return r;
}

const ConditionType condition_kubelet_config = {
        .key = "kubelet-config",
        .parse = kubelet_args_parse,
        .eval = kubelet_condition_eval,
        .free_args = kubelet_args_free,
};

const CheckType check_kubelet_config = {
        .key = "kubelet-config",
        .parse = kubelet_args_parse,
        .run = kubelet_check_run,
        .free_args = kubelet_args_free,
        .state = true,
};
