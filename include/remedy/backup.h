/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The backup store and transactions (backups/). One transaction = one apply:
 *
 *   txn_create()       archives every path the transaction will touch (pax tar, zstd, with
 *                      content, mode, owner, mtime, xattrs, ACLs; symlinks as symlinks) and
 *                      writes the manifest in state "prepared"; both are fsync'd, and so is the
 *                      store directory, before it returns. Nothing on the node has changed yet.
 *   txn_set_state()    rewrites the manifest atomically: prepared -> applying (before the first
 *                      change) -> applied | failed -> rolled-back.
 *   txn_rollback()     checks the archive against the manifest's checksum, restores every
 *                      archived file byte for byte with its metadata, removes the files and
 *                      directories the transaction created, restores the parent directories'
 *                      mtimes and marks the transaction rolled-back. It is idempotent, so a
 *                      transaction left in "applying" by a crash is rolled back the same way.
 *
 * The store is a directory (0700, root-owned; archives and manifests 0600: they hold private
 * keys) with, per transaction ID, ID.tar.zst and ID.json, plus a lock file. IDs sort by time.
 *
 * This library never includes remedy/ headers: it works on a Root and plain node paths.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "remedy/fileio.h"
#include "remedy/hash.h"
#include "remedy/macro.h"

/* Format 2 added what each path was left as, and the links between a transaction and the
 * rollback that reverted it; format 1 manifests are still read (without them). */
#define MANIFEST_FORMAT 2
#define MANIFEST_FORMAT_MIN 1
#define BACKUP_KEEP_DEFAULT 50   /* apply prunes to this many on its own */
#define TXN_ARCHIVE_SUFFIX ".tar.zst"
#define TXN_MANIFEST_SUFFIX ".json"

typedef enum TxnState {
        TXN_PREPARED,
        TXN_APPLYING,
        TXN_APPLIED,
        TXN_FAILED,
        TXN_ROLLED_BACK,
        TXN_ABANDONED,           /* prepared, and stopped before it changed anything */
        _TXN_STATE_MAX,
} TxnState;

const char *txn_state_to_string(TxnState s);
int txn_state_from_string(const char *s);   /* TxnState or -EINVAL */
/* prepared, applying and failed transactions are unresolved: the node may be half-changed. */
bool txn_state_unresolved(TxnState s);
/* IDs are file names: letters, digits and '-' (not leading), at most 64 characters. */
bool txn_id_is_valid(const char *id);

typedef struct ManifestPlaybook {
        char *name;
        char *path;
        char sha256[SHA256_HEX_SIZE];
        char **param_names;      /* strv */
        char **param_values;     /* strv, same length */
} ManifestPlaybook;

/* A path's state as far as loss goes: what it is, what it holds, who may read it. Not its mtime:
 * touching a file loses nothing. */
typedef struct PathState {
        bool known;              /* false: not recorded (format 1, or the run stopped first) */
        char *kind;              /* "file", "symlink", "absent" or "other" (a directory, a FIFO...) */
        char sha256[SHA256_HEX_SIZE];  /* of the content (file) or the target (symlink), "" otherwise */
        mode_t mode;             /* permission bits, files only */
        uid_t uid;
        gid_t gid;
} PathState;

void path_state_done(PathState *s);
/* Reads a node path's state through the root, never following a symlink. */
int path_state_read(Root *root, const char *path, PathState *ret);
/* The same through parent, which keeps the directory open for the next path in it: for loops
 * over a transaction's paths, ten thousand of them in one directory. */
int path_state_read_via(Root *root, RootParent *parent, const char *path, PathState *ret);
bool path_state_equal(const PathState *a, const PathState *b);

typedef struct ManifestEntry {
        char *path;              /* canonical node path */
        bool existed;            /* false: created by the transaction, removed on rollback */
        char *kind;              /* "file", "symlink" or "absent" before the transaction */
        char sha256[SHA256_HEX_SIZE];  /* of the content before (files only), "" otherwise */
        PathState after;         /* as the transaction left it (applied or failed) */
} ManifestEntry;

typedef struct ManifestDir {
        char *path;              /* a parent directory of an entry */
        bool existed;            /* false: created by the transaction, removed on rollback if empty */
        struct timespec mtime;   /* before the transaction (existed only) */
} ManifestDir;

/* A unit whose state the transaction may change (recorded by the live unit actions). */
typedef struct ManifestUnit {
        char *name;
        char *unit_file_state;   /* "enabled", "disabled", "masked", ... */
        char *active_state;      /* "active", "inactive", ... */
} ManifestUnit;

/* A setting of the running kernel the transaction may change (recorded by the live kernel
 * actions), with its value before: a rollback writes it back. */
