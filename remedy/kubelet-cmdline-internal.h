/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Between kubelet-cmdline.c (what the unit files say) and kubelet-cmdline-exec.c (what systemd
 * does with it when it starts the service: the environment files, the expansion, and the kubelet
 * reading its argv).
 */

#include "remedy/kubelet-cmdline.h"

/* extract_first_word()'s flags, as far as they are needed here. */
enum {
        KUBELET_EXTRACT_UNQUOTE = 1 << 0,     /* '...' and "..." anywhere in a word */
        KUBELET_EXTRACT_CUNESCAPE = 1 << 1,   /* \n, \x41, \u00e9 ... (unknown escapes kept as written) */
        KUBELET_EXTRACT_RELAX = 1 << 2,       /* an open quote or a trailing backslash ends the word */
};

/* One whitespace-separated word: 1 with *ret, 0 at the end, -EINVAL on bad quoting. */
int kubelet_extract_word(const char **p, unsigned flags, char **ret);

/* Sets name (name_len bytes of it) in env, replacing an earlier value in its place. */
int kubelet_env_set(KubeletEnvVar **env, size_t *n, const char *name, size_t name_len, const char *value,
                    const char *source);

typedef struct KubeletEnvFileRef {
        char *path;          /* absolute, as written after the '-' */
        bool optional;       /* EnvironmentFile=-... */
        char *source;        /* "FILE:LINE" of the setting */
} KubeletEnvFileRef;

/* c->env: environment (Environment=) overridden by each file in order; c->env_files_missing,
 * c->config_dir_alpha_env. A missing non-optional file is -ENOENT with *ret_error. */
int kubelet_exec_environment(const UnitFS *fs, const KubeletEnvVar *environment, size_t n_environment,
                             const KubeletEnvFileRef *files, size_t n_files, KubeletCommandLine *c, char **ret_error);

/* c->argv, c->args, c->unset_variables and the --config/--config-dir/--kubeconfig paths, from the
 * ExecStart= words (set at source) and c->env. */
int kubelet_exec_argv(char * const *words, const char *source, bool no_env_expand, const KubeletFlagSet *known,
                      KubeletCommandLine *c);
