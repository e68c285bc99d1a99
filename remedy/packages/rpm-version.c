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
 *
 * RHEL 8 and older keep a Berkeley DB database instead: Packages (the headers) and one index per
 * tag. rpm 4.18 as Debian builds it has no read-write Berkeley DB backend, but reads one with its
 * own parser, bdb_ro ("available backends: sqlite bdb_ro dummy" in `rpm --showrc`). Where there
 * is no rpmdb.sqlite, Packages and the Name index `rpm -q NAME` looks names up in are copied and
 * read with --define "_db_backend bdb_ro" (without Name, rpm finds no package by name).
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

typedef enum RpmBackend {
        RPM_BACKEND_SQLITE,
        RPM_BACKEND_BDB_RO,
} RpmBackend;

/* The files of each backend copied into the private directory; the first is the one that must be
 * there for the node to have that database. */
static const char *const sqlite_files[] = { "rpmdb.sqlite", NULL };
static const char *const bdb_files[] = { "Packages", "Name", NULL };

static void private_dir_remove(PrivateDir *d) {
        if (!d->made)
                return;
        /* rpm leaves the database, its sqlite side files and its lock: one level, no subdirectory. */
        _cleanup_close_ int fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        static const char *const names[] = { "rpmdb.sqlite", "rpmdb.sqlite-shm", "rpmdb.sqlite-wal", ".rpm.lock",
                                             "Packages", "Name", NULL };
        for (const char *const *n = names; fd >= 0 && *n; n++)
                (void) unlinkat(fd, *n, 0);
        (void) rmdir(d->path);
}

/* Opens dir/name of the node as a regular file: the fd, -ENOENT when it is not one. */
static int open_node_file(Root *root, const char *dir, const char *name) {
        _cleanup_free_ char *path = path_join(dir, name);
        if (!path)
                return -ENOMEM;
        _cleanup_close_ int fd = root_open_file(root, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
        if (fd == -ELOOP)
                return -ENOENT;
        if (fd < 0)
                return fd;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -ENOENT;
        return TAKE_FD(fd);
}

static int copy_file(int from, int dfd, const char *name) {
        _cleanup_close_ int to = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
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
        if (geteuid() == 0 && fchown(to, UID_NOBODY, GID_NOBODY) < 0)
                return -errno;
        return 0;
}

/* Copies the node's database into d: rpmdb.sqlite where a directory has one, else a Berkeley DB
 * Packages. 0, -ENOENT when the node has neither. */
static int copy_database(Root *root, PrivateDir *d, RpmBackend *ret_backend, char **ret_source) {
        const char *const *files = NULL, *dir = NULL;
        RpmBackend backend = RPM_BACKEND_SQLITE;
        _cleanup_close_ int first = -EBADF;

        /* sqlite anywhere wins: a node converted with `rpmdb --rebuilddb` may keep the old files. */
        for (unsigned pass = 0; pass < 2 && first < 0; pass++)
                for (const char *const *p = rpmdb_dirs; *p && first < 0; p++) {
                        files = pass == 0 ? sqlite_files : bdb_files;
                        first = open_node_file(root, *p, files[0]);
                        if (first < 0 && first != -ENOENT)
                                return first;
                        dir = *p;
                        backend = pass == 0 ? RPM_BACKEND_SQLITE : RPM_BACKEND_BDB_RO;
                }
        if (first < 0)
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
        int r = copy_file(first, dfd, files[0]);
        if (r < 0)
                return r;
        for (const char *const *f = files + 1; *f; f++) {
                _cleanup_close_ int from = open_node_file(root, dir, *f);
                if (from == -ENOENT)
                        continue;   /* rpm says what it misses, by not finding the package */
                if (from < 0)
                        return from;
                if ((r = copy_file(from, dfd, *f)) < 0)
                        return r;
        }
        if (geteuid() == 0 && fchown(dfd, UID_NOBODY, GID_NOBODY) < 0)
                return -errno;
        *ret_backend = backend;
        *ret_source = path_join(dir, files[0]);
        return *ret_source ? 0 : -ENOMEM;
}

int rpm_package_version(Root *root, const char * const *names, char **ret_version, char **ret_source) {
        _cleanup_(private_dir_remove) PrivateDir d = {};
        _cleanup_free_ char *source = NULL;
        RpmBackend backend = RPM_BACKEND_SQLITE;
        int r;

        *ret_version = NULL;
        if (ret_source)
                *ret_source = NULL;
        r = copy_database(root, &d, &backend, &source);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;

        for (const char * const *n = names; *n; n++) {
                _cleanup_free_ char *out = NULL;
                size_t size;
                int status;
                char *argv[10];
                size_t k = 0;
                argv[k++] = (char *) RPM_BINARY;
                if (backend == RPM_BACKEND_BDB_RO) {
                        argv[k++] = (char *) "--define";
                        argv[k++] = (char *) "_db_backend bdb_ro";
                }
                argv[k++] = (char *) "--dbpath";
                argv[k++] = d.path;
                argv[k++] = (char *) "-q";
                argv[k++] = (char *) "--qf";
                argv[k++] = (char *) "%{VERSION}\\n";
                argv[k++] = (char *) *n;
                argv[k] = NULL;
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
