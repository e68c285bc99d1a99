/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * containerd's effective configuration, merged the way containerd merges its main file and the
 * files it `imports`, and decoded the way its CRI plugin decodes it: the CNI directories it
 * really uses, and every runtime it can run pods with, each with the cgroup driver containerd
 * would give it and the file that decides it.
 *
 *     ContainerdConfig c = {};
 *     _cleanup_free_ char *error = NULL;
 *     const NodeFS fs = ctx_node_fs(ctx);
 *     r = containerd_config_load(&fs, "/etc/containerd/config.toml", CONTAINERD_RULES_AUTO, &c, &error);
 *     ...
 *     for (size_t i = 0; i < c.n_runtimes; i++)
 *             if (c.runtimes[i].pods && !c.runtimes[i].systemd_cgroup)
 *                     ... runtime c.runtimes[i].name runs pods on cgroupfs, decided by
 *                         c.runtimes[i].systemd_cgroup_file (NULL: containerd's default) ...
 *     containerd_config_done(&c);
 *
 * containerd 1.x and 2.x merge imports differently (1.x replaces each plugin's table wholesale, so
 * a drop-in with any [plugins."io.containerd.grpc.v1.cri".*] key silently resets every other CRI
 * setting to its default; 2.x merges tables key by key), and resolve relative glob imports
 * differently. 2.3 reads config version 4, and migrates version 3 files as 2.0 migrated version 2
 * ones. The caller says which containerd it is, or lets the main file decide.
 *
 * Every function returns 0 or a negative errno; on failure *ret is left zeroed and *ret_error
 * (may be NULL) gets one line: "FILE:LINE:COLUMN: reason" when it is about a place in a file,
 * "FILE: reason" or a bare reason otherwise. FILE is the node path. Nothing is logged.
 */

#include <stdbool.h>
#include <stddef.h>

#include "remedy/node-fs.h"

typedef enum ContainerdRules {
        CONTAINERD_RULES_AUTO = 0,      /* the main file decides: version 4: 2.3; version 3, or 2.x plugin
                                         * ids in it: 2.0; anything else (or no file): 1.x */
        CONTAINERD_RULES_1 = 1,         /* containerd 1.6 / 1.7 */
        CONTAINERD_RULES_2 = 2,         /* containerd 2.0 - 2.2 (bin_dir/bin_dirs as in 2.1 and later) */
        CONTAINERD_RULES_2_3 = 3,       /* containerd 2.3 and later: config version 4 */
} ContainerdRules;

/* One runtime of the CRI plugin's `runtimes`, as containerd builds the options it hands the shim
 * (1.x pkg/cri/server/helpers.go generateRuntimeOptions, 2.x alike). */
typedef struct ContainerdRuntime {
        char *name;
        char *type;                 /* runtime_type as containerd ends up with it; "" when unset */
        bool is_default;            /* default_runtime_name names it */
        bool configured;            /* a file names it (not only 2.x's built-in runc) */
        bool runc;                  /* a runc shim (io.containerd.runc.v1, .v2) or 1.x's v1 linux shim:
                                     * the ones SystemdCgroup is for */
        bool pods;                  /* the cgroup driver matters: the default runtime (unless it is not
                                     * runc-based: kata, gVisor) and every configured runc runtime */
        bool has_options;           /* an options table (for the v1 linux shim: options win over the
                                     * CRI plugin's systemd_cgroup) */
        bool systemd_cgroup;        /* what the shim gets: true only for a runc type whose options say
                                     * so, or the v1 linux shim by its options or the CRI plugin's key */
        int options_systemd_cgroup; /* the option as written: 1, 0, -1 unset */
        char *options_key;          /* its spelling when set ("SystemdCgroup", "systemdCgroup") */
        char *systemd_cgroup_file;  /* the file whose value wins; NULL when nothing sets it */
        char *table_file;           /* the last file that defines runtimes.NAME; NULL when none does */
        char *table_path;           /* its table inside the CRI plugin's, as a TOML dotted key:
                                     * containerd.runtimes.nvidia, containerd.default_runtime */
} ContainerdRuntime;

typedef struct ContainerdConfig {
        int version;               /* 1.x: the last non-zero version of the merged files (none: 1);
                                    * 2.x: the main file's (none: 1; no main file: the newest) */
        int rules;                 /* 1 for 1.x, 2 for 2.x */
        int max_version;           /* the newest config version those rules read: 2, 3 or 4 */
        char *cni_conf_dir;        /* effective, containerd's default applied when unset */
        char **cni_bin_dirs;       /* effective: 1.x bin_dir; 2.x bin_dirs, or bin_dir where it wins */
        char *default_runtime;     /* default_runtime_name ("runc"); "default" for 1.x's deprecated
                                    * [containerd.default_runtime] table when it names a runtime_type */
        int systemd_cgroup;        /* the default runtime's options.SystemdCgroup: 1 / 0 (unset: 0) */
        char *systemd_cgroup_file; /* the file whose setting wins; NULL when nothing sets it */
        char *cni_conf_dir_file;   /* likewise for conf_dir */
        char **files;              /* the main file, then each import in the order they were merged */
        ContainerdRuntime *runtimes;  /* every runtime, the default first, then by name */
        size_t n_runtimes;
        int cri_systemd_cgroup;    /* 1.x's deprecated [plugins.cri] systemd_cgroup: 1, 0, -1 unset */
        char *cri_systemd_cgroup_file;
        char *cri_error;           /* why the CRI plugin would refuse to load this configuration (the
                                    * kubelet then finds no runtime), NULL when it would load */
        bool cri_error_systemd_cgroup;  /* cri_error is the deprecated systemd_cgroup = true on a default
                                         * runtime other than the v1 linux shim: a cgroup driver setting */
        char *grpc_address;        /* [grpc] address: the socket containerd (and its CRI) listens on,
                                    * containerd's default /run/containerd/containerd.sock when unset */
        char *grpc_address_file;   /* the file whose address wins; NULL when none sets it */
        char *cri_disabled;        /* "FILE:LINE:COLUMN: disabled_plugins names \"cri\"" when cri_error is
                                    * that disabled_plugins names the CRI plugin ("dump:..." live), NULL
                                    * otherwise */
        char *cri_file;            /* 1.x: the file whose CRI table won (each file's replaces the
                                    * earlier ones'), NULL when none has one; 2.x: NULL */
} ContainerdConfig;

void containerd_config_done(ContainerdConfig *c);

/* The runtime called name, or NULL. */
const ContainerdRuntime *containerd_config_runtime(const ContainerdConfig *c, const char *name);

/*
 * Offline: the main file (an absolute node path, normally /etc/containerd/config.toml) and its
 * imports, read through fs, merged as containerd merges them. A missing main file gives
 * containerd's defaults (0, files empty). A file toml++ cannot parse, or a value of the wrong type
 * where containerd needs one: -EINVAL. An import that cannot be read: its errno, with the
 * importing file's position. Configurations containerd itself refuses (a drop-in of a higher
 * version than the main file under 2.x, cni.bin_dir and bin_dirs both set, a version newer than
 * the rules know): -EINVAL. One its CRI plugin refuses is loaded, with cri_error saying why.
 */
int containerd_config_load(const NodeFS *fs, const char *path, ContainerdRules rules, ContainerdConfig *ret,
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

/* The sandbox image and gRPC address the CRI plugin uses, with the files that set them
 * (containerd-settings.cc), read from c's files by c's merge rules. */
typedef struct ContainerdSettings {
        char *sandbox_image;       /* NULL: containerd's compiled-in default */
        char *sandbox_image_file;
        char *grpc_address;        /* [grpc] address; containerd's default when unset */
        char *grpc_address_file;   /* NULL when unset */
} ContainerdSettings;

void containerd_settings_done(ContainerdSettings *s);
int containerd_config_settings(const NodeFS *fs, const ContainerdConfig *c, ContainerdSettings *ret, char **ret_error);
