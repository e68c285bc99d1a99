/* SPDX-License-Identifier: MIT */
/*
 * txn_create(): archives every path a transaction will touch and writes its manifest.
 *
 * Each file is read through the Root: its parent directory is opened refusing symlinks
 * (root_parent_get(), once for the paths of one directory: they come sorted), the file itself with
 * O_NOFOLLOW relative to that directory, and libarchive's archive_read_disk_entry_from_file() takes
 * owner, mode, times, xattrs and ACLs from that fd (libarchive 3.6's Linux code reads them all by
 * fd when it has one: acl_get_fd(), fgetxattr(), flistxattr()). For a symlink there is no fd to
 * read xattrs from, so libarchive gets its name relative to the parent directory, which is made
 * the working directory for that call.
 */
#include "remedy/backup.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "remedy/fileio.h"
#include "remedy/strv.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct archive *, archive_write_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct archive *, archive_read_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct archive_entry *, archive_entry_free);

#define ZSTD_LEVEL "3"

/* Streams fd into the archive entry and hashes it on the way. The size must match the header:
 * a file that changes while it is archived would otherwise be padded or cut silently. */
static int write_file_data(struct archive *a, int fd, int64_t size, char ret_sha256[static SHA256_HEX_SIZE]) {
        _cleanup_(sha256_freep) Sha256 *h = NULL;
        char buf[65536];
        int64_t total = 0;
        int r;

        if ((r = sha256_new(&h)) < 0)
                return r;
        for (;;) {
                ssize_t k = loop_read(fd, buf, sizeof buf);
                if (k < 0)
                        return (int) k;
                total += k;
                if (total > size)
                        return -EAGAIN;
                if ((r = sha256_update(h, buf, (size_t) k)) < 0)
                        return r;
                if (archive_write_data(a, buf, (size_t) k) != k)
                        return -EIO;
                if ((size_t) k < sizeof buf)   /* loop_read() stops short only at end of file */
                        break;
        }
        if (total != size)
                return -EAGAIN;
        return sha256_final_hex(h, ret_sha256);
}

typedef struct ArchiveContext {
        Root *root;
        struct archive *writer;
        struct archive *disk;
        RootParent parent;
} ArchiveContext;

static void archive_context_done(ArchiveContext *c) {
        root_parent_done(&c->parent);
}

