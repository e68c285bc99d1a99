/* SPDX-License-Identifier: MIT */
/*
 * txn_rollback().
 *
 * Rollback runs in three passes so that a refusal writes nothing: (1) the whole archive is read
 * and checked against the manifest (verify.c); (2) the node is checked (no symlink among the
 * parents of anything to be written, nothing that became a directory, nothing changed since the
 * transaction unless forced) and the plan is computed and shown to the visitor (restore-plan.c);
 * (3) only then is the archive read again and each entry extracted into its parent directory
 * reached by file descriptor (extract_entry()), with libarchive's own SECURE_* checks as a second
 * line.
 */
#include "remedy/backup.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "remedy/fileio.h"
#include "remedy/strv.h"
#include "restore-plan.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct archive *, archive_write_free);

#define EXTRACT_FLAGS                                                                                 \
        (ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_ACL |    \
         ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SAFE_WRITES | ARCHIVE_EXTRACT_SECURE_SYMLINKS |        \
         ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS)

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

static int fsync_restored(RootParent *d, Root *root, const Archived *ar) {
        const char *base;
        if (ar->symlink)
                return 0;
        int pfd = root_parent_get(d, root, ar->entry->path, false, &base);
        if (pfd < 0)
                return pfd;
        _cleanup_close_ int fd = openat(pfd, base, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return fsync(fd) < 0 ? -errno : 0;
}

/* Each directory once, however many of its entries were written or removed: ten thousand
 * restored files in one directory cost one fsync of it, not ten thousand. */
static int fsync_dirs(Root *root, char * const *dirs, char **ret_error) {
        STRV_FOREACH(dir, dirs) {
                int r = root_fsync_dir(root, *dir);
                if (r < 0 && r != -ENOENT)
                        return restore_fail(ret_error, r, "%s: fsync: %s", *dir, strerror(-r));
        }
        return 0;
}

static int add_parent(char ***dirs, const char *path) {
        _cleanup_free_ char *dir = path_dirname(path);
        return dir ? strv_extend_unique(dirs, dir) : -ENOMEM;
}

/*
 * Writes one archive entry into its parent directory, reached by file descriptor: the parents are
 * made one directory at a time without following symlinks, the parent is opened with
 * RESOLVE_NO_SYMLINKS, and libarchive is handed only the last component with that directory as
 * its working directory. Checking the parents by name first and then letting libarchive walk the
 * whole path by name lost the race against a parent swapped for a symlink (tests/tree/race.sh):
 * the restored file, or its temporary, went wherever the link pointed. The directory stays open
 * for the next entry in it: whatever happens to its name meanwhile, what is written goes into the
 * directory that was checked. Each entry has its own archive_write_disk so that its deferred
 * fix-ups run before the working directory moves on.
 */
static int extract_entry(RootParent *d, Root *root, struct archive *a, struct archive_entry *entry, const char *path,
                         char **ret_detail) {
        _cleanup_(archive_write_freep) struct archive *disk = archive_write_disk_new();
        const char *base;

        if (!disk)
                return -ENOMEM;
        /* No name lookup: owners are restored by number, as they were archived. */
        if (archive_write_disk_set_options(disk, EXTRACT_FLAGS) != ARCHIVE_OK)
                return -EIO;
        int pfd = root_parent_get(d, root, path, true, &base);
        if (pfd < 0)
                return pfd;
        if (fchdir(pfd) < 0)
                return -errno;
        archive_entry_set_pathname(entry, base);

        if (archive_write_header(disk, entry) != ARCHIVE_OK ||
            (archive_entry_filetype(entry) == AE_IFREG && copy_entry_data(a, disk) < 0) ||
            archive_write_finish_entry(disk) != ARCHIVE_OK || archive_write_close(disk) != ARCHIVE_OK) {
                *ret_detail = strdup(strempty(archive_error_string(disk)));
                return -EIO;
        }
        return 0;
}

static int extract(Restore *rs, Root *root, int fd) {
        _cleanup_(archive_read_freep) struct archive *a = NULL;
        const Manifest *m = rs->m;
        int r;

        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        r = restore_open_reader(fd, &a);
        if (r < 0)
                return restore_fail(rs->ret_error, r, "%s: cannot be read", m->archive);

        {
                /* libarchive writes relative to the working directory: extract_entry() moves it
                 * from one parent directory to the next; it is put back at the end. */
                _cleanup_(cwd_restorep) int cwd_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
                _cleanup_(root_parent_done) RootParent parent = ROOT_PARENT_INIT;
                if (cwd_fd < 0)
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
                        i = restore_find_entry(rs, archive_entry_pathname(entry));
                        if (i < 0)   /* validated before; the archive changed under us */
                                return restore_fail(rs->ret_error, -EBADMSG, "%s: changed during rollback", m->archive);
                        if (rs->archived[i].action != RESTORE_FILE)
                                continue;

                        _cleanup_free_ char *detail = NULL;
                        r = extract_entry(&parent, root, a, entry, m->entries[i].path, &detail);
                        if (r < 0)
                                return restore_fail(rs->ret_error, r, "%s: %s", m->entries[i].path,
                                                    detail ? detail : strerror(-r));
                }
        }

        _cleanup_strv_free_ char **dirs = NULL;
        _cleanup_(root_parent_done) RootParent parent = ROOT_PARENT_INIT;
        for (size_t i = 0; i < m->n_entries; i++)
                if (rs->archived[i].action == RESTORE_FILE) {
                        r = fsync_restored(&parent, root, &rs->archived[i]);
                        if (r >= 0)
                                r = add_parent(&dirs, m->entries[i].path);
                        if (r < 0)
                                return restore_fail(rs->ret_error, r, "%s: fsync: %s", m->entries[i].path,
                                                    strerror(-r));
                }
        return fsync_dirs(root, dirs, rs->ret_error);
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
        _cleanup_strv_free_ char **dirs = NULL;
        int r;

        for (size_t i = 0; i < p->n_items; i++) {
                const PlanItem *it = &p->items[i];

                switch (it->action) {
                case RESTORE_REMOVE:
                        r = root_unlink_unsynced(root, it->path);
                        if (r >= 0)
                                r = add_parent(&dirs, it->path);
                        break;
                case RESTORE_RMDIR:
                        r = root_rmdir(root, it->path);
                        if (r == -ENOTEMPTY)   /* something else lives there now: keep it */
                                r = 0;
                        break;
                case RESTORE_DIR_MTIME:
                        r = set_dir_mtime(root, it->dir ? it->dir : &it->kept);
                        if (r == -ENOENT)
                                r = 0;
                        break;
                default:
                        r = 0;
                }
                if (r < 0)
                        return restore_fail(ret_error, r, "%s: %s", it->path, strerror(-r));
        }
        return fsync_dirs(root, dirs, ret_error);
}

