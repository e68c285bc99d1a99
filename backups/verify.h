/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Private to backups/: pass 1 of txn_rollback(), the archive checked against the manifest before
 * anything on the node is looked at. verify.c implements it (and txn_verify(), which is pass 1
 * alone); restore.c builds the plan and extracts on top of what it records.
 *
 *     _cleanup_(restore_done) Restore rs = {};
 *     r = restore_init(&rs, m, ret_error);
 *     fd = restore_open_archive(s, m, ret_error);           size and SHA-256 of the whole file
 *     r = restore_validate_archive(&rs, fd, keep_data);     every entry, into rs.archived[]
 *
 * Errors are negative errno; where there is a reason to give, it goes to *ret_error (allocated,
 * one line, the first failure wins) through restore_fail().
 */

#include <archive.h>
#include <archive_entry.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "remedy/backup.h"
#include "remedy/macro.h"
#include "remedy/str-index.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct archive *, archive_read_free);

/* What the archive holds for one manifest entry, and what rollback will do with it. */
typedef struct Archived {
        const ManifestEntry *entry;
        bool seen;
        bool symlink;
        mode_t mode;
        uid_t uid;
        gid_t gid;
        struct timespec mtime;
        int64_t size;
        char *data;            /* file content (when kept) or symlink target */
        size_t data_size;
        RestoreAction action;  /* set by the plan (pass 2) */
} Archived;

typedef struct Restore {
        const Manifest *m;
        Archived *archived;    /* one per manifest entry, same index */
        StrIndex *by_name;     /* archive entry name -> index */
        char **ret_error;
} Restore;

int restore_init(Restore *rs, const Manifest *m, char **ret_error);
void restore_done(Restore *rs);

/* Sets *ret_error (when given and still unset) from fmt and returns error. */
int restore_fail(char **ret_error, int error, const char *fmt, ...) _printf_(3, 4);

/* Opens the transaction's archive in the store and checks it is the one the manifest describes,
 * byte for byte (size and SHA-256). Returns the fd, positioned at the start. */
int restore_open_archive(BackupStore *s, const Manifest *m, char **ret_error);

/* A reader for exactly what txn_create() writes (tar through zstd) on fd, from its position. */
int restore_open_reader(int fd, struct archive **ret);

/* The index of the manifest entry an archive entry name (node path without the leading '/')
 * stands for, or -1. */
ssize_t restore_find_entry(const Restore *rs, const char *name);

/* Reads the whole archive from fd's position: every entry must be one the manifest lists as
 * existing, of its kind and content, once; every listed one must be there; no entry may lie under
 * another. Fills rs->archived[]; file contents are kept in memory only when keep_data is set (and
 * the file is at most NODE_FILE_MAX). */
int restore_validate_archive(Restore *rs, int fd, bool keep_data);
