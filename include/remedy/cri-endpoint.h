/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The kubelet's container runtime endpoint against the socket containerd listens on, as each would
 * run: the kubelet's effective containerRuntimeEndpoint (--container-runtime-endpoint over the
 * --config-dir drop-ins over --config, kubelet-cmdline.h; unset: the kubelet's default
 * unix:///run/containerd/containerd.sock) and containerd's effective [grpc] address
 * (containerd-config.h, imports merged; unset: /run/containerd/containerd.sock).
 *
 *     _cleanup_(cri_endpoint_done) CriEndpoint e = {};
 *     r = cri_endpoint_judge(ctx, &e);      // -ENODEV: no containerd, or no kubelet to judge
 *     if (r >= 0 && !e.aligned) ... e.kubelet_endpoint names no socket, containerd's is e.address ...
 *
 * Misaligned means: the endpoint is a unix socket path other than containerd's (with /var/run read
 * as /run, its symlink on every distribution with systemd) and nothing is listening there: no
 * socket at that path on the node (live; offline a tree has no sockets, so a known other runtime's
 * socket - CRI-O's, cri-dockerd's - counts as meant). Errors reading either configuration are the
 * Context's error (ctx_error()).
 */

#include <stdbool.h>

#include "remedy/context.h"
#include "remedy/kubelet-cmdline.h"

typedef struct CriEndpoint {
        char *kubelet_endpoint;     /* effective, default applied */
        KubeletSetting setting;     /* where it is set (setting.set false: the kubelet's default) */
        char *config_path;          /* the kubelet's --config, NULL without one */
        char *address;              /* containerd's effective grpc address */
        char *address_file;         /* the file that sets it, NULL for containerd's default */
        bool aligned;
} CriEndpoint;

void cri_endpoint_done(CriEndpoint *e);

/* 0 judged (e->aligned says how), -ENODEV nothing to judge, other negative errno on errors. */
int cri_endpoint_judge(Context *c, CriEndpoint *ret);

/* "unix:///var/run/x.sock" -> "/run/x.sock"; NULL for an endpoint that is not a unix socket path. */
char *cri_endpoint_socket_path(const char *endpoint);
