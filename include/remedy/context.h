/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The Context is what actions see of the node while planning: the node's files as the earlier
 * steps of the run would leave them (an overlay of planned states over the disk, so that a step
 * can edit a file an earlier step creates, all without writing), the current playbook's
 * parameter values, and whether remedy runs live or offline (--root).
 *
 * Actions read through ctx_read() and ctx_glob() and describe what they want through
 * ctx_want_file(), ctx_want_symlink() and ctx_want_absent(); those compare with the current state,
 * add a FileOp to the Change only when something differs, and update the overlay.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "remedy/action.h"
#include "remedy/fileio.h"
#include "remedy/playbook.h"
#include "remedy/unit-file.h"

typedef struct Overlay Overlay;
typedef struct SystemdBus SystemdBus;

struct Context {
        Root *root;
        bool offline;                 /* --root: no systemd to talk to */
        Overlay *overlay;
        const Playbook *playbook;     /* the one being planned */
        const ParamValues *values;
        const Step *step;             /* the step being planned, for error marks */
        unsigned changes;             /* steps of the current playbook planned so far that change something */
        char **evidence;              /* what conditions that look at logs saw (diagnose quotes it) */
        char **notes;                 /* "FILE:LINE: reason" of what the daemons skip in their files
                                       * (a line libmount cannot parse): reported, not an error */
        char *error;                  /* set by helpers on bad node files / values */
        const char *data_dir;         /* shipped data files (kubelet flag lists) */
        ResolvedDir resolved_dir;     /* the last directory ctx_read() resolved (a glob's, once) */
        RootParent read_parent;       /* the directory of the last file read from disk, open */

        /* Live only (NULL/0 offline): */
        SystemdBus *bus;              /* systemd's manager (borrowed from the run) */
        uint64_t job_timeout_usec;    /* how long a start/stop/restart job may take */
        /* Unit files or drop-ins changed since systemd last loaded them: a daemon-reload is due
         * before the next unit job (set while planning and again while applying). */
        bool units_dirty;
        const char *journal_cursor;   /* where the transaction began in the journal (checks) */
        uint64_t since_usec;          /* when it began (CLOCK_REALTIME µs) */
};

int context_new(Root *root, bool offline, Context **ret);
Context *context_free(Context *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Context *, context_free);

/*
 * Sets c->error to "WHERE: reason" (first error wins) and returns err (negative). Used for
 * problems with the node's files ("/etc/containerd/config.toml:12:3: ...") and with parameter
 * values; the engine reports them with exit status 2.
 */
int ctx_error(Context *c, int err, const char *fmt, ...) _printf_(3, 4);

/* ctx_error for an editor's failure on PATH: its error is "LINE:COLUMN: reason" when the file is
 * at fault ("PATH:LINE:COLUMN: reason") and the reason alone otherwise ("PATH: reason");
 * without one, "PATH: fallback". */
int ctx_edit_error(Context *c, int err, const char *path, const char *error, const char *fallback);

/* Adds a note (printf-style), once however often it is added. 0 or -ENOMEM. */
int ctx_note(Context *c, const char *fmt, ...) _printf_(2, 3);

/* Renders a template with the current parameter values (errors through ctx_error). */
int ctx_render(Context *c, const Template *t, char **ret);
/* Renders an optional argument's template, or gives fallback when the playbook left it out. */
int ctx_render_or(Context *c, const Template *t, const char *fallback, char **ret);
/* Renders a unit name and completes it as systemctl does ("kubelet" -> "kubelet.service"); an
 * invalid name is a ctx_error. */
int ctx_render_unit_name(Context *c, const Template *t, char **ret);

/* Live: systemd reads its unit files again (Manager.Reload); no reload is due after it. Errors
 * through ctx_error ("daemon-reload failed: ..."). */
int ctx_daemon_reload(Context *c);

/* The node's files as this Context sees them (the planned state), for the readers that take a
 * NodeFS (unit files, the kubelet's command line, containerd's configuration). */
NodeFS ctx_node_fs(Context *c);

/*
 * The planned state of a node path. The path is canonicalised inside the root, following a final
 * symlink when follow is true. The returned NodeFile belongs to the overlay and stays valid until
 * the next ctx_want_*() for the same path; kind is FILE_ABSENT when there is nothing there.
 */
int ctx_read(Context *c, const char *path, bool follow, const NodeFile **ret);

/* ctx_read() of a file that must be a regular file (a final symlink followed): anything else is
 * a ctx_error "PATH: is a KIND, not WHAT" (-ENOENT when absent, -EINVAL otherwise). */
int ctx_read_regular(Context *c, const char *path, const char *what, const NodeFile **ret);

/* The kind and permission bits of a node path (a final symlink followed) in the planned state,
 * without reading its content: for binaries, which may be larger than NODE_FILE_MAX. */
int ctx_stat(Context *c, const char *path, FileKind *ret_kind, mode_t *ret_mode);

/* Paths (canonical, sorted) matching a glob pattern in its last component, in the planned state. */
int ctx_glob(Context *c, const char *pattern, char ***ret_paths);

/*
 * Wants a regular file at path with data (and mode/owner where not -1: kept from the current file,
 * or 0644 root:root for a new one). Adds a WRITE op to change when that differs from the planned
 * state. Returns 0 when already so, 1 when an op was added.
 */
int ctx_want_file(Context *c, Change *change, const char *path, const char *data, size_t size,
                  mode_t mode, uid_t uid, gid_t gid);
int ctx_want_symlink(Context *c, Change *change, const char *path, const char *target);
/* path is taken as is (a symlink is removed, not its target). */
int ctx_want_absent(Context *c, Change *change, const char *path);
/* The enable/disable/mask/unmask links unit-file.c planned, as file operations (a target: a
 * symlink; none: removed). 1 when any changes; note (may be NULL) gets "VERB: A → B, removes C". */
int ctx_want_unit_links(Context *c, Change *change, const UnitLinks *links, const char *verb, FILE *note);