/* Archives one node path, filling in what it was before the transaction. */
static int archive_path(ArchiveContext *c, const char *path, ManifestEntry *e) {
        _cleanup_(archive_entry_freep) struct archive_entry *entry = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *base;
        struct stat st;
        int r;

        e->sha256[0] = 0;
        int parent_fd = root_parent_get(&c->parent, c->root, path, false, &base);
        if (parent_fd == -ENOENT)
                goto absent;
        if (parent_fd < 0)
                return parent_fd;
        if (fstatat(parent_fd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                        goto absent;
                return -errno;
        }

        if (S_ISDIR(st.st_mode))
                return -EEXIST;
        if (S_ISREG(st.st_mode)) {
                struct stat st2;

                fd = openat(parent_fd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
                if (fd < 0)
                        return -errno;
                if (fstat(fd, &st2) < 0)
                        return -errno;
                if (st2.st_dev != st.st_dev || st2.st_ino != st.st_ino)
                        return -EAGAIN;   /* replaced between lstat and open */
                st = st2;
        } else if (!S_ISLNK(st.st_mode))
                return -EOPNOTSUPP;   /* devices, fifos, sockets: not configuration */

        entry = archive_entry_new();
        if (!entry)
                return -ENOMEM;
        archive_entry_copy_pathname(entry, path + 1);   /* archive names are relative */
        archive_entry_copy_sourcepath(entry, base);
        if (fd < 0 && fchdir(parent_fd) < 0)
                return -errno;
        r = archive_read_disk_entry_from_file(c->disk, entry, fd, &st);
        /* A warning means lost metadata (an xattr or ACL that could not be read): a backup that
         * cannot restore the file as it was is not a backup. */
        if (r != ARCHIVE_OK)
                return -EIO;
        archive_entry_sparse_clear(entry);
        archive_entry_copy_sourcepath(entry, NULL);

        if (archive_write_header(c->writer, entry) != ARCHIVE_OK)
                return -EIO;
        if (fd >= 0) {
                r = write_file_data(c->writer, fd, st.st_size, e->sha256);
                if (r < 0)
                        return r;
        }
        if (archive_write_finish_entry(c->writer) != ARCHIVE_OK)
                return -EIO;

        e->existed = true;
        e->kind = strdup(fd >= 0 ? "file" : "symlink");
        return e->kind ? 0 : -ENOMEM;

absent:
        e->existed = false;
        e->kind = strdup("absent");
        return e->kind ? 0 : -ENOMEM;
}

static bool dirs_has(const Manifest *m, const char *path) {
        for (size_t i = 0; i < m->n_dirs; i++)
                if (streq(m->dirs[i].path, path))
                        return true;
        return false;
}

static int dirs_add(Manifest *m, const char *path, bool existed, const struct timespec *mtime) {
        ManifestDir *dirs;

        if (dirs_has(m, path))
                return 0;
        dirs = realloc(m->dirs, sizeof(ManifestDir) * (m->n_dirs + 1));
        if (!dirs)
                return -ENOMEM;
        m->dirs = dirs;
        dirs[m->n_dirs] = (ManifestDir) {
                .path = strdup(path),
                .existed = existed,
                .mtime = existed ? *mtime : (struct timespec) {},
        };
        if (!dirs[m->n_dirs].path)
                return -ENOMEM;
        m->n_dirs++;
        return 0;
}

/* Records every ancestor of path: the missing ones, which the transaction may create, and the
 * existing ones with their mtimes. The transaction changes only the mtimes of the parents (of
 * path, or of the first directory it creates); the ancestors above are for the rollback of a
 * rollback, which may make a directory again that the rollback removed, and puts its parent's
 * mtime back. */
static int record_parent_dirs(Root *root, Manifest *m, const char *path) {
        _cleanup_free_ char *dir = path_dirname(path);

        if (!dir)
                return -ENOMEM;
        for (;;) {
                struct stat st;
                int r;

                /* Recorded for an earlier path, and so were all its ancestors. */
                if (dirs_has(m, dir))
                        return 0;
                r = root_lstat(root, dir, &st);
                if (r < 0 && r != -ENOENT)
                        return r;
                if (r >= 0 && !S_ISDIR(st.st_mode))
                        return -ENOTDIR;
                r = r >= 0 ? dirs_add(m, dir, true, &st.st_mtim) : dirs_add(m, dir, false, NULL);
                if (r < 0)
                        return r;
                if (streq(dir, "/"))
                        return 0;

                char *up = path_dirname(dir);
                if (!up)
                        return -ENOMEM;
                free(dir);
                dir = up;
        }
}

static int cmp_dirs(const void *a, const void *b) {
        return strcmp(((const ManifestDir *) a)->path, ((const ManifestDir *) b)->path);
}

/* IDs sort by time: UTC to the second, then the microseconds in hex, bumped on collision. */
static int make_id(const struct timespec *ts, unsigned long bump, char **ret) {
        struct tm tm;
        char stamp[32];

        if (!gmtime_r(&ts->tv_sec, &tm) || strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm) == 0)
                return -EINVAL;
        return asprintf(ret, "%s-%06lx", stamp, (unsigned long) (ts->tv_nsec / 1000) + bump) < 0 ? -ENOMEM : 0;
}

/* Gives the anonymous archive file its final name under a new ID; linkat never replaces. */
static int link_archive(int store_fd, int fd, char **ret_id) {
        struct timespec ts;

        if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
                return -errno;
        for (unsigned long bump = 0; bump < 4096; bump++) {
                _cleanup_free_ char *id = NULL, *archive_name = NULL, *manifest_name = NULL, *proc = NULL;
                int r;

                r = make_id(&ts, bump, &id);
                if (r < 0)
                        return r;
                if (asprintf(&archive_name, "%s" TXN_ARCHIVE_SUFFIX, id) < 0 ||
                    asprintf(&manifest_name, "%s" TXN_MANIFEST_SUFFIX, id) < 0 ||
                    asprintf(&proc, "/proc/self/fd/%d", fd) < 0)
                        return -ENOMEM;
                if (faccessat(store_fd, manifest_name, F_OK, AT_SYMLINK_NOFOLLOW) >= 0)
                        continue;
                if (linkat(fd, "", store_fd, archive_name, AT_EMPTY_PATH) < 0) {
                        if (errno == EEXIST)
                                continue;
                        /* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; /proc works without it. */
                        if (errno != ENOENT && errno != EPERM)
                                return -errno;
                        if (linkat(AT_FDCWD, proc, store_fd, archive_name, AT_SYMLINK_FOLLOW) < 0) {
                                if (errno == EEXIST)
                                        continue;
                                return -errno;
                        }
                }
                *ret_id = TAKE_PTR(id);
                return 0;
        }
        return -EEXIST;
}

static int fill_info(Manifest *m, const TxnInfo *info) {
        char host[256] = "";
        int r;

        (void) gethostname(host, sizeof host - 1);
        m->format = MANIFEST_FORMAT;
        m->state = TXN_PREPARED;
        m->host = strdup(host);
        m->remedy_version = strdup(strempty(info->remedy_version));
        r = path_normalize(info->root_path ?: "/", &m->root);
        if (r < 0)
                return r;
        m->command = strdup(strempty(info->command));
        m->journal_cursor = info->journal_cursor ? strdup(info->journal_cursor) : NULL;
        if (!m->host || !m->remedy_version || !m->command || (info->journal_cursor && !m->journal_cursor))
                return -ENOMEM;

        m->playbooks = info->n_playbooks > 0 ? calloc(info->n_playbooks, sizeof(ManifestPlaybook)) : NULL;
        if (info->n_playbooks > 0 && !m->playbooks)
                return -ENOMEM;
        m->n_playbooks = info->n_playbooks;
        for (size_t i = 0; i < info->n_playbooks; i++) {
                const TxnPlaybookInfo *pi = &info->playbooks[i];
                ManifestPlaybook *p = &m->playbooks[i];

                if (!pi->name || strv_length(pi->param_names) != strv_length(pi->param_values))
                        return -EINVAL;
                p->name = strdup(pi->name);
                p->path = strdup(strempty(pi->path));
                p->param_names = strv_copy(pi->param_names);
                p->param_values = strv_copy(pi->param_values);
                if (!p->name || !p->path || !p->param_names || !p->param_values)
                        return -ENOMEM;
                if (strlen(strempty(pi->sha256)) != SHA256_HEX_SIZE - 1)
                        return -EINVAL;
                strcpy(p->sha256, pi->sha256);
        }
        return 0;
}

static int collect_paths(Root *root, char * const *paths, char ***ret) {
        _cleanup_strv_free_ char **unique = NULL;
        size_t n_unique = 0;
        int r;

        _cleanup_(resolved_dir_done) ResolvedDir resolved = {};

        STRV_FOREACH(p, paths) {
                _cleanup_free_ char *normalized = NULL, *canonical = NULL;

                r = path_normalize(*p, &normalized);
                if (r < 0)
                        return r;
                if (!streq(normalized, *p) || streq(*p, "/"))
                        return -EINVAL;
                /* A symlink among the parents would make rollback write somewhere else. */
                r = root_canonicalize_via_dir(root, &resolved, *p, false, &canonical);
                if (r < 0)
                        return r;
                if (!streq(canonical, *p))
                        return -EINVAL;
                r = strv_extend_with_size(&unique, &n_unique, *p);
                if (r < 0)
                        return r;
        }
        /* Sorted, then each path once: no quadratic search over ten thousand paths. */
        strv_sort(unique);
        size_t n = 0;
        STRV_FOREACH(p, unique) {
                if (n > 0 && streq(unique[n - 1], *p))
                        free(*p);
                else
                        unique[n++] = *p;
        }
        if (unique)
                unique[n] = NULL;
        *ret = TAKE_PTR(unique);
        return 0;
}

static int write_archive(Root *root, int fd, Manifest *m, char * const *paths) {
        _cleanup_(archive_write_freep) struct archive *writer = archive_write_new();
        _cleanup_(archive_read_freep) struct archive *disk = archive_read_disk_new();
        _cleanup_(cwd_restorep) int cwd_fd = -EBADF;
        _cleanup_(archive_context_done) ArchiveContext c = { .parent = ROOT_PARENT_INIT };
        int r;

        if (!writer || !disk)
                return -ENOMEM;
        /* No user/group name lookup: owners are stored and restored as numbers, which is what
         * is right for a node mounted with --root, whose names the host may not know. */
        /* hdrcharset=BINARY: a node path is bytes, not necessarily UTF-8 (a Latin-1 file name);
         * pax would otherwise fail to convert it and the backup, and so the apply, would fail. */
        if (archive_write_set_format_pax(writer) != ARCHIVE_OK ||
            archive_write_set_format_option(writer, "pax", "hdrcharset", "BINARY") != ARCHIVE_OK ||
            archive_write_add_filter_zstd(writer) != ARCHIVE_OK ||
            archive_write_set_filter_option(writer, "zstd", "compression-level", ZSTD_LEVEL) != ARCHIVE_OK ||
            archive_write_open_fd(writer, fd) != ARCHIVE_OK)
                return -EIO;
        /* No sparse probe (six lseek() a file): the entry's sparse map is cleared anyway, a
         * file is archived and restored whole. */
        if (archive_read_disk_set_symlink_physical(disk) != ARCHIVE_OK ||
            archive_read_disk_set_behavior(disk, ARCHIVE_READDISK_NO_SPARSE) != ARCHIVE_OK)
                return -EIO;

        cwd_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cwd_fd < 0)
                return -errno;

        c.root = root;
        c.writer = writer;
        c.disk = disk;
        m->entries = calloc(strv_length(paths) + 1, sizeof(ManifestEntry));
        if (!m->entries)
                return -ENOMEM;
        STRV_FOREACH(p, paths) {
                ManifestEntry *e = &m->entries[m->n_entries++];

                e->path = strdup(*p);
                if (!e->path)
                        return -ENOMEM;
                r = archive_path(&c, *p, e);
                if (r < 0)
                        return r;
                r = record_parent_dirs(root, m, *p);
                if (r < 0)
                        return r;
        }
        if (m->n_dirs > 1)
                qsort(m->dirs, m->n_dirs, sizeof(ManifestDir), cmp_dirs);   /* parents first */

        if (archive_write_close(writer) != ARCHIVE_OK)
                return -EIO;
        return 0;
}

