/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * containerd on the node being repaired: its binary (live), its effective configuration, and the
 * facts playbook parameters can take their value from (`from: containerd.cni.conf_dir`).
 *
 * Live, the node's own `containerd config dump` decides the values (the real consumer, with its
 * own version's merge rules); the files are read too, merged by the rules of that version, to
 * say which file set each value. Offline the files alone are read, by the rules their version
 * implies. A missing config.toml is containerd's compiled-in defaults (`config dump` refuses it,
 * the daemon does not).
 */

#include <stdbool.h>

#include "remedy/containerd-config.h"
#include "remedy/fileio.h"

#define CONTAINERD_CONFIG_PATH "/etc/containerd/config.toml"

/* Live: the containerd binary of this machine (/usr/local/bin, as kubeadm's docs install the
 * release tarball, then /usr/bin); -ENOENT when there is none. */
int containerd_binary(const char **ret);

typedef struct Context Context;

/*
 * The main configuration the node's containerd reads: the --config (-c) its containerd.service
 * passes, as systemd would expand it (Flatcar's ${CONTAINERD_CONFIG}, /usr/share/containerd/
 * config.toml; image-builder's drop-in that resets ExecStart=), else CONTAINERD_CONFIG_PATH.
 * 0 or -ENOMEM.
 */
int containerd_node_config_path(Context *c, char **ret);

/* Whether another program writes path again (k3s, RKE2 and k0s mark the file; Bottlerocket renders
 * /etc at boot), so that an edit would not last: 1 with *ret saying what to change instead, 0 not,
 * -ENOMEM (containerd-generated.c). f is path's planned state. */
int containerd_generated_refusal(Context *c, const char *path, const NodeFile *f, char **ret);

/* Whether the node has containerd at all: its configuration at path, a containerd.service unit,
 * or a containerd binary (/usr/bin, /usr/local/bin, Flatcar's /opt/bin). A CRI-O node has none,
 * and nothing about containerd applies to it. 1, 0, or <0 on errors. */
int containerd_node_present(Context *c, const char *path);

/* The merge rules of the node's containerd, from its package version (containerd, containerd.io):
 * AUTO when it cannot be told, so that the main file decides. */
ContainerdRules containerd_node_rules(const NodeFS *fs);

/*
 * path: the main config (CONTAINERD_CONFIG_PATH), read through fs by the rules of the node's
 * containerd. live: the node is this machine and runs: its own `containerd config dump` decides
 * the values, and the files only say which one set each. Errors: -EINVAL for a file containerd
 * would refuse, with *ret_error "FILE:LINE:COLUMN: reason"; others with a one-line reason.
 */
int containerd_node_config(const NodeFS *fs, bool live, const char *path, ContainerdConfig *ret, char **ret_error);


/* For param_values_fill_facts(): userdata is a NodeFactSource, which reads containerd's
 * configuration once (live that is a `containerd config dump`) for all the facts and playbooks
 * of one run. */
typedef struct NodeFactSource {
        Root *root;
        bool offline;
        bool loaded;
        Context *context;          /* the node as it is, made on first use */
        ContainerdConfig containerd;
} NodeFactSource;
int node_fact_param(void *userdata, const char *fact, char **ret, char **ret_error);
void node_fact_source_done(NodeFactSource *s);
