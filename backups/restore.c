/* SPDX-License-Identifier: MIT */
/*
 * txn_rollback().
 *
 * Rollback runs in three passes so that a refusal writes nothing: (1) the whole archive is read
 * and checked against the manifest (verify.c); (2) the node is checked (no symlink among the
 * parents of anything to be written, nothing that became a directory) and the plan is computed
 * and shown to the visitor; (3) only then is the archive read again and extracted, relative to
 * the root, with libarchive's own SECURE_* checks as a second line.
 */
#include "remedy/backup.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "remedy/fileio.h"
#include "remedy/strv.h"
#include "verify.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct archive *, archive_write_free);

#define EXTRACT_FLAGS                                                                                 \
        (ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_ACL |    \
         ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SAFE_WRITES | ARCHIVE_EXTRACT_SECURE_SYMLINKS |        \
         ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS)

/* ---- Pass 2: the node and the plan ---- */

typedef struct PlanItem {
        RestoreAction action;
        const char *path;
        char *owned_path;           /* for leftovers found on the node */
        const char *kind;
        const Archived *archived;   /* RESTORE_FILE and unchanged entries */
        const ManifestDir *dir;     /* RESTORE_DIR_MTIME */
} PlanItem;

typedef struct Plan {
        PlanItem *items;
        size_t n_items;
} Plan;

static void plan_done(Plan *p) {
        for (size_t i = 0; i < p->n_items; i++)
                free(p->items[i].owned_path);
        free(p->items);
}

static int plan_add(Plan *p, RestoreAction action, const char *path, const char *kind, const Archived *ar,
                    const ManifestDir *dir) {
        PlanItem *items = realloc(p->items, sizeof(PlanItem) * (p->n_items + 1));
        if (!items)
                return -ENOMEM;
        p->items = items;
        items[p->n_items++] = (PlanItem) { action, path, NULL, kind, ar, dir };
        return 0;
}

/* A crash inside an atomic write leaves its temporary file beside the target; it is the
 * transaction's doing, so rollback removes it (and the directory it was in can go too). */
static int plan_fileio_leftovers(Plan *p, Root *root, const char *path) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ char *dir = path_dirname(path);
        const char *base = path_basename(path);
        int r;

        if (!dir)
                return -ENOMEM;
        r = root_list_dir(root, dir, &names);
        if (r == -ENOENT || r == -ENOTDIR)
                return 0;
        if (r < 0)
                return r;
        STRV_FOREACH(name, names) {
                char *leftover;

                if (!fileio_is_temp_name(*name, base))
                        continue;
                leftover = path_join(dir, *name);
                if (!leftover)
                        return -ENOMEM;
                r = plan_add(p, RESTORE_REMOVE, leftover, "temporary", NULL, NULL);
                if (r < 0) {
                        free(leftover);
                        return r;
                }
                p->items[p->n_items - 1].owned_path = leftover;
        }
        return 0;
}

/* Anything written goes through its parent directories: none of them may have become a symlink,
 * which libarchive would follow from the root's directory out to the host. */
static int check_parents(Root *root, const char *path, char **ret_error) {
        _cleanup_free_ char *dir = path_dirname(path), *canonical = NULL;
        int r;

        if (!dir)
                return -ENOMEM;
        r = root_canonicalize(root, dir, true, &canonical);
        if (r < 0)
                return restore_fail(ret_error, r, "%s: cannot resolve its parent directory: %s", path, strerror(-r));
        if (!streq(canonical, dir))
                return restore_fail(ret_error, -ELOOP,
                                    "%s: a parent directory is now a symlink (to %s); refusing to write through it",
                                    path, canonical);
        return 0;
}

