/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What kubelet-cmdline.c (what the unit files say) uses of kubelet-cmdline-exec.c (what systemd
 * does with it when it starts the service: the environment, the expansion, and the kubelet
 * reading its argv). The use goes one way: the exec side knows nothing of unit files.
 */

#include "remedy/kubelet-cmdline.h"

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
int kubelet_exec_environment(const NodeFS *fs, const KubeletEnvVar *environment, size_t n_environment,
                             const KubeletEnvFileRef *files, size_t n_files, KubeletCommandLine *c, char **ret_error);

/* c->argv, c->args and c->unset_variables from the ExecStart= words (set at source) and c->env. */
int kubelet_exec_argv(char * const *words, const char *source, bool no_env_expand, const KubeletFlagSet *known,
                      KubeletCommandLine *c);
