/* SPDX-License-Identifier: MIT */
/*
 * The configuration a daemon actually runs with, not one file of it:
 *
 *   {containerd-config: {systemd_cgroup: BOOL | some_systemd_cgroup: BOOL | installed: BOOL |
 *                        cri_disabled: BOOL, path: PATH}}
 *       (path: the main config containerd's unit passes, containerd_node_config_path())
 *       containerd's effective cgroup driver for the runtimes that run pods (the default runtime
 *       and every configured runc runtime; not-runc-based ones such as kata are left out), its
 *       imports merged as containerd merges them (live: its own config dump): systemd_cgroup
 *       true when every one of them is on systemd, some_systemd_cgroup true when at least one is.
 *       A 1.x import that names any CRI setting replaces the CRI table of config.toml,
 *       SystemdCgroup included. A configuration whose CRI plugin would refuse to load is on
 *       neither driver. On a node without containerd (CRI-O) neither holds; installed says
 *       whether it has containerd at all (containerd_node_present()). cri_disabled: some file's
 *       disabled_plugins names the CRI plugin ("cri" as Docker's containerd.io package ships it,
 *       io.containerd.grpc.v1.cri, 2.x's io.containerd.cri.v1.runtime), the entry named as evidence.
 *   {kubelet-config: {key: KEY, equals: VALUE | not_equals: VALUE | set: BOOL}}
 *       the kubelet's effective setting: its --config file, the --config-dir drop-ins merged over
 *       it, and a command-line flag over both, from the kubelet unit's ExecStart and environment.
 *       Values compare as the kubelet reads them: a YAML 1.1 boolean (False, yes) is a boolean.
 *       not_equals holds when the kubelet has a configuration and the key is not VALUE (unset
 *       included); set when some file or flag sets the key. A kubelet without a configuration
 *       to read (no unit, a node still joining) matches none of them.
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
#include "remedy/yaml-json.h"

typedef struct ContainerdArgs {
        bool want;           /* the value asked for */
        bool some;           /* some_systemd_cgroup: at least one runtime, not every one */
        bool installed;      /* installed: containerd is on the node */
        bool cri_disabled;   /* cri_disabled: disabled_plugins names the CRI plugin */
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
        static const char * const keys[] = { "systemd_cgroup", "some_systemd_cgroup", "installed", "cri_disabled", "path", NULL };
        _cleanup_(containerd_args_freep) ContainerdArgs *a = calloc(1, sizeof(ContainerdArgs));
        int every, some, installed, cri;

        if (!a)
                return -ENOMEM;
        if ((every = parse_check_keys(pc, args, "containerd-config", keys)) < 0 ||
            (every = parse_bool(pc, args, "systemd_cgroup", false, &a->want)) < 0)
                return every;
        bool some_value = false, installed_value = false, cri_value = false;
        if ((some = parse_bool(pc, args, "some_systemd_cgroup", false, &some_value)) < 0)
                return some;
        if ((installed = parse_bool(pc, args, "installed", false, &installed_value)) < 0)
                return installed;
        if ((cri = parse_bool(pc, args, "cri_disabled", false, &cri_value)) < 0)
                return cri;
        if (every + some + installed + cri != 1)
                return parse_error(pc, args, "containerd-config: give one of systemd_cgroup, some_systemd_cgroup, installed and cri_disabled");
        if (cri) {
                a->cri_disabled = true;
                a->want = cri_value;
        }
        if (some) {
                a->some = true;
                a->want = some_value;
        }
        if (installed) {
                a->installed = true;
                a->want = installed_value;
        }
        int r = parse_template(pc, args, "path", false, TEMPLATE_PATH, "a path", &a->path);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(a);
        return 0;
}

/* "nvidia (the default, io.containerd.runc.v2): SystemdCgroup true, set by FILE" */
static void describe_runtime(FILE *out, const ContainerdConfig *cfg, const ContainerdRuntime *r, const char *main_path) {
        fprintf(out, "%s (%s%s): ", r->name, r->is_default ? "the default, " : "", *r->type ? r->type : "no runtime_type");
        if (!r->runc && *r->type)
                fputs("not a runc runtime", out);
        else if (!r->runc)
                fputs("without a runtime_type containerd gives it no runc options: SystemdCgroup is ignored", out);
        else if (r->has_options || !streq(r->type, "io.containerd.runtime.v1.linux"))
                fprintf(out, "%s %s", r->options_key ? r->options_key : "SystemdCgroup",
                        r->options_systemd_cgroup < 0 ? "unset (cgroupfs)" : r->options_systemd_cgroup ? "true" : "false");
        else
                fprintf(out, "systemd_cgroup %s (the v1 linux shim without options follows the CRI plugin's)",
                        cfg->cri_systemd_cgroup == 1 ? "true" : cfg->cri_systemd_cgroup == 0 ? "false" : "unset");
        if (r->systemd_cgroup_file)
                fprintf(out, ", set by %s%s", r->systemd_cgroup_file,
                        streq(r->systemd_cgroup_file, main_path) ? "" : cfg->rules == 1 ? " (an import that replaces the CRI settings of the main file)" : " (an import)");
}

