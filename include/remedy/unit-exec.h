/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A service's effective command line and environment, worked out from the node's unit files the
 * way systemd 252 would start it, each word with the file and line it came from. For any service
 * (kubelet.service, containerd.service, ...); what a daemon makes of its argv is its own reader's
 * business (kubelet-cmdline.h reads the kubelet's flags from these words).
 *
 *     NodeFS fs = ctx_node_fs(c);
 *     _cleanup_(unit_exec_done) UnitExec e = {};
 *     r = unit_exec_resolve(&fs, "containerd.service", &e, &error);
 *     for (size_t i = 0; i < e.n_words; i++)  ... e.words[i].text, .source, .variable
 *
 * Every file is read through the NodeFS (ctx_read()/ctx_glob(): paths resolved inside the root,
 * in the planned state), so the unit files and the environment files are seen the same way.
 *
 * What is read (systemd.service(5) "Command lines", systemd.exec(5) Environment=,
 * EnvironmentFile=): the fragment and its drop-ins (NAME.d/, dash-prefix and type-level service.d/
 * directories in every search directory, *.conf sorted by file name, the first directory holding
 * a name masking the rest); ExecStart= with its prefixes (- @ : + ! !!), quoting, C escapes,
 * specifiers %n %N %p %i %j %%, and the empty assignment that resets the list; a service other
 * than Type=oneshot with more than one ExecStart= is refused as systemd refuses it.
 * Environment= (quoted, several per line, empty resets) and EnvironmentFile= (leading '-' for
 * optional, globs; each file overrides the earlier ones and all of Environment=; read as systemd
 * 252 reads them, env-file.h: an unterminated quote takes the rest of the file, a comment ending
 * in a backslash swallows the next line). Then the
 * expansion: a whole word $VAR becomes the variable's value split at whitespace (quotes in it are
 * removed), nothing when unset; ${VAR} is replaced inside the word; $$ is a '$'. The manager's
 * own variables (PATH, ...) are not known here and count as unset.
 *
 * Errors: negative errno; for problems with the node's files *ret_error is set to one line
 * ("/etc/systemd/system/kubelet.service.d/20-x.conf:4: Service has more than one ExecStart=
 * setting, which is only allowed for Type=oneshot services").
 */

#include <stdbool.h>
#include <stddef.h>

#include "remedy/macro.h"
#include "remedy/node-fs.h"

/* One variable of the service's environment, as the unit files set it. */
typedef struct UnitEnvVar {
        char *name;
        char *value;
        char *source;        /* "FILE:LINE" of the assignment that won */
} UnitEnvVar;

/* One word of the expanded command line. */
typedef struct UnitExecWord {
        char *text;
        char *source;        /* "FILE:LINE": of ExecStart= for literal words, of the variable's assignment */
        char *variable;      /* the variable the word came from, NULL for literal words */
} UnitExecWord;

typedef struct UnitExec {
        char **unit_files;         /* canonical paths systemd reads, fragment first, drop-ins in order */
        char *exec_source;         /* "FILE:LINE" of the effective ExecStart= */
        char *executable;          /* the path systemd runs */
        char **argv;               /* expanded; argv[0] included */
        UnitExecWord *words;       /* argv again, each word with where it came from */
        size_t n_words;
        UnitEnvVar *env;           /* Environment= then EnvironmentFile=, later ones overriding */
        size_t n_env;
        char **env_files_missing;  /* optional EnvironmentFile= paths that are not there */
        char **unset_variables;    /* referenced on the command line but not set, sorted */
        bool no_env_expand;        /* ExecStart=: prefix: no expansion at all */
} UnitExec;

void unit_exec_done(UnitExec *e);

/*
 * Works out the command line of unit ("kubelet.service"; "kubelet" is mangled as systemctl does).
 * A unit that is missing or masked (-ENOENT, -ERFKILL), a unit systemd would refuse to load
 * (-ENOEXEC: bad ExecStart=, more than one for a simple service, no ExecStart=; also several for
 * Type=oneshot, where remedy does not pick one), a missing non-optional EnvironmentFile= (-ENOENT:
 * the start fails), one systemd refuses to read (-EBADMSG: a NUL byte, invalid UTF-8 in a key or
 * value; an optional one is skipped as systemd skips it) and a specifier remedy does not know
 * (-EOPNOTSUPP) are errors with *ret_error. Sources name the line a setting starts on.
 */
int unit_exec_resolve(const NodeFS *fs, const char *unit, UnitExec *ret, char **ret_error);

/* The variable of e's environment called name, or NULL when the unit does not set it. */
const UnitEnvVar *unit_exec_env_get(const UnitExec *e, const char *name);
