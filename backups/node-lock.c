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

static int read_holder(int fd, pid_t *ret) {
        char buf[32];
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        long pid;

        if (n <= 0)
                return -ENODATA;
        buf[n] = 0;
        pid = strtol(buf, NULL, 10);
        if (pid <= 0 || pid > INT32_MAX)
                return -EBADMSG;
        *ret = (pid_t) pid;
        return 0;
}

int node_lock(const char *root_path, int *ret_fd, pid_t *ret_holder) {
        _cleanup_close_ int run_fd = -EBADF, dir_fd = -EBADF, fd = -EBADF;
        _cleanup_free_ char *text = NULL;
        char name[SHA256_HEX_SIZE + 8];
        struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

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

        fd = openat(dir_fd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
                return -errno;
        if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
                int e = errno;
                if (e == EAGAIN || e == EACCES) {
                        pid_t holder;
                        if (ret_holder && read_holder(fd, &holder) >= 0)
                                *ret_holder = holder;
                        return -EBUSY;
                }
                return -e;
        }

        /* Who holds it, and for which node: for the next remedy's message and for a human. */
        if (asprintf(&text, "%d\n%s\n", (int) getpid(), root_path) < 0)
                return -ENOMEM;
        if (ftruncate(fd, 0) < 0)
                return -errno;
        if (pwrite(fd, text, strlen(text), 0) != (ssize_t) strlen(text))
                return errno > 0 ? -errno : -EIO;
        *ret_fd = TAKE_FD(fd);
        return 0;
}
