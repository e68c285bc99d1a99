/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The kubelet's effective command line and configuration, worked out from the node's files the
 * way systemd and the kubelet would: for `remedy diagnose`, which shows every flag with the file
 * and line it came from and whether this kubelet accepts it, and tells when a --config-dir
 * drop-in overrides a key of the main config file.
 *
 *     NodeFS fs = ctx_node_fs(c);
 *     _cleanup_(kubelet_cmdline_done) KubeletCommandLine cl = {};
 *     r = kubelet_cmdline_resolve(&fs, "kubelet.service", known, &cl, &error);
 *     for (size_t i = 0; i < cl.n_args; i++)  ... cl.args[i].flag, .value, .source, .accepted
 *     _cleanup_(kubelet_setting_done) KubeletSetting s = {};
 *     r = kubelet_cmdline_setting(&cl, &fs, "cgroupDriver", &s, &error);
 *
 * Every file is read through the NodeFS (ctx_read()/ctx_glob(): paths resolved inside the root,
 * in the planned state), so the unit files, the environment files and the kubelet's config are
 * all seen the same way.
 *
 * systemd's part, the unit's ExecStart= words and environment with where each came from, is
 * unit-exec.h's (KubeletCommandLine.unit).
 *
 * The kubelet's part: argv read as pflag reads it (--name=value, --name value unless boolean,
 * '_' in names read as '-', -v 2 shorthands, anything after "--" and any stray word is an argument
 * the kubelet refuses), --config, --config-dir and --kubeconfig, and the config merge of
 * cmd/kubelet/app/server.go: *.conf files below --config-dir (recursively, in lexical order) are
 * applied over --config as JSON merge patches (mappings merged key by key, lists and scalars
 * replaced, null deletes), and a command-line flag overrides both.
 *
 * Errors: negative errno; for problems with the node's files *ret_error is set to one line
 * ("/etc/systemd/system/kubelet.service.d/20-x.conf:4: Service has more than one ExecStart=
 * setting, which is only allowed for Type=oneshot services").
 */

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "remedy/kubelet-flags.h"
#include "remedy/macro.h"
#include "remedy/unit-exec.h"
#include "remedy/unit-file.h"

/* One flag (or a stray word) of argv[1..], as pflag reads it. */
typedef struct KubeletArg {
        char *word;          /* the argv word ("--config=/x", or "--config" when the value follows) */
        char *flag;          /* name without dashes, '_' read as '-'; NULL for a stray word */
        char *value;         /* NULL when none was given */
        char *source;        /* "FILE:LINE": of ExecStart= for literal words, of the variable's assignment */
        char *variable;      /* the variable the word came from, NULL for literal words */
        size_t index;        /* in argv */
        size_t n_words;      /* 2 for "--flag value" */
        int accepted;        /* 1 or 0 by the flag set (a stray word: 0); -1 without a flag set */
} KubeletArg;

typedef struct KubeletCommandLine {
        UnitExec unit;             /* the unit's ExecStart=, its environment and files, as systemd runs it */
        KubeletArg *args;          /* unit.argv[1..] */
        size_t n_args;
        char *config_path;         /* --config (the last one), NULL when absent */
        char *config_dir;          /* --config-dir, NULL when absent */
        char *kubeconfig_path;     /* --kubeconfig, NULL when absent */
        /* KUBELET_CONFIG_DROPIN_DIR_ALPHA is set: kubelet 1.28 and 1.29 refuse --config-dir without it. */
        bool config_dir_alpha_env;
} KubeletCommandLine;

void kubelet_cmdline_done(KubeletCommandLine *c);

/*
 * Works out the command line of unit ("kubelet.service"): unit_exec_resolve(), with its errors,
 * then argv read as the kubelet reads it. known (may be NULL) decides which flags are boolean and
 * sets accepted.
 */
int kubelet_cmdline_resolve(const NodeFS *fs, const char *unit, const KubeletFlagSet *known,
                            KubeletCommandLine *ret, char **ret_error);

/* kubeadm's place for the kubelet's kubeconfig, for a kubelet whose command line does not say. */
#define KUBELET_KUBECONFIG_DEFAULT "/etc/kubernetes/kubelet.conf"

/* The kubeconfig the kubelet uses: the --kubeconfig of kubelet.service's command line (relative
 * to "/", its working directory), else KUBELET_KUBECONFIG_DEFAULT when the unit cannot be read
 * or passes none. 0 or -ENOMEM. */
int kubelet_cmdline_kubeconfig(const NodeFS *fs, char **ret);

/* The file of a "FILE:LINE" source (KubeletArg.source, KubeletSetting.source), newly allocated;
 * NULL when out of memory. */
char *kubelet_source_file(const char *source);

/* The last argument for flag (name without dashes), or NULL. */
const KubeletArg *kubelet_cmdline_find(const KubeletCommandLine *c, const char *flag);

/* The effective value of a config setting and where it was set. */
typedef struct KubeletSetting {
        bool set;            /* false: no file or flag sets it, the kubelet's default applies */
        char *value;         /* a scalar as written ("systemd", "false"); NULL for a mapping or list */
        char *source;        /* "FILE:LINE" of the key, or of the flag's word */
        char *flag;          /* the flag that set it ("cgroup-driver"), NULL when a file did */
        char *word;          /* that flag's argv word ("--cgroup-driver=cgroupfs"), NULL when a file did */
        char *variable;      /* the environment variable the flag came from, NULL for a literal word
                              * of ExecStart= or when a file set it */
        char **overridden;   /* "FILE:LINE" of earlier settings this one overrides, in order */
} KubeletSetting;

void kubelet_setting_done(KubeletSetting *s);

/*
 * The value of key (a top-level key "cgroupDriver", or a dotted path "authentication.x509.
 * clientCAFile") after merging the drop-ins of config_dir (may be NULL) over config_path (may be
 * NULL: defaults). A missing config file or directory, a file that is not YAML, and a drop-in
 * without apiVersion and kind fail (-ENOENT, -EBADMSG) with *ret_error, as the kubelet would.
 */
int kubelet_config_effective_value(const NodeFS *fs, const char *config_path, const char *config_dir,
                                   const char *key, KubeletSetting *ret, char **ret_error);

/* The files the kubelet's configuration is read from, in merge order: config_path (may be NULL),
 * then the drop-ins of config_dir (may be NULL) as the kubelet walks them. A --config-dir that is
 * not a directory is -ENOENT with *ret_error. */
int kubelet_config_files(const NodeFS *fs, const char *config_path, const char *config_dir, char ***ret,
                         char **ret_error);
/* The same with the command line's --config and --config-dir, and its flags over both
 * (--cgroup-driver over cgroupDriver, --fail-swap-on over failSwapOn, ...). */
int kubelet_cmdline_setting(const KubeletCommandLine *c, const NodeFS *fs, const char *key, KubeletSetting *ret,
                            char **ret_error);

/* The config key a flag overrides ("cgroup-driver" -> "cgroupDriver"), or NULL for flags that
 * have no config field or are not in the table. */
const char *kubelet_flag_config_key(const char *flag);

/* One value of the effective configuration: a scalar or a list (a mapping is walked into; an
 * empty one, which a merge patch leaves as it was, is not a value). */
typedef struct KubeletConfigLeaf {
        char **path;            /* the keys from the top ("evictionHard", "memory.available") */
        json_object *value;     /* as the kubelet's decoder types it (yaml-json.h); NULL: null */
        KubeletSetting setting; /* where it was set: the file and line, or the flag */
} KubeletConfigLeaf;

typedef struct KubeletConfigTree {
        KubeletConfigLeaf *leaves;   /* sorted by path */
        size_t n_leaves;
        char **files;                /* --config, then the --config-dir drop-ins, in merge order */
} KubeletConfigTree;

void kubelet_config_tree_done(KubeletConfigTree *t);

/* The whole effective configuration of c, merged as kubelet_cmdline_setting() merges one key:
 * every leaf a file or a flag sets, with its source. Errors as kubelet_config_effective_value(). */
int kubelet_cmdline_config_tree(const KubeletCommandLine *c, const NodeFS *fs, KubeletConfigTree *ret,
                                char **ret_error);
