/* SPDX-License-Identifier: MIT */
/*
 * An OFD lock on a file that names its holder: see lock-file.h. An OFD lock belongs to its open
 * file description: it is not shared with a forked child and not dropped when some other fd of
 * this process on the same file is closed.
 */
#include "lock-file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "remedy/macro.h"

static int read_holder_pid(int fd, pid_t *ret) {
        char buf[32];
        ssize_t n;
        char *end;
        long pid;

        n = pread(fd, buf, sizeof buf - 1, 0);
        if (n <= 0)
                return -ENODATA;
        buf[n] = 0;
        errno = 0;
        pid = strtol(buf, &end, 10);
        if (errno != 0 || end == buf || (*end != '\n' && *end != 0) || pid <= 0 || pid > INT32_MAX)
                return -EBADMSG;
        *ret = (pid_t) pid;
        return 0;
}

int lock_file_take(int dir_fd, const char *name, const char *note, int *ret_fd, pid_t *ret_holder) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *text = NULL;
        struct flock fl = {
                .l_type = F_WRLCK,
                .l_whence = SEEK_SET,
        };

        if (ret_holder)
                *ret_holder = 0;
        fd = openat(dir_fd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
                return -errno;
        if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
                int e = errno;
                if (e == EAGAIN || e == EACCES) {
                        pid_t holder = 0;
                        if (ret_holder && read_holder_pid(fd, &holder) >= 0)
                                *ret_holder = holder;
                        return -EBUSY;
                }
                return -e;
        }

        /* Who holds it: for the next remedy's message, and for a human. */
        if (asprintf(&text, "%d\n%s%s", (int) getpid(), strempty(note), note ? "\n" : "") < 0)
                return -ENOMEM;
        if (ftruncate(fd, 0) < 0)
                return -errno;
        if (pwrite(fd, text, strlen(text), 0) != (ssize_t) strlen(text))
                return errno > 0 ? -errno : -EIO;
        *ret_fd = TAKE_FD(fd);
        return 0;
}
