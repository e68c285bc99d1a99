/* SPDX-License-Identifier: MIT */
#include "remedy/trusted-file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "remedy/error-line.h"
#include "remedy/fileio.h"
#include "remedy/macro.h"

static uid_t sudo_uid(void) {
        const char *s = getenv("SUDO_UID");
        char *end;

        if (!s || !*s)
                return (uid_t) -1;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno != 0 || *end || v >= (unsigned long) (uid_t) -1)
                return (uid_t) -1;
        return (uid_t) v;
}

bool trusted_owner(uid_t uid) {
        return uid == 0 || uid == getuid() || (sudo_uid() != (uid_t) -1 && uid == sudo_uid());
}

static const char *role_noun(TrustRole role) {
        return role == TRUST_PLAYBOOK ? "playbooks" : "files to install that";
}

int trusted_check_stat(const struct stat *st, const char *path, const char *what, TrustRole role, char **ret_error) {
        if (geteuid() != 0)
                return 0;
        if (!trusted_owner(st->st_uid))
                return fail(ret_error, -EPERM,
                            "%s: %s is owned by uid %u, not root; remedy runs as root and refuses %s anyone else "
                            "could change (chown root %s)",
                            path, what, (unsigned) st->st_uid, role_noun(role), path);
        /* A sticky directory writable by all (/tmp) is safe to pass through: no one can rename or
         * remove an entry in it that another owns, and the next step is checked on its own. */
        if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX)))
                return fail(ret_error, -EPERM,
                            "%s: %s is writable by %s (mode %04o); remedy runs as root and refuses %s anyone else "
                            "could change (chmod go-w %s)",
                            path, what, st->st_mode & S_IWOTH ? "everyone" : "its group",
                            (unsigned) (st->st_mode & 07777), role_noun(role), path);
        return 0;
}

int trusted_check_dirs(const char *dir, TrustRole role, char **ret_error) {
        _cleanup_free_ char *real = NULL, *walked = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        if (geteuid() != 0)
                return 0;
        /* The directories the name leads to, symlinks resolved; then walked again by fd with
         * O_NOFOLLOW, so that what is checked is what the walk holds. */
        real = realpath(dir, NULL);
        if (!real) {
                r = negative_errno();
                return fail(ret_error, r, "%s: %s", dir, strerror(-r));
        }
        fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        walked = strdup("/");
        if (!walked)
                return -ENOMEM;

        for (const char *p = real;;) {
                if (fstat(fd, &st) < 0)
                        return negative_errno();
                r = trusted_check_stat(&st, walked, "a directory on the path", role, ret_error);
                if (r < 0)
                        return r;

                p += strspn(p, "/");
                if (!*p)
                        return 0;
                size_t n = strcspn(p, "/");
                _cleanup_free_ char *name = strndup(p, n);
                if (!name)
                        return -ENOMEM;
                int next = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0) {
                        r = negative_errno();
                        return fail(ret_error, r, "%s: %s", real, strerror(-r));
                }
                close(fd);
                fd = next;
                char *longer = path_join(walked, name);
                if (!longer)
                        return -ENOMEM;
                free(walked);
                walked = longer;
                p += n;
        }
}

int trusted_file_open(const char *path, TrustRole role, char **ret_error) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *slash = strrchr(path, '/');
        struct stat st;
        int r;

        dir = slash ? strndup(path, slash == path ? 1 : (size_t) (slash - path)) : strdup(".");
        if (!dir)
                return -ENOMEM;
        r = trusted_check_dirs(dir, role, ret_error);
        if (r < 0)
                return r;

        /* O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW: the file checked is
         * the file named. */
        fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0) {
                r = negative_errno();
                if (r == -ELOOP)
                        return fail(ret_error, r, "%s: is a symlink; name the file itself", path);
                return fail(ret_error, r, "%s: %s", path, strerror(-r));
        }
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return fail(ret_error, -EINVAL, "%s: not a regular file", path);
        r = trusted_check_stat(&st, path, "the file", role, ret_error);
        if (r < 0)
                return r;
        return TAKE_FD(fd);
}
