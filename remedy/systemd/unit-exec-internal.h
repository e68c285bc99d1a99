/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What unit-exec.c (what the unit files say) uses of unit-exec-env.c (what systemd does with it
 * when it starts the service: the environment and the expansion). The use goes one way: the
 * exec side knows nothing of unit files.
 */

#include "remedy/unit-exec.h"

/* Sets name (name_len bytes of it) in env, replacing an earlier value in its place. */
int unit_env_set(UnitEnvVar **env, size_t *n, const char *name, size_t name_len, const char *value, const char *source);

void unit_env_vars_free(UnitEnvVar *v, size_t n);

typedef struct UnitEnvFileRef {
        char *path;          /* absolute, as written after the '-' */
        bool optional;       /* EnvironmentFile=-... */
        char *source;        /* "FILE:LINE" of the setting */
} UnitEnvFileRef;

/* e->env: environment (Environment=) overridden by each file in order; e->env_files_missing. A
 * missing non-optional file is -ENOENT with *ret_error. */
int unit_exec_environment(const NodeFS *fs, const UnitEnvVar *environment, size_t n_environment,
                          const UnitEnvFileRef *files, size_t n_files, UnitExec *e, char **ret_error);

/* e->argv, e->words, e->unset_variables and e->no_env_expand from the ExecStart= words (set at
 * source) and e->env. */
int unit_exec_expand(char * const *words, const char *source, bool no_env_expand, UnitExec *e);