static int mark_rolled_back(BackupStore *s, Manifest *m, const char *by) {
        _cleanup_free_ char *old = NULL;
        int r;

        if (by) {
                char *copy = strdup(by);
                if (!copy)
                        return -ENOMEM;
                old = m->rolled_back_by;
                m->rolled_back_by = copy;
        }
        r = txn_set_state(s, m, TXN_ROLLED_BACK, NULL);
        if (r < 0 && by) {
                free(m->rolled_back_by);
                m->rolled_back_by = TAKE_PTR(old);
        }
        return r;
}

int txn_rollback(BackupStore *s, Root *root, Manifest *m, const RollbackOptions *o, RestoreVisitor visitor,
                 void *userdata, char **ret_error) {
        _cleanup_(restore_done) Restore rs = {};
        _cleanup_(plan_done) Plan plan = {};
        _cleanup_close_ int fd = -EBADF;
        RollbackOptions defaults = {};
        size_t n_changed;
        int r;

        if (!s || !root || !m)
                return -EINVAL;
        if (!o)
                o = &defaults;
        if (ret_error)
                *ret_error = NULL;
        bool dry_run = o->dry_run;

        /* Nothing was changed before the state moved to applying: it was abandoned. */
        if (m->state == TXN_PREPARED)
                return dry_run ? 0 : txn_set_state(s, m, TXN_ABANDONED, NULL);

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
        r = restore_make_plan(&rs, root, &plan);
        if (r < 0)
                return r;
        r = restore_visit_plan(&plan, visitor, userdata);
        if (r < 0)
                return r;
        n_changed = plan_count_changed_since(&plan);
        if (n_changed > 0 && !o->force && !dry_run)
                return restore_fail(ret_error, -EUCLEAN, "%zu path%s changed since the transaction", n_changed,
                                    n_changed == 1 ? "" : "s");
        if (dry_run)
                return 0;

        r = extract(&rs, root, fd);
        if (r < 0)
                return r;
        r = apply_plan_removals(&plan, root, ret_error);
        if (r < 0)
                return r;
        return mark_rolled_back(s, m, o->by);
}
