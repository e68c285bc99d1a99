/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * containerd's sandbox (pause) image against what its image store holds (FAILURES.md B.22): on an
 * air-gapped node the CRI plugin fails every RunPodSandbox with "failed to get sandbox image
 * \"X\": failed to pull image \"X\"" when X is not in the k8s.io namespace of its store, while
 * the pause image the node was provisioned with (the kubelet's --pod-infra-container-image, or
 * the one kubeadm's image list names: REGISTRY/pause:3.N) may well be there.
 *
 *     _cleanup_(sandbox_image_done) SandboxImage s = {};
 *     r = sandbox_image_judge(ctx, &s);   // -ENODEV: no containerd on the node
 *     if (r >= 0 && s.store_checked && !s.in_store && s.replacement) ... point containerd at it
 *
 * The configured image and the file that sets it come from containerd's files, merged by its
 * version's rules (containerd_config_settings()): 1.x sandbox_image of the CRI plugin's table,
 * 2.x pinned_images.sandbox of io.containerd.cri.v1.images. Unset, containerd's compiled-in
 * default applies: live it is read from the node's own `containerd config dump`.
 *
 * The store is read live only, by the node's own client: `ctr --address ADDRESS -n k8s.io images
 * ls -q` run with an argv (exec-util.h), ADDRESS containerd's effective [grpc] address. Reading
 * containerd's bbolt metadata database by hand would be a parser of remedy's own; offline (and
 * for a --machine, whose containerd this machine's ctr cannot reach) the store is "not checked".
 */

#include <stdbool.h>

#include "remedy/context.h"

typedef struct SandboxImage {
        char *config_path;      /* containerd's main configuration */
        char *image;            /* the effective sandbox image; NULL: containerd's default, not known */
        char *image_file;       /* the file that sets it; NULL: containerd's default */
        char *edit_file;        /* where a new value goes: image_file, else the file whose CRI table
                                 * wins (1.x), else config_path */
        char *edit_table;       /* the table in edit_file, as toml-edit.h names tables */
        char *edit_key;         /* "sandbox_image" or "sandbox" */
        char *kubelet_image;    /* --pod-infra-container-image, NULL when not given */
        char *kubelet_source;   /* its "FILE:LINE" */
        bool store_checked;     /* live, and ctr answered */
        char *store_error;      /* why the store was not checked */
        char **pause_images;    /* the store's images whose repository is ".../pause", sorted */
        bool in_store;          /* image is in the store (store_checked only) */
        char *replacement;      /* an image in the store to point containerd at: the kubelet's when it is
                                 * there, else the newest pause image; NULL when none */
} SandboxImage;

void sandbox_image_done(SandboxImage *s);

/* 0 judged, -ENODEV no containerd, other negative errno (a configuration containerd would refuse
 * is the Context's error). */
int sandbox_image_judge(Context *c, SandboxImage *ret);

/* Whether image is in the store listing (names as `ctr images ls -q` prints them; an image named
 * without a registry is docker.io's, as containerd's reference normalization has it). */
bool sandbox_image_listed(char * const *listing, const char *image);
