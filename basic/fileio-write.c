/* SPDX-License-Identifier: MIT */
/*
 * Changing a node's tree through a Root: parents created one directory at a time without
 * following symlinks; files and symlinks replaced atomically (a temporary name beside the target,
 * fsync, rename, fsync of the directory), a file keeping the old one's xattrs and, unless
 * WriteOptions sets them, its owner and mode; unlink and rmdir made durable the same way.
 * fileio.c opens and reads.
 */
#include "remedy/fileio.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "fileio-internal.h"

#define TEMP_RANDOM_DIGITS 16   /* a uint64_t in hex, zero-padded */

static int make_temp_name(const char *base, char **ret) {
        uint64_t rnd;
        if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
                return negative_errno();
        /* Hidden and marked as remedy's, so a crash leaves an obvious leftover that no service
         * reading *.conf or *.toml picks up. */
        return asprintf(ret, REMEDY_TEMP_PREFIX "%s.%0*llx", base, TEMP_RANDOM_DIGITS, (unsigned long long) rnd) < 0
                ? -ENOMEM : 0;
}

bool fileio_is_temp_name(const char *name, const char *basename) {
        const char *rest = startswith(name, REMEDY_TEMP_PREFIX);

        if (!rest || !(rest = startswith(rest, basename)) || *rest != '.' || strlen(rest + 1) != TEMP_RANDOM_DIGITS)
                return false;
        return strspn(rest + 1, "0123456789abcdef") == TEMP_RANDOM_DIGITS;
}

int root_fsync_dir(Root *r, const char *path) {
        _cleanup_close_ int fd = open_canonical_dir(r, path);
        if (fd < 0)
                return fd;
        return fsync(fd) < 0 ? negative_errno() : 0;
}

int root_mkdir_parents(Root *r, const char *path) {
        _cleanup_free_ char *dir = path_dirname(path);
        _cleanup_close_ int pfd = -EBADF;
        int created = 0;

        if (!dir)
                return -ENOMEM;
        pfd = open_canonical_dir(r, "/");
        if (pfd < 0)
                return pfd;

        const char *p = dir;
        while (*p) {
                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                const char *e = strchrnul(p, '/');
                _cleanup_free_ char *name = strndup(p, (size_t) (e - p));
                if (!name)
                        return -ENOMEM;

                if (mkdirat(pfd, name, 0755) == 0) {
                        created++;
                        if (fsync(pfd) < 0)
                                return negative_errno();
                } else if (errno != EEXIST)
                        return negative_errno();

                /* O_NOFOLLOW: an existing symlink in place of a directory is refused, not entered. */
                int nfd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (nfd < 0)
                        return negative_errno();
                close(pfd);
                pfd = nfd;
                p = e;
        }
        return created;
}

/* What replacing path atomically starts with: its parents created, its canonical parent opened
 * (returned), its current state, and a fresh temporary name beside it. A directory is refused. */
static int prepare_replace(Root *r, const char *path, const char **ret_base, struct stat *ret_st, bool *ret_exists,
                           char **ret_tmp) {
        _cleanup_close_ int pfd = -EBADF;
        int k;

        if ((k = root_mkdir_parents(r, path)) < 0)
                return k;
        pfd = root_open_parent(r, path, ret_base);
        if (pfd < 0)
                return pfd;
        *ret_exists = fstatat(pfd, *ret_base, ret_st, AT_SYMLINK_NOFOLLOW) == 0;
        if (!*ret_exists && errno != ENOENT)
                return negative_errno();
        if (*ret_exists && S_ISDIR(ret_st->st_mode))
                return -EISDIR;
        if ((k = make_temp_name(*ret_base, ret_tmp)) < 0)
                return k;
        return TAKE_FD(pfd);
}

