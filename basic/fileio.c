/* SPDX-License-Identifier: MIT */
/*
 * The Root: a node's tree opened once as a directory fd, with every path resolved inside it
 * (openat2 RESOLVE_IN_ROOT, or RESOLVE_BENEATH with no symlinks for canonical paths); lstat,
 * readlink and canonicalisation through it, and reading files and directories, with the plain fd
 * loops the rest of the layer uses. Changing the tree (atomic replace, mkdir, unlink) is
 * fileio-write.c.
 */
#include "remedy/fileio.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/xattr.h>

#include "fileio-internal.h"
#include "remedy/strv.h"

/* Symlinks followed while canonicalising one path, as the kernel's MAXSYMLINKS. */
#define SYMLINK_MAX 40

static int openat2_wrapper(int dirfd, const char *path, uint64_t flags, mode_t mode, uint64_t resolve) {
        struct open_how how = {
                .flags = flags | O_CLOEXEC,
                .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
                .resolve = resolve,
        };
        int fd;

        do
                fd = (int) syscall(SYS_openat2, dirfd, path, &how, sizeof how);
        while (fd < 0 && errno == EAGAIN);   /* RESOLVE_IN_ROOT retries on concurrent renames */
        return fd < 0 ? negative_errno() : fd;
}

/* "/etc/x" -> "etc/x"; "/" -> "." */
static const char *node_relative(const char *path) {
        while (*path == '/')
                path++;
        return *path ? path : ".";
}

int root_open(const char *path, Root **ret) {
        _cleanup_free_ char *real = realpath(path, NULL);
        if (!real)
                return negative_errno();

        int fd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();

        Root *r = calloc(1, sizeof(Root));
        if (!r) {
                close(fd);
                return -ENOMEM;
        }
        r->fd = fd;
        r->path = TAKE_PTR(real);
        *ret = r;
        return 0;
}

Root *root_free(Root *r) {
        if (!r)
                return NULL;
        if (r->fd >= 0)
                close(r->fd);
        if (r->rpm_packages_free)
                r->rpm_packages_free(r->rpm_packages);
        free(r->path);
        free(r);
        return NULL;
}

bool root_is_host(const Root *r) {
        return streq(r->path, "/");
}

char *root_display_path(const Root *r, const char *path) {
        if (root_is_host(r))
                return strdup(path);
        return path_join(r->path, path);
}

