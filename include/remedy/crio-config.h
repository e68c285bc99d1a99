/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * CRI-O's cgroup manager, as CRI-O reads it: /etc/crio/crio.conf, then every file of
 * /etc/crio/crio.conf.d in lexical order over it, [crio.runtime] cgroup_manager, "systemd" when
 * nothing sets it (internal/config/cgmgr: DefaultCgroupManager). remedy repairs containerd, not
 * CRI-O: this is read so that diagnose can say when CRI-O and the kubelet disagree, and what to
 * change.
 *
 *     _cleanup_free_ char *manager = NULL, *source = NULL, *error = NULL;
 *     r = crio_cgroup_manager(&fs, &manager, &source, &error);
 *
 * 0 with *ret_manager and *ret_source ("FILE:LINE" of the setting, NULL for the default);
 * -EINVAL with *ret_error "FILE:LINE:COLUMN: reason" for a file that does not parse or a value
 * of the wrong type; -ENOMEM.
 */

#include "remedy/node-fs.h"

#define CRIO_CONFIG_PATH "/etc/crio/crio.conf"
#define CRIO_CONFIG_DIR "/etc/crio/crio.conf.d"

int crio_cgroup_manager(const NodeFS *fs, char **ret_manager, char **ret_source, char **ret_error);

/* Whether the node has CRI-O: its configuration, its drop-in directory or its binary. */
typedef struct Context Context;
int crio_node_present(Context *c);