int root_write_file_atomic(Root *r, const char *path, const void *data, size_t size, const WriteOptions *options) {
        WriteOptions o = options ? *options : WRITE_OPTIONS_KEEP;
        _cleanup_close_ int pfd = -EBADF, tfd = -EBADF, old = -EBADF;
        _cleanup_free_ char *tmp = NULL;
        const char *base;
        struct stat st;
        bool exists;
        int k;

        pfd = prepare_replace(r, path, &base, &st, &exists, &tmp);
        if (pfd < 0)
                return pfd;
        if (exists && S_ISREG(st.st_mode)) {
                old = openat(pfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
                if (old < 0)
                        return negative_errno();
        }

        uid_t uid = o.uid != (uid_t) -1 ? o.uid : old >= 0 ? st.st_uid : 0;
        gid_t gid = o.gid != (gid_t) -1 ? o.gid : old >= 0 ? st.st_gid : 0;
        mode_t mode = o.mode != (mode_t) -1 ? o.mode : old >= 0 ? (st.st_mode & 07777) : 0644;

        tfd = openat(pfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (tfd < 0)
                return negative_errno();

        if ((k = loop_write(tfd, data, size)) < 0)
                goto fail;
        /* chown before chmod: chown clears set-id bits. */
        if (fchown(tfd, uid, gid) < 0 || fchmod(tfd, mode) < 0) {
                k = negative_errno();
                goto fail;
        }
        /* The ACL and the SELinux label are xattrs: the replacement keeps them. */
        if (old >= 0 && (k = fd_copy_xattrs(old, tfd)) < 0)
                goto fail;
        if (o.mode != (mode_t) -1 && fchmod(tfd, mode) < 0) {
                k = negative_errno();
                goto fail;
        }
        if (fsync(tfd) < 0 || renameat(pfd, tmp, pfd, base) < 0) {
                k = negative_errno();
                goto fail;
        }
        if (fsync(pfd) < 0)
                return negative_errno();
        return 0;

fail:
        (void) unlinkat(pfd, tmp, 0);
        return k;
}

int root_symlink_atomic(Root *r, const char *path, const char *target) {
        _cleanup_close_ int pfd = -EBADF;
        _cleanup_free_ char *tmp = NULL;
        const char *base;
        struct stat st;
        bool exists;
        int k;

        pfd = prepare_replace(r, path, &base, &st, &exists, &tmp);
        if (pfd < 0)
                return pfd;
        if (symlinkat(target, pfd, tmp) < 0)
                return negative_errno();
        if (renameat(pfd, tmp, pfd, base) < 0) {
                k = negative_errno();
                (void) unlinkat(pfd, tmp, 0);
                return k;
        }
        return fsync(pfd) < 0 ? negative_errno() : 0;
}

/* unlinkat() in the canonical parent, then fsync of it: 0 when nothing was there, 1 removed. */
static int unlink_in_parent(Root *r, const char *path, int flags, bool sync) {
        _cleanup_close_ int pfd = -EBADF;
        const char *base;

        pfd = root_open_parent(r, path, &base);
        if (pfd == -ENOENT)
                return 0;
        if (pfd < 0)
                return pfd;
        if (unlinkat(pfd, base, flags) < 0)
                return errno == ENOENT ? 0 : errno == EEXIST ? -ENOTEMPTY : negative_errno();
        if (sync && fsync(pfd) < 0)
                return negative_errno();
        return 1;
}

int root_unlink(Root *r, const char *path) {
        return unlink_in_parent(r, path, 0, true);
}

int root_unlink_unsynced(Root *r, const char *path) {
        return unlink_in_parent(r, path, 0, false);
}

int root_rmdir(Root *r, const char *path) {
        return unlink_in_parent(r, path, AT_REMOVEDIR, true);
}

void root_parent_done(RootParent *p) {
        free(p->path);
        if (p->fd >= 0)
                (void) close(p->fd);
        *p = ROOT_PARENT_INIT;
}

static int parent_get(RootParent *p, Root *r, const char *path, bool make_parents, bool in_root,
                      const char **ret_basename) {
        if (streq(path, "/"))
                return -EINVAL;
        _cleanup_free_ char *dir = path_dirname(path);
        int k;

        if (!dir)
                return -ENOMEM;
        *ret_basename = path_basename(path);
        if (p->fd >= 0 && p->in_root == in_root && streq(p->path, dir))
                return p->fd;

        root_parent_done(p);
        if (make_parents && (k = root_mkdir_parents(r, path)) < 0)
                return k;
        int fd = in_root ? root_open_file(r, dir, O_PATH | O_DIRECTORY, 0) : open_canonical_dir(r, dir);
        if (fd < 0)
                return fd;
        p->fd = fd;
        p->in_root = in_root;
        p->path = TAKE_PTR(dir);
        return fd;
}

int root_parent_get(RootParent *p, Root *r, const char *path, bool make_parents, const char **ret_basename) {
        return parent_get(p, r, path, make_parents, false, ret_basename);
}

int root_parent_get_in_root(RootParent *p, Root *r, const char *path, const char **ret_basename) {
        return parent_get(p, r, path, false, true, ret_basename);
}
