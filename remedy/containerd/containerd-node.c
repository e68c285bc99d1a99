/* SPDX-License-Identifier: MIT */
#include "remedy/containerd-node.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "remedy/context.h"
#include "remedy/macro.h"
#include "remedy/package-version.h"
#include "remedy/unit-exec.h"
#include "remedy/unit-file.h"
#include "remedy/strv.h"

int containerd_binary(const char **ret) {
        static const char * const candidates[] = { "/usr/local/bin/containerd", "/usr/bin/containerd", NULL };
        for (const char * const *p = candidates; *p; p++)
                if (access(*p, X_OK) == 0) {
                        *ret = *p;
                        return 0;
                }
        return -ENOENT;
}

int containerd_node_config_path(Context *c, char **ret) {
        _cleanup_(unit_exec_done) UnitExec e = {};
        _cleanup_free_ char *error = NULL;
        const NodeFS fs = ctx_node_fs(c);
        const char *found = NULL;

        /* The service's command line as systemd runs it. */
        int r = unit_exec_resolve(&fs, "containerd.service", &e, &error);
        if (r == -ENOMEM)
                return r;
        /* urfave/cli: --config FILE, --config=FILE, -c FILE (the last one wins) */
        for (size_t i = 1; r >= 0 && e.argv && e.argv[i]; i++) {
                const char *w = e.argv[i], *v;
                if ((streq(w, "--config") || streq(w, "-c") || streq(w, "-config")) && e.argv[i + 1])
                        found = e.argv[++i];
                else if ((v = startswith(w, "--config=")) || (v = startswith(w, "-c=")))
                        found = v;
        }
        if (!found || !*found)
                return (*ret = strdup(CONTAINERD_CONFIG_PATH)) ? 0 : -ENOMEM;
        /* relative: from containerd's working directory, "/" under systemd */
        return asprintf(ret, "%s%s", found[0] == '/' ? "" : "/", found) < 0 ? -ENOMEM : 0;
}

int containerd_node_present(Context *c, const char *path) {
        static const char * const binaries[] = { "/usr/bin/containerd", "/usr/local/bin/containerd", "/opt/bin/containerd", NULL };
        const NodeFile *f;
        FileKind kind;
        mode_t mode;
        int r;

        if ((r = ctx_read(c, path, true, &f)) < 0)
                return r;
        if (f->kind != FILE_ABSENT)
                return 1;
        for (const char * const *b = binaries; *b; b++) {
                /* a binary may be larger than a file remedy reads: its kind only */
                if ((r = ctx_stat(c, *b, &kind, &mode)) < 0 && r != -ENOENT)
                        return r;
                if (r >= 0 && kind != FILE_ABSENT)
                        return 1;
        }
        const NodeFS fs = ctx_node_fs(c);
        _cleanup_(unit_file_freep) UnitFile *u = NULL;
        _cleanup_free_ char *error = NULL;
        r = unit_file_find_fragment(&fs, "containerd.service", &u, &error);
        if (r == -ENOMEM)
                return r;
        return r >= 0;
}

ContainerdRules containerd_node_rules(const NodeFS *fs) {
        _cleanup_free_ char *version = NULL;
        unsigned major, minor;

        if (package_version(fs, (const char * const[]) { "containerd", "containerd.io", NULL }, &version, NULL) <= 0 ||
            package_version_minor(version, &major, &minor) < 0)
                return CONTAINERD_RULES_AUTO;
        if (major < 2)
                return CONTAINERD_RULES_1;
        return major == 2 && minor < 3 ? CONTAINERD_RULES_2 : CONTAINERD_RULES_2_3;
}

/* The runtimes of the dump, told apart by the files: a runtime no file names is containerd's
 * built-in runc, which the dump lists as if configured. */
