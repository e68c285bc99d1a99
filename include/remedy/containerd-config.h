/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * containerd's effective configuration, merged the way containerd merges its main file and the
 * files it `imports`, so that remedy reads the CNI directories containerd really uses and can tell
 * when an import overrides the runc SystemdCgroup value a playbook set in config.toml.
 *
 *     ContainerdConfig c = {};
 *     _cleanup_free_ char *error = NULL;
 *     r = containerd_config_load(root, "/etc/containerd/config.toml", CONTAINERD_RULES_AUTO, &c, &error);
 *     ...
 *     if (c.systemd_cgroup_file && !streq(c.systemd_cgroup_file, "/etc/containerd/config.toml"))
 *             ... an import decides SystemdCgroup ...
 *     containerd_config_done(&c);
 *
 * containerd 1.x and 2.x merge imports differently (1.x replaces each plugin's table wholesale, so
 * a drop-in with any [plugins."io.containerd.grpc.v1.cri".*] key silently resets every other CRI
 * setting to its default; 2.x merges tables key by key), and resolve relative glob imports
 * differently. The caller says which containerd it is, or lets the main file's version decide.
 *
 * Every function returns 0 or a negative errno; on failure *ret is left zeroed and *ret_error
 * (may be NULL) gets one line: "FILE:LINE:COLUMN: reason" when it is about a place in a file,
 * "FILE: reason" or a bare reason otherwise. FILE is the node path. Nothing is logged.
 */

#include <stddef.h>

#include "remedy/fileio.h"

typedef enum ContainerdRules {
        CONTAINERD_RULES_AUTO = 0,      /* main file version 3: 2.x; anything else (or no file): 1.x */
        CONTAINERD_RULES_1 = 1,         /* containerd 1.6 / 1.7 */
        CONTAINERD_RULES_2 = 2,         /* containerd 2.x (bin_dir/bin_dirs as in 2.1 and later) */
} ContainerdRules;

typedef struct ContainerdConfig {
        int version;               /* 1.x: the last non-zero version of the merged files (none: 1);
                                    * 2.x: the main file's (none: 1; no main file: 3) */
        int rules;                 /* the ContainerdRules applied: 1 or 2 */
        char *cni_conf_dir;        /* effective, containerd's default applied when unset */
        char **cni_bin_dirs;       /* effective: 1.x bin_dir; 2.x bin_dirs, or bin_dir where it wins */
        char *default_runtime;     /* default_runtime_name ("runc"); "default" for 1.x's deprecated
                                    * [containerd.default_runtime] table when it names a runtime_type */
        int systemd_cgroup;        /* the default runtime's options.SystemdCgroup: 1 / 0 (unset: 0) */
        char *systemd_cgroup_file; /* the file whose setting wins; NULL when nothing sets it */
        char *cni_conf_dir_file;   /* likewise for conf_dir */
        char **files;              /* the main file, then each import in the order they were merged */
} ContainerdConfig;

void containerd_config_done(ContainerdConfig *c);

/*
 * Offline: the main file (an absolute node path, normally /etc/containerd/config.toml) and its
 * imports, read through root, merged as containerd merges them. A missing main file gives
 * containerd's defaults (0, files empty). A file toml++ cannot parse, or a value of the wrong type
 * where containerd needs one: -EINVAL. An import that cannot be read: its errno, with the
 * importing file's position. Configurations containerd itself refuses (a drop-in of a higher
 * version than the main file under 2.x, cni.bin_dir and bin_dirs both set): -EINVAL.
 */
int containerd_config_load(Root *root, const char *path, ContainerdRules rules, ContainerdConfig *ret,
                           char **ret_error);

/* Live: parses what `containerd config dump` prints (version 2 from 1.x, 3 from 2.x). The *_file
 * fields are NULL, files is empty. Errors as for a file, with "dump" as the file name. */
int containerd_config_from_dump(const char *text, size_t size, ContainerdConfig *ret, char **ret_error);

/*
 * Live helper: runs `BINARY [--config CONFIG_PATH] config dump` (exec_capture(), no shell;
 * config_path NULL means containerd's own default) and parses its output. -EIO with containerd's
 * exit status in *ret_error when it fails.
 */
int containerd_config_dump(const char *containerd_binary, const char *config_path, ContainerdConfig *ret,
                           char **ret_error);