/* >0 as wanted, 0 not; either way *ret_evidence says what decides it. <0 error. */
static int containerd_judge(Context *c, const ContainerdArgs *a, char **ret_evidence) {
        _cleanup_free_ char *path = NULL, *error = NULL;
        _cleanup_(containerd_config_done) ContainerdConfig cfg = {};
        size_t size = 0, pods = 0, on_systemd = 0;
        int r;

        if ((r = a->path ? ctx_render(c, a->path, &path) : containerd_node_config_path(c, &path)) < 0)
                return r;
        if ((r = containerd_node_present(c, path)) < 0)
                return r;
        if (a->installed) {
                if (asprintf(ret_evidence, "containerd is %sinstalled on this node", r ? "" : "not ") < 0)
                        return -ENOMEM;
                return (r > 0) == a->want;
        }
        if (r == 0) {
                if (asprintf(ret_evidence, "containerd is not installed on this node (no %s, no containerd.service, no "
                             "containerd binary)", path) < 0)
                        return -ENOMEM;
                return -ENODEV;
        }
        const NodeFS fs = ctx_node_fs(c);
        r = containerd_node_config(&fs, !c->offline && root_is_host(c->root), path, &cfg, &error);
        if (r < 0)
                return ctx_error(c, r == -ENOMEM ? r : -EINVAL, "%s", error ? error : strerror(-r));

        if (a->cri_disabled) {
                /* Live, the dump says whether; the files say where (the entry to remove). */
                _cleanup_(containerd_config_done) ContainerdConfig files = {};
                const char *where = cfg.cri_disabled;
                if (where && startswith(where, "dump:") &&
                    containerd_config_load(&fs, path, containerd_node_rules(&fs), &files, NULL) >= 0 && files.cri_disabled)
                        where = files.cri_disabled;
                if (where)
                        r = asprintf(ret_evidence, "containerd's CRI plugin is disabled: %s (the kubelet gets \"unknown "
                                     "service runtime.v1.RuntimeService\")", where);
                else
                        r = asprintf(ret_evidence, "containerd's CRI plugin is not disabled (%s)",
                                     cfg.cri_error ? cfg.cri_error : "it would load");
                if (r < 0)
                        return -ENOMEM;
                return (cfg.cri_disabled != NULL) == a->want;
        }

        FILE *out = open_memstream(ret_evidence, &size);
        if (!out)
                return -ENOMEM;
        if (cfg.cri_error)
                fprintf(out, "containerd's CRI plugin would not load (%s): the kubelet finds no runtime; ", cfg.cri_error);
        fputs("containerd's runtimes that run pods: ", out);
        for (size_t i = 0; i < cfg.n_runtimes; i++) {
                const ContainerdRuntime *rt = &cfg.runtimes[i];
                if (!rt->pods)
                        continue;
                fputs(pods++ ? "; " : "", out);
                describe_runtime(out, &cfg, rt, path);
                on_systemd += rt->systemd_cgroup;
        }
        if (pods == 0)
                fputs("none", out);
        bool first = true;
        for (size_t i = 0; i < cfg.n_runtimes; i++)
                if (!cfg.runtimes[i].pods && cfg.runtimes[i].configured) {
                        fprintf(out, "%s%s (%s)", first ? "; left alone: " : ", ", cfg.runtimes[i].name,
                                *cfg.runtimes[i].type ? cfg.runtimes[i].type : "no runtime_type");
                        first = false;
                }
        /* Under 1.x rules an import with any CRI setting replaces the main file's CRI table: name
         * the imports when that is how the main file's settings were lost. */
        const ContainerdRuntime *d = containerd_config_runtime(&cfg, cfg.default_runtime);
        if (d && !d->systemd_cgroup_file && cfg.rules == 1 && strv_length(cfg.files) > 1)
                STRV_FOREACH(f, cfg.files + 1)
                        fprintf(out, "%s%s", f == cfg.files + 1 ? "; containerd 1.x lets an import's CRI settings replace the main file's: " : ", ", *f);
        if (fclose(out) != 0)
                return -ENOMEM;

        /* A CRI plugin that would not load runs no pod on either driver; when the reason is the
         * deprecated systemd_cgroup, containerd was meant for systemd and is not on it: both
         * "not every runtime" and "some runtime" hold, so that diagnose finds it whichever
         * driver the kubelet has. */
        bool every = !cfg.cri_error && pods > 0 && on_systemd == pods;
        bool some = cfg.cri_error_systemd_cgroup || (!cfg.cri_error && on_systemd > 0);
        if (cfg.cri_error && !cfg.cri_error_systemd_cgroup)
                return 0;
        return (a->some ? some : every) == a->want;
}