/* The archive while it is written: a file with no name, or, where the store's file system has no
 * O_TMPFILE (9p, NFS, overlayfs before Linux 6.6), a hidden one that the store's listing skips and
 * that is unlinked once the archive has its real name or the attempt fails. systemd's
 * open_tmpfile_linkable() falls back the same way. */
typedef struct ArchiveTmp {
        int store_fd;
        char *name;   /* NULL for an O_TMPFILE */
} ArchiveTmp;

static void archive_tmp_done(ArchiveTmp *t) {
        if (t->name)
                (void) unlinkat(t->store_fd, t->name, 0);
        free(t->name);
        t->name = NULL;
}

static int archive_tmp_open(int store_fd, ArchiveTmp *t) {
        int fd;

        *t = (ArchiveTmp) { .store_fd = store_fd };
        fd = openat(store_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd >= 0)
                return fd;
        if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
                return -errno;
        for (unsigned tries = 0; tries < 64; tries++) {
                _cleanup_free_ char *name = NULL;
                uint64_t nonce;
                if (getrandom(&nonce, sizeof nonce, 0) != (ssize_t) sizeof nonce)
                        return -EIO;
                if (asprintf(&name, ".archive-%016" PRIx64 ".tmp", nonce) < 0)
                        return -ENOMEM;
                fd = openat(store_fd, name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (fd >= 0) {
                        t->name = TAKE_PTR(name);
                        return fd;
                }
                if (errno != EEXIST)
                        return -errno;
        }
        return -EEXIST;
}

int txn_create(BackupStore *s, Root *root, const TxnInfo *info, char * const *paths, Manifest **ret) {
        _cleanup_(manifest_freep) Manifest *m = NULL;
        _cleanup_strv_free_ char **unique = NULL;
        _cleanup_(archive_tmp_done) ArchiveTmp tmp = {};
        _cleanup_close_ int fd = -EBADF;
        int store_fd = backup_store_fd(s);
        struct stat st;
        int r;

        if (!s || !root || !info || !ret)
                return -EINVAL;

        r = collect_paths(root, paths, &unique);
        if (r < 0)
                return r;

        m = calloc(1, sizeof(Manifest));
        if (!m)
                return -ENOMEM;
        r = fill_info(m, info);
        if (r < 0)
                return r;

        /* Unnamed until complete and fsync'd: a crash leaves no half-written archive behind. */
        fd = archive_tmp_open(store_fd, &tmp);
        if (fd < 0)
                return fd;
        r = write_archive(root, fd, m, unique);
        if (r < 0)
                return r;
        if (fchmod(fd, 0600) < 0 || fsync(fd) < 0 || fstat(fd, &st) < 0 || lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        m->archive_size = (uint64_t) st.st_size;
        r = sha256_fd_hex(fd, m->archive_sha256);
        if (r < 0)
                return r;

        r = link_archive(store_fd, fd, &m->id);
        if (r < 0)
                return r;
        if (asprintf(&m->archive, "%s" TXN_ARCHIVE_SUFFIX, m->id) < 0) {
                m->archive = NULL;
                r = -ENOMEM;
        } else
                r = backup_store_save(s, m);   /* fsyncs the store, which holds the new link too */
        if (r < 0) {
                _cleanup_free_ char *name = NULL;
                if (asprintf(&name, "%s" TXN_ARCHIVE_SUFFIX, m->id) >= 0)
                        (void) unlinkat(store_fd, name, 0);
                return r;
        }

        *ret = TAKE_PTR(m);
        return 0;
}
