/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Every file remedy reads or writes on the node goes through a Root: a directory fd that stands
 * for "/" of the node ("/" itself live, the mounted disk with --root). Paths are absolute node
 * paths ("/etc/containerd/config.toml") and are resolved with openat2(RESOLVE_IN_ROOT): a symlink,
 * absolute or relative, is resolved as if the root were "/", so nothing ever resolves outside it.
 *
 * Writers take canonical paths (see root_canonicalize()): paths with no symlink in them. They open
 * the parent directory with RESOLVE_NO_SYMLINKS as well, so a symlink planted between plan and
 * apply makes the write fail with -ELOOP instead of following it.
 *
 * All functions return 0 (or a documented positive value) on success and negative errno on
 * failure, and log nothing.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "remedy/macro.h"

/* Largest node file remedy reads into memory: configuration files are far smaller. */
#define NODE_FILE_MAX (16U * 1024U * 1024U)

typedef struct Root {
        int fd;        /* O_PATH|O_DIRECTORY */
        char *path;    /* as given, normalised; "/" for the live node */
        /* The RPM database's packages, read once per run (package-version.h): a verb's Root lives
         * as long as its run. Opaque here, freed by root_free() with the function that made it. */
        void *rpm_packages;
        void (*rpm_packages_free)(void *rpm_packages);
} Root;