int root_open_file(Root *r, const char *path, int flags, mode_t mode) {
        return openat2_wrapper(r->fd, node_relative(path), (uint64_t) flags, mode,
                               RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

int open_canonical_dir(Root *r, const char *dir) {
        return openat2_wrapper(r->fd, node_relative(dir), O_RDONLY | O_DIRECTORY, 0,
                               RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
}

int root_open_parent(Root *r, const char *path, const char **ret_basename) {
        if (streq(path, "/"))
                return -EINVAL;
        _cleanup_free_ char *dir = path_dirname(path);
        if (!dir)
                return -ENOMEM;
        int fd = open_canonical_dir(r, dir);
        if (fd >= 0 && ret_basename)
                *ret_basename = path_basename(path);
        return fd;
}

/* The parent directory of path through RESOLVE_IN_ROOT (any symlinks resolve inside), O_PATH. */
static int open_parent_in_root(Root *r, const char *path) {
        _cleanup_free_ char *dir = path_dirname(path);
        if (!dir)
                return -ENOMEM;
        return root_open_file(r, dir, O_PATH | O_DIRECTORY, 0);
}

int root_lstat(Root *r, const char *path, struct stat *ret) {
        if (streq(path, "/") || streq(path, ""))
                return fstat(r->fd, ret) < 0 ? negative_errno() : 0;

        _cleanup_close_ int pfd = open_parent_in_root(r, path);
        if (pfd < 0)
                return pfd;
        if (fstatat(pfd, path_basename(path), ret, AT_SYMLINK_NOFOLLOW) < 0)
                return negative_errno();
        return 0;
}

int readlinkat_malloc(int dir_fd, const char *name, char **ret) {
        for (size_t size = 256;; size *= 2) {
                _cleanup_free_ char *buf = malloc(size);
                if (!buf)
                        return -ENOMEM;
                ssize_t n = readlinkat(dir_fd, name, buf, size);
                if (n < 0)
                        return negative_errno();
                if ((size_t) n < size) {
                        buf[n] = 0;
                        *ret = TAKE_PTR(buf);
                        return 0;
                }
                if (size > 65536)
                        return -ENAMETOOLONG;
        }
}

int root_readlink(Root *r, const char *path, char **ret) {
        _cleanup_close_ int pfd = open_parent_in_root(r, path);
        if (pfd < 0)
                return pfd;
        return readlinkat_malloc(pfd, path_basename(path), ret);
}

/* Splits a path into its components (empty and "." dropped; ".." kept). */
static int split_components(const char *path, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        const char *p = path;
        while (*p) {
                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                const char *e = strchrnul(p, '/');
                size_t len = (size_t) (e - p);
                if (!(len == 1 && p[0] == '.')) {
                        int r = strv_consume(&l, strndup(p, len));
                        if (r < 0)
                                return r;
                }
                p = e;
        }
        /* "/" has no components: an empty list, never NULL, so callers can index it. */
        if (!l && !(l = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}

/* Prepends components to the pending queue (which is consumed from index *pos onwards). */
static int queue_prepend(char ***queue, size_t *pos, char **front) {
        _cleanup_strv_free_ char **n = NULL;
        int r;
        STRV_FOREACH(s, front)
                if ((r = strv_extend(&n, *s)) < 0)
                        return r;
        for (char **s = *queue + *pos; *s; s++)
                if ((r = strv_extend(&n, *s)) < 0)
                        return r;
        strv_free(*queue);
        *queue = TAKE_PTR(n);
        *pos = 0;
        return 0;
}

int root_canonicalize(Root *r, const char *path, bool follow_final, char **ret) {
        _cleanup_free_ char *normal = NULL;
        _cleanup_strv_free_ char **queue = NULL;
        _cleanup_free_ char *canon = strdup("/");
        size_t pos = 0;
        unsigned followed = 0;
        int k;

        if (!canon)
                return -ENOMEM;
        if ((k = path_normalize(path, &normal)) < 0)
                return k;
        if ((k = split_components(normal, &queue)) < 0)
                return k;

        /* Resolve like RESOLVE_IN_ROOT: ".." never climbs above the root and absolute symlink
         * targets start again at the root. */
        while (queue[pos]) {
                const char *c = queue[pos++];

                if (streq(c, "..")) {
                        char *up = path_dirname(canon);
                        if (!up)
                                return -ENOMEM;
                        free(canon);
                        canon = up;
                        continue;
                }

                _cleanup_free_ char *candidate = path_join(canon, c);
                if (!candidate)
                        return -ENOMEM;

                struct stat st;
                k = root_lstat(r, candidate, &st);
                if (k == -ENOENT || k == -ENOTDIR) {
                        /* Nothing more exists: the rest is taken literally (it has no ".." since
                         * it came from a normalised path or a link target we could not follow). */
                        free(canon);
                        canon = TAKE_PTR(candidate);
                        for (; queue[pos]; pos++) {
                                if (streq(queue[pos], ".."))
                                        return -ENOENT;
                                char *n = path_join(canon, queue[pos]);
                                if (!n)
                                        return -ENOMEM;
                                free(canon);
                                canon = n;
                        }
                        break;
                }
                if (k < 0)
                        return k;

                if (S_ISLNK(st.st_mode) && (queue[pos] || follow_final)) {
                        _cleanup_free_ char *target = NULL;
                        _cleanup_strv_free_ char **parts = NULL;

                        if (++followed > SYMLINK_MAX)
                                return -ELOOP;
                        if ((k = root_readlink(r, candidate, &target)) < 0)
                                return k;
                        if ((k = split_components(target, &parts)) < 0)
                                return k;
                        if (target[0] == '/') {
                                free(canon);
                                canon = strdup("/");
                                if (!canon)
                                        return -ENOMEM;
                        }
                        if ((k = queue_prepend(&queue, &pos, parts)) < 0)
                                return k;
                        continue;
                }

                free(canon);
                canon = TAKE_PTR(candidate);
        }

        *ret = TAKE_PTR(canon);
        return 0;
}

void resolved_dir_done(ResolvedDir *d) {
        free(d->path);
        free(d->canonical);
        *d = (ResolvedDir) {};
}

/* The path is its resolved parent and its last component, taken as it is unless follow_final and
 * it is a symlink (then resolved in full). */
int root_canonicalize_via_dir(Root *r, ResolvedDir *d, const char *path, bool follow_final, char **ret) {
        _cleanup_free_ char *normal = NULL, *dir = NULL, *candidate = NULL;
        int k;

        if ((k = path_normalize(path, &normal)) < 0 || !streq(normal, path) || streq(path, "/"))
                return root_canonicalize(r, path, follow_final, ret);
        if (!(dir = path_dirname(path)))
                return -ENOMEM;
        if (!d->path || !streq(d->path, dir)) {
                _cleanup_free_ char *canonical = NULL;
                if ((k = root_canonicalize(r, dir, true, &canonical)) < 0)
                        return k;
                resolved_dir_done(d);
                d->path = TAKE_PTR(dir);
                d->canonical = TAKE_PTR(canonical);
        }
        if (!(candidate = path_join(d->canonical, path_basename(path))))
                return -ENOMEM;
        if (follow_final) {
                struct stat st;
                if (root_lstat(r, candidate, &st) >= 0 && S_ISLNK(st.st_mode))
                        return root_canonicalize(r, path, follow_final, ret);
        }
        *ret = TAKE_PTR(candidate);
        return 0;
}

ssize_t loop_read(int fd, void *buf, size_t n) {
        size_t done = 0;
        while (done < n) {
                ssize_t k = read(fd, (char *) buf + done, n - done);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        break;
                done += (size_t) k;
        }
        return (ssize_t) done;
}

int loop_write(int fd, const void *buf, size_t n) {
        const char *p = buf;
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

int read_full_fd(int fd, size_t max, char **ret_data, size_t *ret_size) {
        size_t cap = 4096, n = 0;
        _cleanup_free_ char *buf = malloc(cap);
        if (!buf)
                return -ENOMEM;

        for (;;) {
                if (n + 1 >= cap) {
                        if (cap > max + 1)
                                return -EFBIG;
                        char *b = realloc(buf, cap * 2);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                        cap *= 2;
                }
                size_t want = cap - n - 1;
                ssize_t k = loop_read(fd, buf + n, want);
                if (k < 0)
                        return (int) k;
                n += (size_t) k;
                if (n > max)
                        return -EFBIG;
                /* loop_read() stops short only at end of file: no read() more to learn it again
                 * (one system call a file, ten thousand for a glob's files). */
                if ((size_t) k < want)
                        break;
        }
        buf[n] = 0;
        *ret_data = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = n;
        return 0;
}

/* What root_read_file() and read_file_at() take: a regular file of at most max bytes. */
static int read_regular_fd(int fd, size_t max, char **ret_data, size_t *ret_size) {
        struct stat st;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if ((uint64_t) st.st_size > max)
                return -EFBIG;
        return read_full_fd(fd, max, ret_data, ret_size);
}

int root_read_file(Root *r, const char *path, size_t max, char **ret_data, size_t *ret_size) {
        /* O_NONBLOCK: a FIFO planted where a config file should be must not hang us. */
        _cleanup_close_ int fd = root_open_file(r, path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
        if (fd < 0)
                return fd;
        return read_regular_fd(fd, max, ret_data, ret_size);
}

int read_file_at(int dir_fd, const char *name, size_t max, char **ret_data, size_t *ret_size) {
        _cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        return read_regular_fd(fd, max, ret_data, ret_size);
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

int root_list_dir(Root *r, const char *path, char ***ret_names) {
        int fd = root_open_file(r, path, O_RDONLY | O_DIRECTORY, 0);
        if (fd < 0)
                return fd;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return negative_errno();
        }

        _cleanup_strv_free_ char **names = NULL;
        size_t n = 0;
        struct dirent *de;
        int k = 0;
        errno = 0;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if ((k = strv_extend_with_size(&names, &n, de->d_name)) < 0)
                        break;
        }
        if (k == 0 && errno != 0)
                k = negative_errno();
        closedir(d);
        if (k < 0)
                return k;

        if (n > 1)
                qsort(names, n, sizeof(char *), cmp_str);
        if (!names) {
                names = calloc(1, sizeof(char *));
                if (!names)
                        return -ENOMEM;
        }
        *ret_names = TAKE_PTR(names);
        return 0;
}

int fd_copy_xattrs(int from, int to) {
        ssize_t n = flistxattr(from, NULL, 0);
        if (n < 0)
                return errno == ENOTSUP ? 0 : negative_errno();
        if (n == 0)
                return 0;

        _cleanup_free_ char *names = malloc((size_t) n);
        if (!names)
                return -ENOMEM;
        n = flistxattr(from, names, (size_t) n);
        if (n < 0)
                return negative_errno();

        for (char *name = names; name < names + n; name += strlen(name) + 1) {
                ssize_t vn = fgetxattr(from, name, NULL, 0);
                if (vn < 0)
                        return negative_errno();
                _cleanup_free_ char *value = malloc((size_t) vn + 1);
                if (!value)
                        return -ENOMEM;
                vn = fgetxattr(from, name, value, (size_t) vn);
                if (vn < 0)
                        return negative_errno();
                if (fsetxattr(to, name, value, (size_t) vn, 0) < 0)
                        return negative_errno();
        }
        return 0;
}
