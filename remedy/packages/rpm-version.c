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
/* `rpm -qa`'s list, a line a package: a few hundred KiB on the largest nodes. */
#define RPM_LIST_MAX (8U * 1024U * 1024U)
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

/* The packages of one database, as `rpm -qa` lists them: what a run asks of it is answered from
 * here (Root.rpm_packages), so the database is copied and rpm run once per run, not once per
 * package or per part of remedy that wants a version. */
typedef struct RpmPackage {
        unsigned long instance;   /* the header's number in the database: higher, installed later */
        char *name;
        char *version;
} RpmPackage;

typedef struct RpmPackages {
        int state;                /* 0: read; -ENOENT: no database on the node; -ENOPKG: no rpm here */
        char *source;             /* the database's path on the node */
        RpmPackage *packages;
        size_t n_packages;
} RpmPackages;

static void rpm_packages_free(void *p) {
        RpmPackages *packages = p;
        if (!packages)
                return;
        for (size_t i = 0; i < packages->n_packages; i++) {
                free(packages->packages[i].name);
                free(packages->packages[i].version);
        }
        free(packages->packages);
        free(packages->source);
        free(packages);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(RpmPackages *, rpm_packages_free);

/* "DBINSTANCE\tNAME\tVERSION" lines; a line that is not one (a warning) is skipped. */
static int rpm_packages_parse(char *out, RpmPackages *p) {
        for (char *line = out, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                char *name = strchr(line, '\t'), *version = name ? strchr(name + 1, '\t') : NULL, *end;
                if (!version)
                        continue;
                *name++ = 0;
                *version++ = 0;
                errno = 0;
                unsigned long instance = strtoul(line, &end, 10);
                if (errno != 0 || end == line || *end || !*name || !*version)
                        continue;
                RpmPackage *packages = realloc(p->packages, (p->n_packages + 1) * sizeof(RpmPackage));
                if (!packages)
                        return -ENOMEM;
                p->packages = packages;
                RpmPackage *n = &packages[p->n_packages];
                *n = (RpmPackage) { .instance = instance, .name = strdup(name), .version = strdup(version) };
                p->n_packages++;
                if (!n->name || !n->version)
                        return -ENOMEM;
        }
        return 0;
}

static int rpm_packages_read(Root *root, RpmPackages **ret) {
        _cleanup_(private_dir_remove) PrivateDir d = {};
        _cleanup_(rpm_packages_freep) RpmPackages *p = calloc(1, sizeof(RpmPackages));
        _cleanup_free_ char *out = NULL;
        RpmBackend backend = RPM_BACKEND_SQLITE;
        size_t size;
        int status, r;

        if (!p)
                return -ENOMEM;
        r = copy_database(root, &d, &backend, &p->source);
        if (r == -ENOENT) {
                p->state = -ENOENT;
                *ret = TAKE_PTR(p);
                return 0;
        }
        if (r < 0)
                return r;

        char *argv[10];
        size_t k = 0;
        argv[k++] = (char *) RPM_BINARY;
        if (backend == RPM_BACKEND_BDB_RO) {
                argv[k++] = (char *) "--define";
                argv[k++] = (char *) "_db_backend bdb_ro";
        }
        argv[k++] = (char *) "--dbpath";
        argv[k++] = d.path;
        argv[k++] = (char *) "-qa";
        argv[k++] = (char *) "--qf";
        argv[k++] = (char *) "%{DBINSTANCE}\\t%{NAME}\\t%{VERSION}\\n";
        argv[k] = NULL;
        /* The node's database is input from a disk that may be hostile: rpm parses it without
         * root's rights. */
        r = exec_capture_unprivileged(argv, 20000, RPM_LIST_MAX, &out, &size, &status);
        if (r == -ENOENT)
                p->state = -ENOPKG;   /* a database, but no rpm here to read it */
        else if (r < 0)
                return r;
        else if (status == 0 && (r = rpm_packages_parse(out, p)) < 0)
                return r;
        /* rpm failing on the database finds no package in it, as a query by name would. */
        *ret = TAKE_PTR(p);
        return 0;
}

int rpm_package_version(Root *root, const char * const *names, char **ret_version, char **ret_source) {
        int r;

        *ret_version = NULL;
        if (ret_source)
                *ret_source = NULL;
        if (!root->rpm_packages) {
                RpmPackages *p = NULL;
                if ((r = rpm_packages_read(root, &p)) < 0)
                        return r;
                root->rpm_packages = p;
                root->rpm_packages_free = rpm_packages_free;
        }
        const RpmPackages *p = root->rpm_packages;
        if (p->state == -ENOENT)
                return 0;
        if (p->state < 0)
                return p->state;

        for (const char * const *n = names; *n; n++) {
                /* Several installed versions (kernel-style): the newest installed, the one
                 * `rpm -q NAME` prints last. */
                const RpmPackage *found = NULL;
                for (size_t i = 0; i < p->n_packages; i++)
                        if (streq(p->packages[i].name, *n) && (!found || p->packages[i].instance > found->instance))
                                found = &p->packages[i];
                if (!found)
                        continue;
                if (!(*ret_version = strdup(found->version)))
                        return -ENOMEM;
                if (ret_source && !(*ret_source = strdup(p->source))) {
                        *ret_version = mfree(*ret_version);
                        return -ENOMEM;
                }
                return 1;
        }
        return 0;
}
