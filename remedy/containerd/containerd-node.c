/* SPDX-License-Identifier: MIT */
#include "remedy/containerd-node.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "remedy/macro.h"
#include "remedy/strv.h"

static const char * const node_facts[] = { "containerd.cni.conf_dir", "containerd.cni.bin_dir", NULL };

int containerd_binary(const char **ret) {
        static const char * const candidates[] = { "/usr/local/bin/containerd", "/usr/bin/containerd", NULL };
        for (const char * const *p = candidates; *p; p++)
                if (access(*p, X_OK) == 0) {
                        *ret = *p;
                        return 0;
                }
        return -ENOENT;
}

static int main_file_exists(Root *root, const char *path) {
        _cleanup_close_ int fd = root_open_file(root, path, O_RDONLY | O_CLOEXEC, 0);
        if (fd == -ENOENT)
                return 0;
        return fd < 0 ? fd : 1;
}

int containerd_node_config(Root *root, bool offline, const char *path, ContainerdConfig *ret, char **ret_error) {
        ContainerdConfig dump = {}, files = {};
        const char *binary;
        int r;

        *ret_error = NULL;
        if (offline || !root_is_host(root))
                return containerd_config_load(root, path, CONTAINERD_RULES_AUTO, ret, ret_error);
        if ((r = main_file_exists(root, path)) < 0)
                return asprintf(ret_error, "%s: %s", path, strerror(-r)) < 0 ? -ENOMEM : r;
        if (r == 0 || containerd_binary(&binary) < 0)
                return containerd_config_load(root, path, CONTAINERD_RULES_AUTO, ret, ret_error);

        if ((r = containerd_config_dump(binary, path, &dump, ret_error)) < 0)
                return r;
        /* The dump says version 3 for containerd 2.x, 2 for 1.x: the rules to read the files by. */
        r = containerd_config_load(root, path, dump.version >= 3 ? CONTAINERD_RULES_2 : CONTAINERD_RULES_1, &files,
                                   ret_error);
        if (r < 0) {
                containerd_config_done(&dump);
                return r;
        }
        /* containerd's own answer wins; the files only say where a value came from, and only
         * where they agree with it. */
        dump.files = TAKE_PTR(files.files);
        if (dump.systemd_cgroup == files.systemd_cgroup)
                dump.systemd_cgroup_file = TAKE_PTR(files.systemd_cgroup_file);
        if (streq_ptr(dump.cni_conf_dir, files.cni_conf_dir))
                dump.cni_conf_dir_file = TAKE_PTR(files.cni_conf_dir_file);
        containerd_config_done(&files);
        *ret = dump;
        return 0;
}

bool node_fact_is_known(const char *name) {
        for (const char * const *f = node_facts; *f; f++)
                if (streq(*f, name))
                        return true;
        return false;
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

        if (!node_fact_is_known(fact))
                return -EINVAL;
        if (!s->loaded) {
                if ((r = containerd_node_config(s->root, s->offline, CONTAINERD_CONFIG_PATH, &s->containerd, ret_error)) < 0)
                        return r;
                s->loaded = true;
        }
        return fact_value(&s->containerd, fact, ret);
}

void node_fact_source_done(NodeFactSource *s) {
        if (s->loaded)
                containerd_config_done(&s->containerd);
        s->loaded = false;
}