typedef struct ManifestKernel {
        char *kind;              /* "sysctl" or "module" */
        char *name;              /* "net.ipv4.ip_forward", "br_netfilter" */
        char *before;            /* sysctl: the value ("" when it did not exist); module: "loaded" or "absent" */
} ManifestKernel;

typedef struct Manifest {
        unsigned format;
        char *id;
        TxnState state;
        char *created;           /* ISO 8601 UTC */
        char *updated;
        char *host;
        char *remedy_version;
        char *root;              /* the --root it was made for ("/" live) */
        char *command;           /* e.g. "apply cni-placeholder" */
        char *archive;           /* file name inside the store */
        char archive_sha256[SHA256_HEX_SIZE];
        uint64_t archive_size;
        char *journal_cursor;    /* where the transaction began in the journal (live), or NULL */
        char *error;             /* why it failed, or NULL */
        char *reverts;           /* a rollback's own record: the transaction it rolled back */
        char *rolled_back_by;    /* the record of the rollback that reverted this one, or NULL */
        ManifestPlaybook *playbooks;
        size_t n_playbooks;
        ManifestEntry *entries;
        size_t n_entries;
        ManifestDir *dirs;       /* parents first */
        size_t n_dirs;
        ManifestUnit *units;
        size_t n_units;
        ManifestKernel *kernel;  /* absent in manifests of remedy before kernel steps */
        size_t n_kernel;
} Manifest;

Manifest *manifest_free(Manifest *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manifest *, manifest_free);
/* Serialises to / parses from JSON (json-c). Parsing refuses unknown formats, missing fields,
 * paths that are not canonical absolute paths and unknown states, with -EBADMSG and a reason. */
int manifest_to_json(const Manifest *m, char **ret);
int manifest_from_json(const char *data, size_t size, Manifest **ret, char **ret_error);

typedef struct BackupStore BackupStore;

/*
 * Opens the store at a host path (default: ROOT/var/lib/remedy/backups). With create, makes it
 * (parents 0755, the store 0700). Refuses (-EPERM) a store that is not 0700 or not owned by the
 * caller's uid, never changing it, and one under a directory others can write that is not
 * sticky, or under a sticky one (/tmp) through a component that is not the caller's; -ELOOP
 * through a symlink. Without create, a missing store is -ENOENT.
 */
