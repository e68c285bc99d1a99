/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * systemd unit files on a node, read the way systemctl 252 (Debian 12) reads them with --root:
 * finding a unit in the search path, parsing its [Install] section (and the [Install] sections
 * of its drop-ins), computing `systemctl is-enabled`, and computing the symlinks that
 * `systemctl enable|disable|mask|unmask` would create or remove in /etc/systemd/system.
 *
 * Nothing here writes. Files are read through a NodeFS, so that the action reads the node as
 * the earlier steps of the run would leave it (the Context's overlay) and the tests can read a
 * plain directory. The planners return the link changes still needed (an already enabled unit
 * gives none); the caller turns them into file operations.
 *
 * Covered: fragments in /etc/systemd/system, /run/systemd/system, /usr/local/lib/systemd/system,
 * /lib/systemd/system, /usr/lib/systemd/system (Debian's split-usr order: systemctl links to
 * /lib/... on a merged-/usr node too); masks (symlink to /dev/null or empty file); aliases
 * (Alias= and alias symlinks in the search path); templates, instances and DefaultInstance=;
 * WantedBy=, RequiredBy=, Also=; specifiers %n %N %p %i %j %% in [Install]. States: enabled,
 * enabled-runtime, static, disabled, indirect, masked, masked-runtime, alias.
 * Not covered (refused with -EOPNOTSUPP or not reported): linked unit files (symlinks to
 * outside the search path), generator and transient directories, --runtime and --global
 * operation, presets, UpheldBy= (systemd 252 ignores it too).
 *
 * Errors: negative errno; for problems with the node's files or names *ret_error is set to one
 * line ("/lib/systemd/system/x.service:7: Invalid section header '[Install'").
 */

#include <stdbool.h>
#include <stddef.h>

#include "remedy/action.h"
#include "remedy/node-fs.h"

#define UNIT_CONFIG_DIR "/etc/systemd/system"
#define UNIT_RUNTIME_DIR "/run/systemd/system"

/* The system search path, highest priority first, NULL-terminated. */
extern const char * const unit_search_path[];

/* True for paths under the search path (units, drop-ins, .wants links): changing one takes a
 * daemon-reload before systemd sees it. */
bool path_is_unit_config(const char *path);


typedef enum UnitNameKind {
        UNIT_NAME_PLAIN,      /* foo.service */
        UNIT_NAME_TEMPLATE,   /* foo@.service */
        UNIT_NAME_INSTANCE,   /* foo@bar.service */
} UnitNameKind;

/* The kind of a unit name, or -EINVAL when it is not a valid unit name. */
int unit_name_kind(const char *name);
bool unit_name_is_valid(const char *name);
/* As systemctl does, a name without a type suffix is a service: "kubelet" -> "kubelet.service".
 * -EINVAL when the result is not a valid unit name. */
int unit_name_mangle(const char *name, char **ret);
/* The unit systemd names after a path, as `systemd-escape --path --suffix=swap` prints it:
 * "/dev/disk/by-uuid/ab-cd", ".swap" -> "dev-disk-by\x2duuid-ab\x2dcd.swap". -EINVAL for a
 * relative path or one with "..", -ENAMETOOLONG past 255 bytes. */
int unit_name_from_path(const char *path, const char *suffix, char **ret);
/*
 * The logical lines of a unit file as systemd's config_parse() joins them: a UTF-8 BOM dropped,
 * comment lines (# or ;) dropped even inside a continuation, an odd run of trailing backslashes
 * joining the next line (the last backslash becoming a space). fn gets each with the line it
 * starts on; a negative return stops the walk and is returned.
 */
typedef int (*UnitLineFn)(void *userdata, unsigned line, char *text, char **ret_error);
int unit_file_parse_lines(const char *data, UnitLineFn fn, void *userdata, char **ret_error);
/* A line or a key or value of one without systemd's leading and trailing whitespace (" \t\n\r"),
 * in place: for the UnitLineFn callbacks. */
char *unit_file_strip(char *s);

/*
 * Which drop-ins systemd 252 reads: the manager and systemctl's install logic use different
 * directories, and each caller takes the rules of the program it stands in for.
 */
typedef enum UnitDropinRules {
        /* Loading the unit (src/shared/dropin.c): NAME.d/, TEMPLATE.d/, the dash-prefix
         * directories ("foo-bar-.service.d/", "foo-.service.d/") for each name in each search
         * directory, then the type-level "service.d/" in each. */
        UNIT_DROPINS_MANAGER,
        /* [Install] for enable and is-enabled (src/shared/install.c unit_file_search()): only
         * NAME.d/ in each search directory, then TEMPLATE.d/ in each. */
        UNIT_DROPINS_INSTALL,
} UnitDropinRules;

/*
 * The drop-ins (entries named *.conf, not hidden) systemd reads for a unit known by names (its own
 * name first, then any aliases), sorted by file name; of entries with the same name the one in
 * the directory searched first wins, so /etc masks /run masks /lib. Paths are as fs->glob() gives
 * them (canonical). Nothing is read: a link to /dev/null, a dangling link or a directory is
 * listed, since it masks the same name further down; what reading it does is the caller's (the
 * manager skips it, systemctl fails on all but /dev/null). -EINVAL for an invalid name.
 */
int unit_dropin_files(const NodeFS *fs, char * const *names, UnitDropinRules rules, char ***ret_files);

/* "foo@bar.service" -> "foo@.service". */
int unit_name_template(const char *name, char **ret);
/* "foo@.service" or "foo@x.service" + "bar" -> "foo@bar.service". */
int unit_name_replace_instance(const char *name, const char *instance, char **ret);

/* What an [Install] section says. Specifiers are kept as written (Also= excepted, as systemd). */
typedef struct UnitInstall {
        char **wanted_by;
        char **required_by;
        char **aliases;
        char **also;
        char *default_instance;
} UnitInstall;

void unit_install_done(UnitInstall *i);

/*
 * Parses the [Install] section of a unit file or drop-in named file (for messages) into *i,
 * adding to what is there as systemd does for drop-ins. unit_name is the name being installed
 * (for Alias= and DefaultInstance= checks and Also= specifiers). Lines systemd ignores with a
 * warning are ignored; an invalid section header fails with -EBADMSG.
 */
int unit_install_parse(UnitInstall *i, const char *unit_name, const char *file, const char *data,
                       char **ret_error);

/* Expands %n %N %p %i %j %% in an [Install] value for unit_name; -EOPNOTSUPP for others. */
int unit_install_printf(const char *unit_name, const char *default_instance, const char *format, char **ret);

typedef struct UnitFile {
        char *name;          /* the unit: the name asked for, or what the alias it was points to */
        char *path;          /* search directory + file name, as systemctl links to it */
        bool masked;
        bool runtime;        /* the fragment or mask is under /run */
        bool alias;          /* the name asked for is an alias of name */
        UnitInstall install; /* fragment and drop-ins */
} UnitFile;

UnitFile *unit_file_free(UnitFile *u);
DEFINE_TRIVIAL_CLEANUP_FUNC(UnitFile *, unit_file_free);

/* Finds a unit in the search path; -ENOENT (with *ret_error) when there is none. */
int unit_file_find(const NodeFS *fs, const char *name, UnitFile **ret, char **ret_error);
/* The same without the drop-ins' [Install] sections (install is the fragment's only), for readers
 * that stand in for the manager: it loads a unit whose drop-ins systemctl enable would fail on
 * (a directory or a dangling link named *.conf in NAME.d/). */
int unit_file_find_fragment(const NodeFS *fs, const char *name, UnitFile **ret, char **ret_error);

typedef enum UnitFileState {
        UNIT_FILE_ENABLED,
        UNIT_FILE_ENABLED_RUNTIME,
        UNIT_FILE_STATIC,
        UNIT_FILE_DISABLED,
        UNIT_FILE_INDIRECT,
        UNIT_FILE_MASKED,
        UNIT_FILE_MASKED_RUNTIME,
        UNIT_FILE_ALIAS,
        _UNIT_FILE_STATE_MAX,
} UnitFileState;

/* "enabled", "masked", ... as systemctl is-enabled prints them. */
const char *unit_file_state_name(UnitFileState s);
int unit_file_get_state(const NodeFS *fs, const char *name, UnitFileState *ret, char **ret_error);

/* One symlink to create (target set) or remove (target NULL) in /etc/systemd/system. */
typedef struct UnitLink {
        char *path;
        char *target;
} UnitLink;

typedef struct UnitLinks {
        UnitLink *items;
        size_t n_items;
} UnitLinks;

void unit_links_done(UnitLinks *l);

/*
 * The changes `systemctl enable|disable|mask|unmask NAME` would make, minus what is already so.
 * enable refuses a masked unit (-ERFKILL), a template without DefaultInstance= (-EIDRM), and an
 * alias path taken by something else (-EEXIST); mask refuses a real file in /etc (-EEXIST).
 * disable on a masked unit changes nothing, as systemctl.
 */
int unit_plan_enable(const NodeFS *fs, const char *name, UnitLinks *ret, char **ret_error);
int unit_plan_disable(const NodeFS *fs, const char *name, UnitLinks *ret, char **ret_error);
int unit_plan_mask(const NodeFS *fs, const char *name, UnitLinks *ret, char **ret_error);
int unit_plan_unmask(const NodeFS *fs, const char *name, UnitLinks *ret, char **ret_error);
