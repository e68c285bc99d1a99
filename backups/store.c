/* SPDX-License-Identifier: MIT */
/*
 * The backup store: a 0700 directory holding ID.tar.zst and ID.json per transaction and a lock
 * file. Everything inside is opened relative to the store's directory fd with O_NOFOLLOW, so a
 * path swapped after backup_store_open() cannot redirect a read or a write. Here: opening and
 * locking the store, saving a manifest, listing, loading and pruning transactions; their states
 * and the updates of a running one are txn-update.c.
 */
#include "remedy/backup.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "config.h"
#include "remedy/fileio.h"
#include "remedy/strv.h"
#include "lock-file.h"

#define STORE_LOCK_FILE "lock"
#define STORE_MANIFEST_MAX (8U * 1024U * 1024U)

struct BackupStore {
        char *path;
        int fd;
        int lock_fd;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

BackupStore *backup_store_free(BackupStore *s) {
        if (!s)
                return NULL;
        if (s->fd >= 0)
                (void) close(s->fd);
        /* Closing the last fd of the open file description drops the OFD lock. */
        if (s->lock_fd >= 0)
                (void) close(s->lock_fd);
        free(s->path);
        free(s);
        return NULL;
}

char *backup_store_default_path(const char *root_path) {
        return root_path ? path_join(root_path, REMEDY_BACKUP_DIR) : NULL;
}

const char *backup_store_path(const BackupStore *s) {
        return s ? s->path : NULL;
}

int backup_store_fd(const BackupStore *s) {
        return s ? s->fd : -EBADF;
}

/*
 * Opens the store directory at a normalised absolute host path, making what is missing when
 * create is set (parents 0755, the store itself 0700), one component at a time by file
 * descriptor: a symlink anywhere on the way is refused (-ELOOP), never followed, and nothing is
 * made before the directory it goes in has been judged, so a path through a link (ROOT/var
 * pointing out of the root) creates nothing anywhere. Each directory is judged as
 * systemd-tmpfiles judges path transitions: none may be writable by others unless sticky (they
 * could swap what follows), and after a sticky world-writable one (/tmp) every component must be
 * ours (another user could have made it first).
 */
static int open_store_dir(const char *path, bool create) {
        _cleanup_close_ int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        bool after_sticky = false;

        if (fd < 0)
                return -errno;
        for (const char *p = path;;) {
                struct stat st;

                if (fstat(fd, &st) < 0)
                        return -errno;
                if (after_sticky && st.st_uid != geteuid())
                        return -EPERM;
                if (st.st_mode & S_IWOTH) {
                        if (!(st.st_mode & S_ISVTX))
                                return -EPERM;
                        after_sticky = true;
                }

                p += strspn(p, "/");
                if (!*p)
                        return TAKE_FD(fd);
                size_t n = strcspn(p, "/");
                _cleanup_free_ char *name = strndup(p, n);
                if (!name)
                        return -ENOMEM;
                p += n;
                if (create && mkdirat(fd, name, *p ? 0755 : 0700) < 0 && errno != EEXIST)
                        return -errno;
                if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return -errno;
                if (S_ISLNK(st.st_mode))
                        return -ELOOP;
                int next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0)
                        return -errno;
                close(fd);
                fd = next;
        }
}

int backup_store_open(const char *path, bool create, BackupStore **ret) {
        _cleanup_(backup_store_freep) BackupStore *s = NULL;
        _cleanup_free_ char *normalized = NULL;
        struct stat st;
        int r;

        if (!path || !ret)
                return -EINVAL;
        r = path_normalize(path, &normalized);
        if (r < 0)
                return r;

        s = calloc(1, sizeof(BackupStore));
        if (!s)
                return -ENOMEM;
        s->fd = s->lock_fd = -EBADF;
        s->path = TAKE_PTR(normalized);

        /* No symlink anywhere on the way: the store holds what rollback will write as root. */
        s->fd = open_store_dir(s->path, create);
        if (s->fd < 0)
                return s->fd;
        if (fstat(s->fd, &st) < 0)
                return -errno;
        if (st.st_uid != geteuid())
                return -EPERM;
        /* Someone else could have planted or edited a manifest: refused, and never chmodded
         * silently (an existing directory is someone's: /tmp made 0700 breaks a machine). */
        if ((st.st_mode & 07777) != 0700)
                return -EPERM;

        *ret = TAKE_PTR(s);
        return 0;
}

/* The hidden ".*.tmp" files a writer makes (manifests, and archives where O_TMPFILE is missing)
 * are gone once it finishes; any still there belong to a writer that died, since whoever holds the
 * lock is the only writer. They may hold copies of private keys: removed, not left to pile up. */