int backup_store_open(const char *path, bool create, BackupStore **ret);
/* ROOT/var/lib/remedy/backups: the store a node uses when no --backup-dir is given. */
char *backup_store_default_path(const char *root_path);
BackupStore *backup_store_free(BackupStore *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(BackupStore *, backup_store_free);
const char *backup_store_path(const BackupStore *s);
/* The store directory's fd (owned by the store). */
int backup_store_fd(const BackupStore *s);

/*
 * Takes the store's lock (an OFD lock on STORE/lock, which records the holder's pid) without
 * waiting. -EBUSY when another process holds it, with its pid in *ret_holder (0 if unknown).
 * Released by backup_store_free() or process exit.
 */
int backup_store_lock(BackupStore *s, pid_t *ret_holder);

/* Every transaction in the store, oldest first. Manifests that do not parse are reported with
 * -EBADMSG naming the file. */
int backup_store_list(BackupStore *s, Manifest ***ret, size_t *ret_n);
/* The same, with "FILE: reason" in *ret_error when a manifest does not parse. */
int backup_store_list_full(BackupStore *s, Manifest ***ret, size_t *ret_n, char **ret_error);
void manifest_list_free(Manifest **l, size_t n);

/* Loads one transaction by ID, or the newest with id == NULL (-ENOENT when there is none). */
int backup_store_load(BackupStore *s, const char *id, Manifest **ret, char **ret_error);

/* The newest unresolved transaction (prepared, applying, failed), 0 when there is none, 1 found. */
int backup_store_find_unresolved(BackupStore *s, Manifest **ret);
/* The same for the transactions made for one root only, with "FILE: reason" in *ret_error (may be
 * NULL) when a manifest does not parse. */
int backup_store_find_unresolved_for(BackupStore *s, const char *root_path, Manifest **ret, char **ret_error);

/*
 * The stores a node's transactions are in: store_registry_add() records a store's host path in
 * ROOT/var/lib/remedy/stores (0600); node_find_unresolved() looks for an unresolved transaction
 * of this root in current and in every recorded store, 1 found (*ret_store: the store's path when
 * it is not current), 0 none.
 */
#define STORE_REGISTRY_PATH "/var/lib/remedy/stores"
/* 1 when added, 0 when it was there already. */
int store_registry_add(Root *root, const char *store_path);
int store_registry_list(Root *root, char ***ret);
int node_find_unresolved(Root *root, BackupStore *current, Manifest **ret, char **ret_store, char **ret_error);

/*
 * One remedy per node, whichever store it uses: an OFD lock on /run/remedy/node.lock for the live
 * node ("/"), /run/remedy/roots/SHA256-OF-ROOT.lock for a --root, made 0700/0600. The fd in
 * *ret_fd holds it until closed. -EBUSY when another process holds it (its pid in *ret_holder,
 * 0 if unknown).
 */
int node_lock(const char *root_path, int *ret_fd, pid_t *ret_holder);

/* Removes all but the newest keep transactions; never removes an unresolved one. Returns the
 * number removed; the IDs go to *ret_removed when not NULL. */
int backup_store_prune(BackupStore *s, unsigned keep, char ***ret_removed);

typedef struct TxnPlaybookInfo {
        const char *name;
        const char *path;
        const char *sha256;
        char * const *param_names;
        char * const *param_values;
} TxnPlaybookInfo;

typedef struct TxnInfo {
        const char *command;
        const char *root_path;
        const char *remedy_version;
        const char *journal_cursor;         /* may be NULL */
        const TxnPlaybookInfo *playbooks;
        size_t n_playbooks;
} TxnInfo;

/*
 * Creates a transaction covering paths (canonical node paths; duplicates ignored), as described
 * above. Returns the manifest in state prepared. -EEXIST if a path is a directory.
 */
int txn_create(BackupStore *s, Root *root, const TxnInfo *info, char * const *paths, Manifest **ret);

/* Records units before they are changed (live mode); rewrites the manifest. */
int txn_add_unit(BackupStore *s, Manifest *m, const char *name, const char *unit_file_state, const char *active_state);

/* Records a kernel setting before it is changed (live mode); the first record of a name wins.
 * Rewrites the manifest. */
int txn_add_kernel(BackupStore *s, Manifest *m, const char *kind, const char *name, const char *before);

/* Writes m as STORE/ID.json durably (temp file, fsync, rename, fsync of the store), setting
 * updated (and created, when unset) to now. */
int backup_store_save(BackupStore *s, Manifest *m);

/* Moves to a new state, recording error (may be NULL), durably. Going back (applied -> applying,
 * anything out of rolled-back) is -EINVAL; the same state again only updates the error. */
int txn_set_state(BackupStore *s, Manifest *m, TxnState state, const char *error);

/* Records what the transaction left each path as (for rollback to tell later changes from its
 * own) and moves it to state (applied or failed), in one durable save. */
int txn_finish(BackupStore *s, Root *root, Manifest *m, TxnState state, const char *error);

/* A rolled-back transaction whose rollback was itself rolled back is applied again. */
int txn_reinstate(BackupStore *s, Manifest *m);

/* Checks that the archive exists, has the manifest's size and SHA-256, and holds exactly the
 * entries the manifest says existed, each a safe relative path. -EBADMSG with a reason. */
int txn_verify(BackupStore *s, const Manifest *m, char **ret_error);

typedef enum RestoreAction {
        RESTORE_UNCHANGED,   /* the node already has the archived state */
        RESTORE_FILE,        /* put back the archived file or symlink */
        RESTORE_REMOVE,      /* remove a file the transaction created */
        RESTORE_RMDIR,       /* remove a directory the transaction created */
        RESTORE_DIR_MTIME,   /* put back a parent directory's mtime */
} RestoreAction;

typedef struct RestoreItem {
        RestoreAction action;
        bool changed_since;          /* the node is not as the transaction left it: restoring it
                                      * loses a change made since (by a later transaction or by hand) */
        const char *path;
        const char *kind;            /* archived kind: "file", "symlink", "absent", "directory" */
        const char *archived_data;   /* file content or symlink target, for diffs (RESTORE_FILE);
                                      * NULL for a file larger than NODE_FILE_MAX */
        size_t archived_size;
        mode_t archived_mode;
        uid_t archived_uid;
        gid_t archived_gid;
} RestoreItem;

typedef int (*RestoreVisitor)(const RestoreItem *item, void *userdata);

typedef struct RollbackOptions {
        bool dry_run;            /* write nothing: the visitor sees what would be done */
        bool force;              /* restore paths changed since the transaction too */
        const char *by;          /* the ID of the rollback's own record, kept as rolled_back_by */
} RollbackOptions;

/*
 * Rolls back (see above); o may be NULL for the defaults. The visitor (may be NULL) is called for
 * every item in order; a negative return aborts. Writes nothing when it refuses: a tampered
 * archive is -EBADMSG, a path changed since the transaction (item.changed_since) without force is
 * -EUCLEAN, each with *ret_error saying why. A transaction in state prepared changed nothing: it
 * is only marked abandoned.
 */
int txn_rollback(BackupStore *s, Root *root, Manifest *m, const RollbackOptions *o, RestoreVisitor visitor,
                 void *userdata, char **ret_error);
