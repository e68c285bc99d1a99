/* SPDX-License-Identifier: MIT */
/*
 * One remedy per node, whichever backup store each uses: an OFD lock on a file named after the
 * node's root, in the host's /run/remedy (the node's own /run when remedy runs on it live). The
 * store's own lock (store.c) only keeps two writers out of one store; two stores for one node
 * would otherwise let two applies, or an apply and a rollback, change the node at once.
 */
#include "remedy/backup.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "lock-file.h"

#define NODE_LOCK_DIR "/run/remedy"
#define NODE_LOCK_ROOTS "roots"

/* A directory we own and nobody else can write, opened without following a symlink. */
static int open_private_dir(int at, const char *name) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        if (mkdirat(at, name, 0700) < 0 && errno != EEXIST)
                return -errno;
        fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_uid != geteuid() || (st.st_mode & 022))
                return -EPERM;
        return TAKE_FD(fd);
}

int node_lock(const char *root_path, int *ret_fd, pid_t *ret_holder) {
        _cleanup_close_ int run_fd = -EBADF, dir_fd = -EBADF;
        char name[SHA256_HEX_SIZE + 8];

        if (!root_path || !ret_fd)
                return -EINVAL;
        if (ret_holder)
                *ret_holder = 0;

        run_fd = open_private_dir(AT_FDCWD, NODE_LOCK_DIR);
        if (run_fd < 0)
                return run_fd;
        if (streq(root_path, "/")) {
                strcpy(name, "node.lock");
                dir_fd = TAKE_FD(run_fd);
        } else {
                /* The root's canonical path, hashed: one name per node, of bounded length. */
                char hex[SHA256_HEX_SIZE];
                sha256_hex(root_path, strlen(root_path), hex);
                (void) snprintf(name, sizeof name, "%s.lock", hex);
                dir_fd = open_private_dir(run_fd, NODE_LOCK_ROOTS);
                if (dir_fd < 0)
                        return dir_fd;
        }

        /* The node's root in the file too: the name is a hash. */
        return lock_file_take(dir_fd, name, root_path, ret_fd, ret_holder);
}
