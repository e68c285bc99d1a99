/* SPDX-License-Identifier: MIT */
/*
 * The kubelet's runtime endpoint against containerd's socket (cri-endpoint.h). Both sides are read
 * from the node's files the way the daemons read them; only whether something listens at the
 * kubelet's path is looked up on the node itself.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/containerd-config.h"
#include "remedy/containerd-node.h"
#include "remedy/cri-endpoint.h"
#include "remedy/strv.h"

#define KUBELET_UNIT "kubelet.service"
/* cmd/kubelet/app/options: the default since 1.27 (earlier minors had no default for containerd) */
#define KUBELET_ENDPOINT_DEFAULT "unix:///run/containerd/containerd.sock"

void cri_endpoint_done(CriEndpoint *e) {
        if (!e)
                return;
        free(e->kubelet_endpoint);
        kubelet_setting_done(&e->setting);
        free(e->config_path);
        free(e->address);
        free(e->address_file);
        *e = (CriEndpoint) {};
}

/* /var/run is a symlink to /run on every systemd distribution: one socket, two names. */
static char *normalized(const char *path) {
        char *out;
        if (startswith(path, "/var/run/"))
                return asprintf(&out, "/run/%s", path + strlen("/var/run/")) < 0 ? NULL : out;
        return strdup(path);
}

char *cri_endpoint_socket_path(const char *endpoint) {
        const char *p = endpoint;
        if (startswith(p, "unix://"))
                p += strlen("unix://");
        else if (strstr(p, "://"))
                return NULL;   /* tcp://, npipe:// */
        if (p[0] != '/')
                return NULL;
        return normalized(p);
}

/* Runtimes other than containerd whose socket a kubelet may be meant to use. */
static bool other_runtime(const char *path) {
        static const char * const sockets[] = { "/run/crio/crio.sock", "/run/cri-dockerd.sock", "/run/dockershim.sock", NULL };
        for (const char * const *s = sockets; *s; s++)
                if (streq(path, *s))
                        return true;
        return false;
}

int cri_endpoint_judge(Context *c, CriEndpoint *ret) {
        _cleanup_(cri_endpoint_done) CriEndpoint e = {};
        _cleanup_(kubelet_cmdline_done) KubeletCommandLine cl = {};
        _cleanup_(containerd_config_done) ContainerdConfig cfg = {};
        _cleanup_free_ char *path = NULL, *error = NULL, *kubelet_path = NULL, *containerd_path = NULL;
        const NodeFS fs = ctx_node_fs(c);
        int r;

        if ((r = containerd_node_config_path(c, &path)) < 0)
                return r;
        if ((r = containerd_node_present(c, path)) < 0)
                return r;
        if (r == 0)
                return -ENODEV;
        r = kubelet_cmdline_resolve(&fs, KUBELET_UNIT, NULL, &cl, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || !cl.config_path)
                return -ENODEV;   /* no kubelet unit, or one without a configuration: nothing to align */
        r = kubelet_cmdline_setting(&cl, &fs, "containerRuntimeEndpoint", &e.setting, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return -ENODEV;   /* config.yaml missing: a node before join */
        e.kubelet_endpoint = strdup(e.setting.set && e.setting.value && *e.setting.value ? e.setting.value
                                                                                           : KUBELET_ENDPOINT_DEFAULT);
        if (asprintf(&e.config_path, "%s%s", cl.config_path[0] == '/' ? "" : "/", cl.config_path) < 0)
                e.config_path = NULL;
        if (!e.kubelet_endpoint || !e.config_path)
                return -ENOMEM;

        free(error);
        error = NULL;
        r = containerd_config_load(&fs, path, containerd_node_rules(&fs), &cfg, &error);
        if (r < 0)
                return r == -ENOMEM ? r : ctx_error(c, -EINVAL, "%s", error ? error : strerror(-r));
        e.address = strdup(cfg.grpc_address);
        if (!e.address || (cfg.grpc_address_file && !(e.address_file = strdup(cfg.grpc_address_file))))
                return -ENOMEM;

        kubelet_path = cri_endpoint_socket_path(e.kubelet_endpoint);
        containerd_path = normalized(e.address);
        if (!containerd_path)
                return -ENOMEM;
        if (!kubelet_path || streq(kubelet_path, containerd_path))
                e.aligned = true;   /* not a unix path we can judge, or containerd's own */
        else if (other_runtime(kubelet_path))
                e.aligned = true;
        else {
                const NodeFile *f;
                if ((r = ctx_read(c, kubelet_path, true, &f)) < 0)
                        return r;
                /* something listens there: a socket is "other" (not a file, not a directory) */
                e.aligned = f->kind == FILE_OTHER;
        }
        *ret = e;
        e = (CriEndpoint) {};
        return 0;
}
