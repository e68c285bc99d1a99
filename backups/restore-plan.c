/* SPDX-License-Identifier: MIT */
/*
 * Pass 2 of txn_rollback(): the node and the plan (see restore-plan.h).
 */
#include "restore-plan.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "remedy/fileio.h"
#include "remedy/str-index.h"
#include "remedy/strv.h"

void plan_done(Plan *p) {
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
        items[p->n_items++] = (PlanItem) { action, false, path, NULL, kind, ar, dir, {} };
        return 0;
}

size_t plan_count_changed_since(const Plan *p) {
        size_t n = 0;
        for (size_t i = 0; i < p->n_items; i++)
                n += p->items[i].changed_since;
        return n;
}

/* Whether restoring e loses a change made after the transaction: the node is neither as it was
 * before (then there is nothing to do) nor as the transaction left it. Unknown without a record
 * of what it left (a format 1 manifest, a run that stopped): restored as before. */
static int changed_since(Root *root, RootParent *parent, const ManifestEntry *e, RestoreAction action) {
        _cleanup_(path_state_done) PathState now = {};
        int r;

        if (action == RESTORE_UNCHANGED || !e->after.known)
                return false;
        r = path_state_read_via(root, parent, e->path, &now);
        if (r < 0)
                return r;
        return !path_state_equal(&now, &e->after);
}

/* What each directory holds of remedy's temporary files, listed once per directory: a glob's ten
 * thousand files in one directory must not list it ten thousand times. */
typedef struct DirCache {
        StrIndex *index;        /* directory -> position in temps */
        char ***temps;          /* the REMEDY_TEMP_PREFIX names in it */
        size_t n;
        StrIndex *parents_ok;   /* directories check_parents() found free of symlinks */
} DirCache;

static void dir_cache_done(DirCache *c) {
        for (size_t i = 0; i < c->n; i++)
                strv_free(c->temps[i]);
        free(c->temps);
        str_index_free(c->index);
        str_index_free(c->parents_ok);
}

static int dir_cache_temps(DirCache *c, Root *root, const char *dir, char ***ret) {
        _cleanup_strv_free_ char **names = NULL, **temps = NULL;
        size_t i;
        int r;

        if (str_index_get(c->index, dir, &i)) {
                *ret = c->temps[i];
                return 0;
        }
        r = root_list_dir(root, dir, &names);
        if (r < 0 && r != -ENOENT && r != -ENOTDIR)
                return r;
        STRV_FOREACH(name, names)
                if (startswith(*name, REMEDY_TEMP_PREFIX) && (r = strv_extend(&temps, *name)) < 0)
                        return r;
        char ***l = reallocarray(c->temps, c->n + 1, sizeof(char **));
        if (!l)
                return -ENOMEM;
        c->temps = l;
        if ((r = str_index_put(&c->index, dir, c->n)) < 0)
                return r;
        *ret = c->temps[c->n++] = TAKE_PTR(temps);
        return 0;
}

/* A crash inside an atomic write leaves its temporary file beside the target; it is the
 * transaction's doing, so rollback removes it (and the directory it was in can go too). */