int root_open(const char *path, Root **ret);
Root *root_free(Root *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(Root *, root_free);

/* True when the root is the host's own "/". */
bool root_is_host(const Root *r);

/* Host path of a node path, for messages only (never for opening): "/mnt/node/etc/x". */
char *root_display_path(const Root *r, const char *path);

/*
 * Checks that path is absolute, has no NUL, no "." or ".." components, and returns it with
 * duplicate slashes and any trailing slash removed. -EINVAL otherwise.
 */
int path_normalize(const char *path, char **ret);

/* The parent of a normalised absolute path ("/" for "/x"), and its last component. */
char *path_dirname(const char *path);
const char *path_basename(const char *path);
char *path_join(const char *a, const char *b);

/*
 * Resolves every symlink in path inside the root and returns the canonical path. With
 * follow_final=false a symlink in the last component is left as it is (for removing the link
 * itself). Missing components are allowed: the existing prefix is resolved and the rest appended.
 */
int root_canonicalize(Root *r, const char *path, bool follow_final, char **ret);

/* The directory whose path root_canonicalize_via_dir() resolved last, and what it resolved to. */
typedef struct ResolvedDir {
        char *path, *canonical;
} ResolvedDir;
void resolved_dir_done(ResolvedDir *d);

/* root_canonicalize(), through d: a path in the directory resolved last resolves only its last
 * component, so ten thousand files of one directory (a glob) walk its path once, not component
 * by component each. For callers that read a disk nothing turns a directory into a symlink under
 * meanwhile; what they write is checked again by file descriptor. */
int root_canonicalize_via_dir(Root *r, ResolvedDir *d, const char *path, bool follow_final, char **ret);

/* openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS) of a node path; returns the fd. */
int root_open_file(Root *r, const char *path, int flags, mode_t mode);

/* lstat() of a node path (the last component is not followed). */
int root_lstat(Root *r, const char *path, struct stat *ret);

int root_readlink(Root *r, const char *path, char **ret);
/* readlinkat() of name in dir_fd into a new NUL-terminated string. */
int readlinkat_malloc(int dir_fd, const char *name, char **ret);

/* Reads a regular file (following symlinks inside the root) of at most max bytes. The buffer is
 * NUL-terminated (not counted in *ret_size). -EFBIG when larger, -EISDIR etc. for non-files. */
int root_read_file(Root *r, const char *path, size_t max, char **ret_data, size_t *ret_size);
/* The same for name in dir_fd, a symlink not followed (-ELOOP). */
int read_file_at(int dir_fd, const char *name, size_t max, char **ret_data, size_t *ret_size);

/* Lists the names in a directory, sorted, without "." and "..". -ENOENT when missing. */
int root_list_dir(Root *r, const char *path, char ***ret_names);

/*
 * What the writer sets. (mode_t) -1, (uid_t) -1, (gid_t) -1 mean "keep the existing file's"
 * (or 0644 root:root for a new file).
 */
typedef struct WriteOptions {
        mode_t mode;
        uid_t uid;
        gid_t gid;
} WriteOptions;

#define WRITE_OPTIONS_KEEP ((WriteOptions) { (mode_t) -1, (uid_t) -1, (gid_t) -1 })

/*
 * Replaces the file at a canonical path atomically: a temporary file in the same directory gets
 * the data, the existing file's owner, mode, xattrs and ACLs (SELinux label included) unless
 * options set them, is fsync'd and renamed over the target, then the directory is fsync'd.
 * Missing parent directories are created 0755 (fsync'd too). Replaces a symlink at path rather
 * than writing through it: callers canonicalise first.
 */
int root_write_file_atomic(Root *r, const char *path, const void *data, size_t size, const WriteOptions *options);

/*
 * The atomic writers' temporary files are named REMEDY_TEMP_PREFIX, the target's basename, '.'
 * and 16 lowercase hex digits, beside the target: hidden, and recognisable as remedy's when a
 * crash leaves one behind. fileio_is_temp_name() is true when name is such a file for the target
 * named basename (rollback removes those).
 */
#define REMEDY_TEMP_PREFIX ".#remedy."
bool fileio_is_temp_name(const char *name, const char *basename);

/* Creates (or atomically replaces) a symlink at a canonical path. */
int root_symlink_atomic(Root *r, const char *path, const char *target);

/* Removes a file or symlink at a canonical path; 0 when it did not exist, 1 when removed. */
int root_unlink(Root *r, const char *path);
/* The same without the fsync of the directory, for a batch: the caller fsyncs each directory
 * once afterwards (root_fsync_dir), instead of once per file. */
int root_unlink_unsynced(Root *r, const char *path);

/* Removes an empty directory; 0 when missing, -ENOTEMPTY when not empty, 1 when removed. */
int root_rmdir(Root *r, const char *path);

/* Creates the missing directories of a canonical path, 0755 root:root, each fsync'd into its
 * parent. Returns 0 when all existed, >0 when some were created. */
int root_mkdir_parents(Root *r, const char *path);

/* Opens the parent directory of a canonical path (O_PATH-less, O_DIRECTORY) refusing symlinks. */
int root_open_parent(Root *r, const char *path, const char **ret_basename);

/* The open parent directory of a run of canonical paths in one directory, reached as
 * root_open_parent() reaches it (refusing symlinks) once for the run: ten thousand files of one
 * directory walk its path once, not ten thousand times. Whatever happens to the directory's name
 * meanwhile, what is read, written or removed through it is in the directory that was checked. */
typedef struct RootParent {
        char *path;
        int fd;
        bool in_root;   /* opened by root_parent_get_in_root() */
} RootParent;
#define ROOT_PARENT_INIT ((RootParent) { .fd = -EBADF })
void root_parent_done(RootParent *p);
/* The parent's fd (owned by p), made first when make_parents; *ret_basename is path's last
 * component. A failure leaves nothing cached. */
int root_parent_get(RootParent *p, Root *r, const char *path, bool make_parents, const char **ret_basename);
/* The same for reading, with the parent reached as root_lstat() reaches it (an O_PATH fd,
 * symlinks resolved inside the root): for loops that only look, over paths that are canonical
 * but need not still be. */
int root_parent_get_in_root(RootParent *p, Root *r, const char *path, const char **ret_basename);

/* fsync() of the directory at a canonical path. */
int root_fsync_dir(Root *r, const char *path);

/* Full write()/read() loops. */
int loop_write(int fd, const void *buf, size_t n);
ssize_t loop_read(int fd, void *buf, size_t n);

/* Reads all of fd (at most max bytes), NUL-terminated. */
int read_full_fd(int fd, size_t max, char **ret_data, size_t *ret_size);

/* Cleanup for a saved working directory (an O_PATH fd of "."): returns there and closes it. For
 * libarchive, which reads and writes relative to the working directory. */
static inline void cwd_restorep(int *fd) {
        if (*fd >= 0) {
                (void) fchdir(*fd);
                (void) close(*fd);
        }
}

/* Copies every xattr (ACLs and SELinux label included) from one fd to another. */
int fd_copy_xattrs(int from, int to);