static void dump_take_files(ContainerdConfig *dump, ContainerdConfig *files) {
        dump->files = TAKE_PTR(files->files);
        if (dump->systemd_cgroup == files->systemd_cgroup)
                dump->systemd_cgroup_file = TAKE_PTR(files->systemd_cgroup_file);
        if (streq_ptr(dump->cni_conf_dir, files->cni_conf_dir))
                dump->cni_conf_dir_file = TAKE_PTR(files->cni_conf_dir_file);
        dump->cri_file = TAKE_PTR(files->cri_file);
        if (dump->cri_systemd_cgroup == files->cri_systemd_cgroup)
                dump->cri_systemd_cgroup_file = TAKE_PTR(files->cri_systemd_cgroup_file);
        for (size_t i = 0; i < dump->n_runtimes; i++) {
                ContainerdRuntime *d = &dump->runtimes[i];
                ContainerdRuntime *f = (ContainerdRuntime *) containerd_config_runtime(files, d->name);
                if (!f)
                        continue;
                if (!f->configured) {
                        d->configured = false;
                        d->pods = d->is_default && (d->runc || !*d->type);
                }
                if (d->systemd_cgroup == f->systemd_cgroup)
                        d->systemd_cgroup_file = TAKE_PTR(f->systemd_cgroup_file);
                d->table_file = TAKE_PTR(f->table_file);
        }
}

int containerd_node_config(const NodeFS *fs, bool live, const char *path, ContainerdConfig *ret, char **ret_error) {
        ContainerdConfig dump = {}, files = {};
        ContainerdRules rules = containerd_node_rules(fs);
        const NodeFile *f;
        const char *binary;
        int r;

        *ret_error = NULL;
        if (!live)
                return containerd_config_load(fs, path, rules, ret, ret_error);
        if ((r = fs->read(fs->userdata, path, true, &f)) < 0)
                return asprintf(ret_error, "%s: %s", path, strerror(-r)) < 0 ? -ENOMEM : r;
        /* config dump refuses a missing file, the daemon runs on its defaults */
        if (f->kind == FILE_ABSENT || containerd_binary(&binary) < 0)
                return containerd_config_load(fs, path, rules, ret, ret_error);

        if ((r = containerd_config_dump(binary, path, &dump, ret_error)) < 0)
                return r;
        /* The dump says version 2 for 1.x, 3 for 2.0 - 2.2, 4 for 2.3: the rules to read the files by. */
        rules = dump.version >= 4 ? CONTAINERD_RULES_2_3 : dump.version == 3 ? CONTAINERD_RULES_2 : CONTAINERD_RULES_1;
        r = containerd_config_load(fs, path, rules, &files, ret_error);
        if (r < 0) {
                containerd_config_done(&dump);
                return r;
        }
        /* containerd's own answer wins; the files only say where a value came from, and only
         * where they agree with it. */
        dump_take_files(&dump, &files);
        containerd_config_done(&files);
        *ret = dump;
        return 0;
}

/* The fact's value in an effective configuration: -ENODATA when it has none. */
static int fact_value(const ContainerdConfig *c, const char *name, char **ret) {
        const char *v = streq(name, "containerd.cni.conf_dir") ? c->cni_conf_dir : c->cni_bin_dirs ? c->cni_bin_dirs[0] : NULL;
        if (!v)
                return -ENODATA;
        return (*ret = strdup(v)) ? 0 : -ENOMEM;
}

int node_fact_param(void *userdata, const char *fact, char **ret, char **ret_error) {
        NodeFactSource *s = userdata;
        int r;

        if (!param_fact_is_known(fact))
                return -EINVAL;
        if (!s->loaded) {
                if (!s->context && (r = context_new(s->root, s->offline, &s->context)) < 0)
                        return r;
                const NodeFS fs = ctx_node_fs(s->context);
                bool live = !s->offline && root_is_host(s->root);
                _cleanup_free_ char *path = NULL;
                if ((r = containerd_node_config_path(s->context, &path)) < 0 ||
                    (r = containerd_node_config(&fs, live, path, &s->containerd, ret_error)) < 0)
                        return r;
                s->loaded = true;
        }
        return fact_value(&s->containerd, fact, ret);
}

void node_fact_source_done(NodeFactSource *s) {
        if (s->loaded)
                containerd_config_done(&s->containerd);
        s->loaded = false;
        s->context = context_free(s->context);
}