static int plan_fileio_leftovers(Plan *p, DirCache *cache, Root *root, const char *path) {
        _cleanup_free_ char *dir = path_dirname(path);
        const char *base = path_basename(path);
        char **temps;
        int r;

        if (!dir)
                return -ENOMEM;
        r = dir_cache_temps(cache, root, dir, &temps);
        if (r < 0)
                return r;
        STRV_FOREACH(name, temps) {
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
static int check_parents(DirCache *cache, Root *root, const char *path, char **ret_error) {
        _cleanup_free_ char *dir = path_dirname(path), *canonical = NULL;
        int r;

        if (!dir)
                return -ENOMEM;
        if (str_index_get(cache->parents_ok, dir, NULL))
                return 0;
        r = root_canonicalize(root, dir, true, &canonical);
        if (r < 0)
                return restore_fail(ret_error, r, "%s: cannot resolve its parent directory: %s", path, strerror(-r));
        if (!streq(canonical, dir))
                return restore_fail(ret_error, -ELOOP,
                                    "%s: a parent directory is now a symlink (to %s); refusing to write through it",
                                    path, canonical);
        return str_index_put(&cache->parents_ok, dir, 0);
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

/* lstat() of path, its directory kept open in parent for the next path in it. */
static int lstat_optional(Root *root, RootParent *parent, const char *path, struct stat *st, char **ret_error) {
        const char *base;
        int r;
        if (streq(path, "/"))   /* it has no parent: the root itself */
                r = root_lstat(root, path, st);
        else if ((r = root_parent_get_in_root(parent, root, path, &base)) >= 0 &&
                 fstatat(r, base, st, AT_SYMLINK_NOFOLLOW) < 0)
                r = -errno;
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

static bool plan_has_dir_mtime(const Plan *p, const char *path) {
        for (size_t i = 0; i < p->n_items; i++)
                if (p->items[i].action == RESTORE_DIR_MTIME && streq(p->items[i].path, path))
                        return true;
        return false;
}

static const ManifestDir *manifest_find_dir(const Manifest *m, const char *path) {
        for (size_t i = 0; i < m->n_dirs; i++)
                if (streq(m->dirs[i].path, path))
                        return &m->dirs[i];
        return NULL;
}

/* Whether the transaction itself could change d's mtime: d is the parent of one of its paths or
 * of a directory it created. Its other ancestors are recorded for plan_keep_ancestor_mtime(). */
static bool dir_is_parent(const Manifest *m, const char *d) {
        for (size_t i = 0; i < m->n_entries; i++) {
                _cleanup_free_ char *parent = path_dirname(m->entries[i].path);
                if (!parent || streq(parent, d))
                        return true;
        }
        for (size_t i = 0; i < m->n_dirs; i++) {
                if (m->dirs[i].existed || streq(m->dirs[i].path, "/"))
                        continue;
                _cleanup_free_ char *parent = path_dirname(m->dirs[i].path);
                if (!parent || streq(parent, d))
                        return true;
        }
        return false;
}

/* A directory the transaction found is gone now: extracting its files makes it again, which
 * changes the mtime of the first ancestor that exists. That ancestor gets the mtime it had when
 * the transaction began (recorded), or keeps the one it has now. */
static int plan_keep_ancestor_mtime(Plan *p, const Manifest *m, Root *root, const char *path) {
        _cleanup_free_ char *ancestor = path_dirname(path);
        struct stat st;
        int r;

        if (!ancestor)
                return -ENOMEM;
        while ((r = root_lstat(root, ancestor, &st)) == -ENOENT) {
                char *up = path_dirname(ancestor);
                if (!up)
                        return -ENOMEM;
                free(ancestor);
                ancestor = up;
        }
        if (r < 0)
                return r;
        if (!S_ISDIR(st.st_mode) || plan_has_dir_mtime(p, ancestor))
                return 0;
        r = plan_add(p, RESTORE_DIR_MTIME, ancestor, "directory", NULL, NULL);
        if (r < 0)
                return r;
        PlanItem *it = &p->items[p->n_items - 1];
        it->owned_path = TAKE_PTR(ancestor);
        it->path = it->owned_path;
        const ManifestDir *recorded = manifest_find_dir(m, it->owned_path);
        if (recorded && recorded->existed) {
                it->dir = recorded;
                return 0;
        }
        /* Not it->dir = &it->kept: the items move when the plan grows. */
        it->kept = (ManifestDir) { .path = it->owned_path, .existed = true, .mtime = st.st_mtim };
        return 0;
}

int restore_make_plan(Restore *rs, Root *root, Plan *p) {
        _cleanup_(dir_cache_done) DirCache cache = {};
        _cleanup_(root_parent_done) RootParent parent = ROOT_PARENT_INIT;
        const Manifest *m = rs->m;
        struct stat st;
        int r;

        for (size_t i = 0; i < m->n_entries; i++) {
                const ManifestEntry *e = &m->entries[i];
                Archived *ar = &rs->archived[i];

                r = check_parents(&cache, root, e->path, rs->ret_error);
                if (r < 0)
                        return r;
                r = lstat_optional(root, &parent, e->path, &st, rs->ret_error);
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
                r = changed_since(root, &parent, e, ar->action);
                if (r < 0)
                        return restore_fail(rs->ret_error, r, "%s: %s", e->path, strerror(-r));
                p->items[p->n_items - 1].changed_since = r;
                r = plan_fileio_leftovers(p, &cache, root, e->path);
                if (r < 0)
                        return restore_fail(rs->ret_error, r, "%s: cannot list its directory: %s", e->path,
                                            strerror(-r));
        }

        /* Created directories deepest first (dirs are sorted parents first). */
        for (size_t i = m->n_dirs; i > 0; i--) {
                const ManifestDir *d = &m->dirs[i - 1];

                if (d->existed)
                        continue;
                r = check_parents(&cache, root, d->path, rs->ret_error);
                if (r < 0)
                        return r;
                r = lstat_optional(root, &parent, d->path, &st, rs->ret_error);
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
                r = lstat_optional(root, &parent, d->path, &st, rs->ret_error);
                if (r < 0)
                        return r;
                if (r == 0) {
                        /* Made again by the extraction: it gets its mtime back afterwards. */
                        r = plan_keep_ancestor_mtime(p, m, root, d->path);
                        if (r >= 0)
                                r = plan_add(p, RESTORE_DIR_MTIME, d->path, "directory", NULL, d);
                        if (r < 0)
                                return restore_fail(rs->ret_error, r, "%s: %s", d->path, strerror(-r));
                        continue;
                }
                if (!S_ISDIR(st.st_mode) || plan_has_dir_mtime(p, d->path))
                        continue;
                if (!dir_is_parent(m, d->path) && !plan_touches_dir(p, d->path))
                        continue;
                if (timespec_eq(st.st_mtim, d->mtime) && !plan_touches_dir(p, d->path))
                        continue;
                r = plan_add(p, RESTORE_DIR_MTIME, d->path, "directory", NULL, d);
                if (r < 0)
                        return r;
        }
        return 0;
}

int restore_visit_plan(const Plan *p, RestoreVisitor visitor, void *userdata) {
        if (!visitor)
                return 0;
        for (size_t i = 0; i < p->n_items; i++) {
                const PlanItem *it = &p->items[i];
                RestoreItem item = {
                        .action = it->action,
                        .changed_since = it->changed_since,
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