static void remove_stale_temporaries(BackupStore *s) {
        _cleanup_close_ int dfd = openat(s->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_(closedirp) DIR *d = NULL;
        if (dfd < 0 || !(d = fdopendir(dfd)))
                return;
        TAKE_FD(dfd);
        for (struct dirent *de; (de = readdir(d));)
                if (de->d_name[0] == '.' && !streq(de->d_name, ".") && !streq(de->d_name, "..") &&
                    endswith(de->d_name, ".tmp"))
                        (void) unlinkat(dirfd(d), de->d_name, 0);
}

int backup_store_lock(BackupStore *s, pid_t *ret_holder) {
        int r;

        if (!s)
                return -EINVAL;
        if (ret_holder)
                *ret_holder = 0;
        if (s->lock_fd >= 0)
                return 0;
        r = lock_file_take(s->fd, STORE_LOCK_FILE, NULL, &s->lock_fd, ret_holder);
        if (r < 0)
                return r;
        remove_stale_temporaries(s);
        return 0;
}

static void random_hex(char *buf, size_t n_bytes) {
        static const char digits[] = "0123456789abcdef";
        unsigned char bytes[16];

        n_bytes = MIN(n_bytes, sizeof bytes);
        /* Only for temporary names, which O_EXCL guards anyway: a weak fallback is harmless. */
        if (getrandom(bytes, n_bytes, GRND_NONBLOCK) != (ssize_t) n_bytes)
                for (size_t i = 0; i < n_bytes; i++)
                        bytes[i] = (unsigned char) (rand() ^ getpid());
        for (size_t i = 0; i < n_bytes; i++) {
                buf[2 * i] = digits[bytes[i] >> 4];
                buf[2 * i + 1] = digits[bytes[i] & 15];
        }
        buf[2 * n_bytes] = 0;
}

/* Writes name in the store atomically: temp file, fsync, rename over, fsync of the store. */
static int store_write_atomic(BackupStore *s, const char *name, const char *data, size_t size) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        char rnd[17];
        int r;

        random_hex(rnd, 8);
        if (asprintf(&tmp, ".%s.%s.tmp", name, rnd) < 0)
                return -ENOMEM;
        fd = openat(s->fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;

        r = loop_write(fd, data, size);
        if (r >= 0 && fchmod(fd, 0600) < 0)
                r = -errno;
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r >= 0 && renameat(s->fd, tmp, s->fd, name) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlinkat(s->fd, tmp, 0);
                return r;
        }
        if (fsync(s->fd) < 0)
                return -errno;
        return 0;
}