static int containerd_condition_eval(Context *c, const void *args, char **ret_error) {
        _cleanup_free_ char *evidence = NULL;
        int r = containerd_judge(c, args, &evidence);
        if (r == -ENODEV)   /* no containerd: nothing about it holds */
                return 0;
        if (r > 0 && evidence && strv_extend(&c->evidence, evidence) < 0)
                return -ENOMEM;
        return r;
}

static int containerd_check_run(Context *c, const void *args, char **ret_evidence) {
        _cleanup_free_ char *evidence = NULL;
        int r = containerd_judge(c, args, &evidence);
        if (r == -ENODEV) {   /* reported as not run: there is nothing to check */
                *ret_evidence = TAKE_PTR(evidence);
                return -EOPNOTSUPP;
        }
        /* Passed or not, say which runtimes were judged: on a GPU node "passed" alone would not
         * tell the operator that nvidia, not runc, is the one that runs the pods. */
        if (r >= 0)
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

typedef enum KubeletTest {
        KUBELET_EQUALS,
        KUBELET_NOT_EQUALS,
        KUBELET_SET,
} KubeletTest;

typedef struct KubeletArgs {
        char *key;
        KubeletTest test;
        Template *value;     /* equals, not_equals */
        bool set;            /* set */
} KubeletArgs;

static void kubelet_args_free(void *p) {
        KubeletArgs *a = p;
        if (!a)
                return;
        free(a->key);
        template_free(a->value);
        free(a);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(KubeletArgs *, kubelet_args_free);

static int kubelet_args_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "key", "equals", "not_equals", "set", NULL };
        _cleanup_(kubelet_args_freep) KubeletArgs *a = calloc(1, sizeof(KubeletArgs));
        int r, equals, not_equals, set;

        if (!a)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "kubelet-config", keys)) < 0 ||
            (r = parse_string(pc, args, "key", true, &a->key)) < 0 ||
            (equals = parse_template(pc, args, "equals", false, 0, "a value", &a->value)) < 0)
                return r < 0 ? r : equals;
        Template *other = NULL;
        if ((not_equals = parse_template(pc, args, "not_equals", false, 0, "a value", &other)) < 0 ||
            (set = parse_bool(pc, args, "set", false, &a->set)) < 0) {
                template_free(other);
                return not_equals < 0 ? not_equals : set;
        }
        if (equals + not_equals + set != 1) {
                template_free(other);
                return parse_error(pc, args, "kubelet-config: give one of equals, not_equals and set");
        }
        if (not_equals) {
                a->value = other;
                a->test = KUBELET_NOT_EQUALS;
        } else
                a->test = set ? KUBELET_SET : KUBELET_EQUALS;
        *ret = TAKE_PTR(a);
        return 0;
}

static bool kubelet_values_equal(const char *have, const char *want) {
        int a = yaml11_bool(have), b = yaml11_bool(want);
        return a >= 0 && b >= 0 ? a == b : streq(have, want);
}

/* >0 as asked, 0 not (either way with *ret_evidence saying what decides it), -ENOENT when the kubelet has no configuration to read
 * (no unit, or a node still joining: no config.yaml yet), <0 other errors. */
static int kubelet_judge(Context *c, const KubeletArgs *a, char **ret_evidence) {
        _cleanup_(kubelet_cmdline_done) KubeletCommandLine cl = {};
        _cleanup_(kubelet_setting_done) KubeletSetting s = {};
        _cleanup_free_ char *want = NULL, *error = NULL;
        const NodeFS fs = ctx_node_fs(c);
        size_t size = 0;
        int r;

        if (a->value && (r = ctx_render(c, a->value, &want)) < 0)
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

        bool equal = s.set && s.value && want && kubelet_values_equal(s.value, want);
        bool result = a->test == KUBELET_EQUALS ? equal : a->test == KUBELET_NOT_EQUALS ? !equal : s.set == a->set;
        FILE *out = open_memstream(ret_evidence, &size);
        if (!out)
                return -ENOMEM;
        if (!s.set)
                fprintf(out, "the kubelet's %s is not set (the kubelet's default applies)%s%s", a->key, want ? ", not " : "",
                        strempty(want));
        else {
                fprintf(out, "the kubelet's effective %s is %s, set by ", a->key, s.value ? s.value : "(not a scalar)");
                if (s.flag)
                        fprintf(out, "--%s at ", s.flag);
                fputs(s.source, out);
                if (want && !equal)
                        fprintf(out, ", not %s", want);
        }
        STRV_FOREACH(o, s.overridden)
                fprintf(out, "%s%s", o == s.overridden ? ", overriding " : ", ", *o);
        if (fclose(out) != 0)
                return -ENOMEM;
        return result;
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