static bool timespec_eq(struct timespec a, struct timespec b) {
        return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

/* Whether the node already holds what the archive holds for this entry. */
static int node_matches(Root *root, const Archived *ar, const struct stat *st) {
        if (ar->symlink) {
                _cleanup_free_ char *target = NULL;
                int r;

                if (!S_ISLNK(st->st_mode) || st->st_uid != ar->uid || st->st_gid != ar->gid)
                        return false;
                r = root_readlink(root, ar->entry->path, &target);
                if (r < 0)
                        return r;
                return streq(target, ar->data);
        }

        _cleanup_close_ int fd = -EBADF;
        char sha256[SHA256_HEX_SIZE];
        int r;

        if (!S_ISREG(st->st_mode) || (st->st_mode & 07777) != ar->mode || st->st_uid != ar->uid ||
            st->st_gid != ar->gid || st->st_size != ar->size || !timespec_eq(st->st_mtim, ar->mtime))
                return false;
        fd = root_open_file(root, ar->entry->path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0);
        if (fd < 0)
                return fd;
        r = sha256_fd_hex(fd, sha256);
        if (r < 0)
                return r;
        return streq(sha256, ar->entry->sha256);
}

static int lstat_optional(Root *root, const char *path, struct stat *st, char **ret_error) {
        int r = root_lstat(root, path, st);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return restore_fail(ret_error, r, "%s: %s", path, strerror(-r));
        return 1;
}

static bool plan_touches_dir(const Plan *p, const char *dir) {
        for (size_t i = 0; i < p->n_items; i++) {
                _cleanup_free_ char *parent = NULL;

                if (p->items[i].action == RESTORE_UNCHANGED || p->items[i].action == RESTORE_DIR_MTIME)
                        continue;
                parent = path_dirname(p->items[i].path);
                if (!parent || streq(parent, dir))
                        return true;
        }
        return false;
}

static int make_plan(Restore *rs, Root *root, Plan *p) {
        const Manifest *m = rs->m;
        struct stat st;
        int r;

        for (size_t i = 0; i < m->n_entries; i++) {
                const ManifestEntry *e = &m->entries[i];
                Archived *ar = &rs->archived[i];

                r = check_parents(root, e->path, rs->ret_error);
                if (r < 0)
                        return r;
                r = lstat_optional(root, e->path, &st, rs->ret_error);
                if (r < 0)
                        return r;
                if (r > 0 && S_ISDIR(st.st_mode))
                        return restore_fail(rs->ret_error, -EISDIR, "%s: is a directory now; move it away and retry",
                                            e->path);

                if (e->existed) {
                        int same = r > 0 ? node_matches(root, ar, &st) : false;
                        if (same < 0)
                                return restore_fail(rs->ret_error, same, "%s: %s", e->path, strerror(-same));
                        ar->action = same ? RESTORE_UNCHANGED : RESTORE_FILE;
                } else
                        ar->action = r > 0 ? RESTORE_REMOVE : RESTORE_UNCHANGED;
                r = plan_add(p, ar->action, e->path, e->kind, ar, NULL);
                if (r < 0)
                        return r;
                r = plan_fileio_leftovers(p, root, e->path);
                if (r < 0)
                        return restore_fail(rs->ret_error, r, "%s: cannot list its directory: %s", e->path,
                                            strerror(-r));
        }

        /* Created directories deepest first (dirs are sorted parents first). */
        for (size_t i = m->n_dirs; i > 0; i--) {
                const ManifestDir *d = &m->dirs[i - 1];

                if (d->existed)
                        continue;
                r = check_parents(root, d->path, rs->ret_error);
                if (r < 0)
                        return r;
                r = lstat_optional(root, d->path, &st, rs->ret_error);
                if (r < 0)
                        return r;
                if (r > 0 && S_ISDIR(st.st_mode)) {
                        r = plan_add(p, RESTORE_RMDIR, d->path, "directory", NULL, d);
                        if (r < 0)
                                return r;
                }
        }

        for (size_t i = 0; i < m->n_dirs; i++) {
                const ManifestDir *d = &m->dirs[i];
                _cleanup_free_ char *canonical = NULL;

                if (!d->existed)
                        continue;
                r = root_canonicalize(root, d->path, true, &canonical);
                if (r < 0)
                        return restore_fail(rs->ret_error, r, "%s: %s", d->path, strerror(-r));
                if (!streq(canonical, d->path))
                        return restore_fail(rs->ret_error, -ELOOP, "%s: is now a symlink (to %s)", d->path, canonical);
                r = lstat_optional(root, d->path, &st, rs->ret_error);
                if (r < 0)
                        return r;
                if (r == 0 || !S_ISDIR(st.st_mode))
                        continue;
                if (timespec_eq(st.st_mtim, d->mtime) && !plan_touches_dir(p, d->path))
                        continue;
                r = plan_add(p, RESTORE_DIR_MTIME, d->path, "directory", NULL, d);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int visit_plan(const Plan *p, RestoreVisitor visitor, void *userdata) {
        if (!visitor)
                return 0;
        for (size_t i = 0; i < p->n_items; i++) {
                const PlanItem *it = &p->items[i];
                RestoreItem item = {
                        .action = it->action,
                        .path = it->path,
                        .kind = it->kind,
                };
                int r;

                if (it->archived && it->archived->entry->existed) {
                        item.archived_data = it->archived->data;
                        item.archived_size = it->archived->data_size;
                        item.archived_mode = it->archived->mode;
                        item.archived_uid = it->archived->uid;
                        item.archived_gid = it->archived->gid;
                }
                r = visitor(&item, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- Pass 3: writing ---- */

static int copy_entry_data(struct archive *from, struct archive *to) {
        for (;;) {
                const void *block;
                size_t size;
                la_int64_t offset;
                int r;

                r = archive_read_data_block(from, &block, &size, &offset);
                if (r == ARCHIVE_EOF)
                        return 0;
                if (r != ARCHIVE_OK)
                        return -EIO;
                if (archive_write_data_block(to, block, size, offset) != ARCHIVE_OK)
                        return -EIO;
        }
}

static int fsync_restored(Root *root, const Archived *ar) {
        _cleanup_free_ char *dir = NULL;

        if (!ar->symlink) {
                _cleanup_close_ int fd = root_open_file(root, ar->entry->path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0);
                if (fd < 0)
                        return fd;
                if (fsync(fd) < 0)
                        return -errno;
        }
        dir = path_dirname(ar->entry->path);
        if (!dir)
                return -ENOMEM;
        return root_fsync_dir(root, dir);
}

static int extract(Restore *rs, Root *root, int fd) {
        _cleanup_(archive_read_freep) struct archive *a = NULL;
        _cleanup_(archive_write_freep) struct archive *disk = archive_write_disk_new();
        const Manifest *m = rs->m;
        int r;

        if (!disk)
                return -ENOMEM;
        /* No name lookup: owners are restored by number, as they were archived. */
        if (archive_write_disk_set_options(disk, EXTRACT_FLAGS) != ARCHIVE_OK)
                return -EIO;
        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        r = restore_open_reader(fd, &a);
        if (r < 0)
                return restore_fail(rs->ret_error, r, "%s: cannot be read", m->archive);

        {
                /* libarchive writes relative to the working directory: make it the root. */
                _cleanup_(cwd_restorep) int cwd_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (cwd_fd < 0)
                        return -errno;
                if (fchdir(root->fd) < 0)
                        return -errno;

                for (;;) {
                        struct archive_entry *entry;
                        ssize_t i;

                        r = archive_read_next_header(a, &entry);
                        if (r == ARCHIVE_EOF)
                                break;
                        if (r != ARCHIVE_OK)
                                return restore_fail(rs->ret_error, -EIO, "%s: %s", m->archive,
                                                    strempty(archive_error_string(a)));
                        i = restore_find_entry(m, archive_entry_pathname(entry));
                        if (i < 0)   /* validated before; the archive changed under us */
                                return restore_fail(rs->ret_error, -EBADMSG, "%s: changed during rollback", m->archive);
                        if (rs->archived[i].action != RESTORE_FILE)
                                continue;

                        if (archive_write_header(disk, entry) != ARCHIVE_OK ||
                            (archive_entry_filetype(entry) == AE_IFREG && copy_entry_data(a, disk) < 0) ||
                            archive_write_finish_entry(disk) != ARCHIVE_OK)
                                return restore_fail(rs->ret_error, -EIO, "%s: %s", m->entries[i].path,
                                                    strempty(archive_error_string(disk)));
                }
                if (archive_write_close(disk) != ARCHIVE_OK)
                        return restore_fail(rs->ret_error, -EIO, "%s", strempty(archive_error_string(disk)));
        }

        for (size_t i = 0; i < m->n_entries; i++)
                if (rs->archived[i].action == RESTORE_FILE) {
                        r = fsync_restored(root, &rs->archived[i]);
                        if (r < 0)
                                return restore_fail(rs->ret_error, r, "%s: fsync: %s", m->entries[i].path,
                                                    strerror(-r));
                }
        return 0;
}

static int set_dir_mtime(Root *root, const ManifestDir *d) {
        _cleanup_close_ int fd = -EBADF;
        struct timespec times[2] = { { .tv_nsec = UTIME_OMIT }, d->mtime };

        fd = root_open_file(root, d->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
        if (fd < 0)
                return fd;
        if (futimens(fd, times) < 0 || fsync(fd) < 0)
                return -errno;
        return 0;
}

static int apply_plan_removals(const Plan *p, Root *root, char **ret_error) {
        int r;

        for (size_t i = 0; i < p->n_items; i++) {
                const PlanItem *it = &p->items[i];

                switch (it->action) {
                case RESTORE_REMOVE:
                        r = root_unlink(root, it->path);
                        break;
                case RESTORE_RMDIR:
                        r = root_rmdir(root, it->path);
                        if (r == -ENOTEMPTY)   /* something else lives there now: keep it */
                                r = 0;
                        break;
                case RESTORE_DIR_MTIME:
                        r = set_dir_mtime(root, it->dir);
                        if (r == -ENOENT)
                                r = 0;
                        break;
                default:
                        r = 0;
                }
                if (r < 0)
                        return restore_fail(ret_error, r, "%s: %s", it->path, strerror(-r));
        }
        return 0;
}

int txn_rollback(BackupStore *s, Root *root, Manifest *m, bool dry_run, RestoreVisitor visitor, void *userdata,
                 char **ret_error) {
        _cleanup_(restore_done) Restore rs = {};
        _cleanup_(plan_done) Plan plan = {};
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!s || !root || !m)
                return -EINVAL;
        if (ret_error)
                *ret_error = NULL;

        /* Nothing was changed before the state moved to applying. */
        if (m->state == TXN_PREPARED)
                return dry_run ? 0 : txn_set_state(s, m, TXN_ROLLED_BACK, NULL);

        r = restore_init(&rs, m, ret_error);
        if (r < 0)
                return r;
        fd = restore_open_archive(s, m, ret_error);
        if (fd < 0)
                return fd;
        /* The visitor gets the archived content, for diffs, whether or not this is a dry run. */
        r = restore_validate_archive(&rs, fd, visitor != NULL);
        if (r < 0)
                return r;
        r = make_plan(&rs, root, &plan);
        if (r < 0)
                return r;
        r = visit_plan(&plan, visitor, userdata);
        if (r < 0 || dry_run)
                return r;

        r = extract(&rs, root, fd);
        if (r < 0)
                return r;
        r = apply_plan_removals(&plan, root, ret_error);
        if (r < 0)
                return r;
        return txn_set_state(s, m, TXN_ROLLED_BACK, NULL);
}