static int format_now(char **ret) {
        struct timespec ts;
        struct tm tm;
        char buf[32];

        if (clock_gettime(CLOCK_REALTIME, &ts) < 0 || !gmtime_r(&ts.tv_sec, &tm))
                return -errno;
        if (strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return -EINVAL;
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

int backup_store_save(BackupStore *s, Manifest *m) {
        _cleanup_free_ char *json = NULL, *name = NULL, *now = NULL;
        int r;

        if (!s || !m || !txn_id_is_valid(m->id))
                return -EINVAL;

        r = format_now(&now);
        if (r < 0)
                return r;
        if (!m->created) {
                m->created = strdup(now);
                if (!m->created)
                        return -ENOMEM;
        }
        free(m->updated);
        m->updated = TAKE_PTR(now);

        r = manifest_to_json(m, &json);
        if (r < 0)
                return r;
        if (asprintf(&name, "%s" TXN_MANIFEST_SUFFIX, m->id) < 0)
                return -ENOMEM;
        return store_write_atomic(s, name, json, strlen(json));
}

static int store_read_manifest(BackupStore *s, const char *id, Manifest **ret, char **ret_error) {
        _cleanup_(manifest_freep) Manifest *m = NULL;
        _cleanup_free_ char *name = NULL, *data = NULL, *reason = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        size_t size;
        int r;

        if (asprintf(&name, "%s" TXN_MANIFEST_SUFFIX, id) < 0)
                return -ENOMEM;
        fd = openat(s->fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;

        r = read_full_fd(fd, STORE_MANIFEST_MAX, &data, &size);
        if (r < 0)
                return r;
        r = manifest_from_json(data, size, &m, &reason);
        if (r >= 0 && !streq(m->id, id)) {
                free(reason);
                if (asprintf(&reason, "id: \"%s\" does not match the file name", m->id) < 0)
                        reason = NULL;
                r = -EBADMSG;
        }
        if (r < 0) {
                if (ret_error && asprintf(ret_error, "%s: %s", name, strempty(reason)) < 0)
                        *ret_error = NULL;
                return r;
        }

        *ret = TAKE_PTR(m);
        return 0;
}

/* IDs of the manifests in the store, sorted: oldest first. Temp files start with '.'. */
static int store_list_ids(BackupStore *s, char ***ret) {
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_strv_free_ char **ids = NULL;
        int fd, r;

        fd = openat(s->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                (void) close(fd);
                return r;
        }

        for (;;) {
                struct dirent *de;
                size_t len;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                return -errno;
                        break;
                }
                len = strlen(de->d_name);
                if (de->d_name[0] == '.' || !endswith(de->d_name, TXN_MANIFEST_SUFFIX))
                        continue;

                _cleanup_free_ char *id = strndup(de->d_name, len - strlen(TXN_MANIFEST_SUFFIX));
                if (!id)
                        return -ENOMEM;
                if (!txn_id_is_valid(id))
                        continue;
                r = strv_consume(&ids, TAKE_PTR(id));
                if (r < 0)
                        return r;
        }

        strv_sort(ids);
        *ret = TAKE_PTR(ids);
        return 0;
}

int backup_store_list_full(BackupStore *s, Manifest ***ret, size_t *ret_n, char **ret_error) {
        _cleanup_strv_free_ char **ids = NULL;
        Manifest **list = NULL;
        size_t n = 0;
        int r;

        if (!s || !ret || !ret_n)
                return -EINVAL;
        if (ret_error)
                *ret_error = NULL;

        r = store_list_ids(s, &ids);
        if (r < 0)
                return r;
        list = calloc(strv_length(ids) + 1, sizeof(Manifest *));
        if (!list)
                return -ENOMEM;
        STRV_FOREACH(id, ids) {
                r = store_read_manifest(s, *id, &list[n], ret_error);
                if (r < 0) {
                        manifest_list_free(list, n);
                        return r;
                }
                n++;
        }

        *ret = list;
        *ret_n = n;
        return 0;
}

int backup_store_list(BackupStore *s, Manifest ***ret, size_t *ret_n) {
        return backup_store_list_full(s, ret, ret_n, NULL);
}

int backup_store_load(BackupStore *s, const char *id, Manifest **ret, char **ret_error) {
        _cleanup_strv_free_ char **ids = NULL;
        size_t n;
        int r;

        if (!s || !ret)
                return -EINVAL;
        if (ret_error)
                *ret_error = NULL;
        if (id) {
                if (!txn_id_is_valid(id))
                        return -EINVAL;
                return store_read_manifest(s, id, ret, ret_error);
        }

        r = store_list_ids(s, &ids);
        if (r < 0)
                return r;
        n = strv_length(ids);
        if (n == 0)
                return -ENOENT;
        return store_read_manifest(s, ids[n - 1], ret, ret_error);
}

int backup_store_find_unresolved_for(BackupStore *s, const char *root_path, Manifest **ret, char **ret_error) {
        _cleanup_strv_free_ char **ids = NULL;
        size_t n;
        int r;

        if (!s || !ret)
                return -EINVAL;
        r = store_list_ids(s, &ids);
        if (r < 0)
                return r;

        n = strv_length(ids);
        for (size_t i = n; i > 0; i--) {
                _cleanup_(manifest_freep) Manifest *m = NULL;

                /* A manifest that does not parse could be an unresolved transaction: fail rather
                 * than let a new apply run over a half-changed node. */
                r = store_read_manifest(s, ids[i - 1], &m, ret_error);
                if (r < 0)
                        return r;
                if (txn_state_unresolved(m->state) && (!root_path || streq(m->root, root_path))) {
                        *ret = TAKE_PTR(m);
                        return 1;
                }
        }
        *ret = NULL;
        return 0;
}

int backup_store_find_unresolved(BackupStore *s, Manifest **ret) {
        return backup_store_find_unresolved_for(s, NULL, ret, NULL);
}

int backup_store_prune(BackupStore *s, unsigned keep, char ***ret_removed) {
        _cleanup_strv_free_ char **ids = NULL, **removed = NULL;
        size_t n;
        int r, n_removed = 0;

        if (!s)
                return -EINVAL;
        r = store_list_ids(s, &ids);
        if (r < 0)
                return r;

        n = strv_length(ids);
        for (size_t i = 0; i + keep < n; i++) {
                _cleanup_(manifest_freep) Manifest *m = NULL;
                _cleanup_free_ char *manifest_name = NULL, *archive_name = NULL;

                /* Keep what cannot be read: it may be unresolved, and an operator should look. */
                if (store_read_manifest(s, ids[i], &m, NULL) < 0 || txn_state_unresolved(m->state))
                        continue;

                if (asprintf(&manifest_name, "%s" TXN_MANIFEST_SUFFIX, ids[i]) < 0 ||
                    asprintf(&archive_name, "%s" TXN_ARCHIVE_SUFFIX, ids[i]) < 0)
                        return -ENOMEM;
                /* The manifest first: a crash in between leaves an orphan archive, never a
                 * manifest whose archive is gone. */
                if (unlinkat(s->fd, manifest_name, 0) < 0 && errno != ENOENT)
                        return -errno;
                if (unlinkat(s->fd, archive_name, 0) < 0 && errno != ENOENT)
                        return -errno;
                n_removed++;
                if (ret_removed) {
                        r = strv_extend(&removed, ids[i]);
                        if (r < 0)
                                return r;
                }
        }

        if (n_removed > 0 && fsync(s->fd) < 0)
                return -errno;
        if (ret_removed)
                *ret_removed = TAKE_PTR(removed);
        return n_removed;
}
