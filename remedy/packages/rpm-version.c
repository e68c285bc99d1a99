/* SPDX-License-Identifier: MIT */
/*
 * Installed package versions from the node's RPM database, read by rpm itself: see
 * package-version.h.
 *
 * rpm opens its sqlite database read-write even for a query: `rpm -q` creates rpmdb.sqlite-shm
 * and rpmdb.sqlite-wal beside it (measured with rpm 4.18, database and directory 0444/0555, as
 * root). remedy promises that diagnose and plan write nothing to the node, so rpm never sees the
 * node's database: rpmdb.sqlite is copied, through the root's confined open, into a private 0700
 * directory, and rpm is pointed at the copy with --dbpath, running as nobody.
 */
#include "remedy/package-version.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "remedy/exec-util.h"
#include "remedy/fileio.h"
#include "remedy/macro.h"

#define RPM_BINARY "/usr/bin/rpm"
/* Where the database is: RHEL 8/9, Rocky, Amazon Linux; Fedora 36+ and RHEL 10 moved it. */
static const char *const rpmdb_dirs[] = { "/var/lib/rpm", "/usr/lib/sysimage/rpm", NULL };

typedef struct PrivateDir {
        char path[64];
        bool made;
} PrivateDir;

static void private_dir_remove(PrivateDir *d) {
        if (!d->made)
                return;
        /* rpm leaves the database, its sqlite side files and its lock: one level, no subdirectory. */
        _cleanup_close_ int fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        static const char *const names[] = { "rpmdb.sqlite", "rpmdb.sqlite-shm", "rpmdb.sqlite-wal", ".rpm.lock", NULL };
        for (const char *const *n = names; fd >= 0 && *n; n++)
                (void) unlinkat(fd, *n, 0);
        (void) rmdir(d->path);
}

/* Copies the node's database into d. 0, -ENOENT when the node has none. */
static int copy_database(Root *root, PrivateDir *d, char **ret_source) {
        _cleanup_close_ int from = -EBADF;
        const char *dir = NULL;

        for (const char *const *p = rpmdb_dirs; *p && from < 0; p++) {
                _cleanup_free_ char *path = path_join(*p, "rpmdb.sqlite");
                if (!path)
                        return -ENOMEM;
                from = root_open_file(root, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
                if (from < 0 && from != -ENOENT && from != -ELOOP)
                        return from;
                dir = *p;
        }
        if (from < 0)
                return -ENOENT;
        struct stat st;
        if (fstat(from, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -ENOENT;

        /* Not $TMPDIR: rpm runs as nobody and must reach the copy, and a root's TMPDIR is often
         * 0700 (pam_tmpdir). /tmp lets anyone pass; the directory itself is nobody's, 0700. */
        if (snprintf(d->path, sizeof d->path, "/tmp/remedy-rpmdb-XXXXXX") >= (int) sizeof d->path)
                return -ENAMETOOLONG;
        if (!mkdtemp(d->path))
                return -errno;
        d->made = true;

        _cleanup_close_ int dfd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (dfd < 0)
                return -errno;
        _cleanup_close_ int to = openat(dfd, "rpmdb.sqlite", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (to < 0)
                return -errno;
        char buf[64 * 1024];
        for (;;) {
                ssize_t n = loop_read(from, buf, sizeof buf);
                if (n < 0)
                        return (int) n;
                if (n == 0)
                        break;
                int r = loop_write(to, buf, (size_t) n);
                if (r < 0)
                        return r;
        }
        /* rpm reads, and writes its sqlite side files, as nobody (exec_capture_unprivileged()). */
        if (geteuid() == 0 && (fchown(to, UID_NOBODY, GID_NOBODY) < 0 || fchown(dfd, UID_NOBODY, GID_NOBODY) < 0))
                return -errno;
        *ret_source = path_join(dir, "rpmdb.sqlite");
        return *ret_source ? 0 : -ENOMEM;
}

int rpm_package_version(Root *root, const char * const *names, char **ret_version, char **ret_source) {
        _cleanup_(private_dir_remove) PrivateDir d = {};
        _cleanup_free_ char *source = NULL;
        int r;

        *ret_version = NULL;
        if (ret_source)
                *ret_source = NULL;
        r = copy_database(root, &d, &source);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;

        for (const char * const *n = names; *n; n++) {
                _cleanup_free_ char *out = NULL;
                size_t size;
                int status;
                char *argv[] = { (char *) RPM_BINARY, (char *) "--dbpath", d.path, (char *) "-q",
                                 (char *) "--qf", (char *) "%{VERSION}\\n", (char *) *n, NULL };
                /* The node's database is input from a disk that may be hostile: rpm parses it
                 * without root's rights. */
                r = exec_capture_unprivileged(argv, 20000, 64 * 1024, &out, &size, &status);
                if (r == -ENOENT)
                        return -ENOPKG;   /* a database, but no rpm here to read it */
                if (r < 0)
                        return r;
                if (status != 0)   /* "package kubelet is not installed": exit 1 */
                        continue;
                /* Several installed versions (kernel-style) print one a line: the last is the newest
                 * installed, as rpm lists them in installation order. */
                while (size > 0 && out[size - 1] == '\n')
                        out[--size] = 0;
                const char *last = strrchr(out, '\n');
                last = last ? last + 1 : out;
                if (!*last)
                        continue;
                if (!(*ret_version = strdup(last)))
                        return -ENOMEM;
                if (ret_source)
                        *ret_source = TAKE_PTR(source);
                return 1;
        }
        return 0;
}
