/* SPDX-License-Identifier: MIT */
#include "remedy/exec-util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "remedy/macro.h"

static long long now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int reap(pid_t pid, int *ret_status) {
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return negative_errno();
        if (ret_status)
                *ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return 0;
}

/* In the child: nobody's user and group, no supplementary groups, and no way back up through a
 * set-user-ID program. Only root can drop to another user; anyone else runs as itself. */
static int drop_privileges(void) {
        if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setresgid(GID_NOBODY, GID_NOBODY, GID_NOBODY) < 0 ||
                               setresuid(UID_NOBODY, UID_NOBODY, UID_NOBODY) < 0))
                return -errno;
        return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -errno : 0;
}

static int exec_capture_full(char * const *argv, bool unprivileged, unsigned timeout_ms, size_t max, char **ret_out,
                             size_t *ret_size, int *ret_status) {
        /* A fixed environment: nothing of the caller's (LD_PRELOAD, PATH tricks) reaches the child. */
        static char * const envp[] = { (char *) "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                       (char *) "LC_ALL=C", NULL };
        _cleanup_close_ int rd = -EBADF, wr = -EBADF, exec_rd = -EBADF, exec_wr = -EBADF, null_fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        int fds[2], err = 0;

        if (!argv || !argv[0] || argv[0][0] != '/')
                return -EINVAL;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return negative_errno();
        rd = fds[0], wr = fds[1];
        /* A second pipe reports a failed execve: it closes (O_CLOEXEC) on success. */
        if (pipe2(fds, O_CLOEXEC) < 0)
                return negative_errno();
        exec_rd = fds[0], exec_wr = fds[1];
        null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null_fd < 0)
                return negative_errno();
        if (!(buf = malloc(max + 1)))
                return -ENOMEM;

        pid_t pid = fork();
        if (pid < 0)
                return negative_errno();
        if (pid == 0) {
                if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(wr, STDOUT_FILENO) < 0 || dup2(null_fd, STDERR_FILENO) < 0)
                        _exit(127);
                int e = unprivileged ? -drop_privileges() : 0;
                if (e == 0) {
                        execve(argv[0], argv, envp);
                        e = errno;
                }
                (void) !write(exec_wr, &e, sizeof e);
                _exit(127);
        }
        /* The child's copies are the only writers left: EOF comes when it exits or execs. */
        close(TAKE_FD(wr));
        close(TAKE_FD(exec_wr));

        ssize_t n = read(exec_rd, &err, sizeof err);
        if (n == (ssize_t) sizeof err) {
                (void) reap(pid, NULL);
                return -err;
        }

        long long deadline = now_ms() + timeout_ms;
        int r = 0;
        for (;;) {
                long long left = deadline - now_ms();
                if (left <= 0) {
                        r = -ETIMEDOUT;
                        break;
                }
                struct pollfd p = { .fd = rd, .events = POLLIN };
                int k = poll(&p, 1, (int) left);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        r = negative_errno();
                        break;
                }
                if (k == 0)
                        continue;
                ssize_t got = read(rd, buf + size, max + 1 - size);
                if (got < 0 && errno == EINTR)
                        continue;
                if (got < 0) {
                        r = negative_errno();
                        break;
                }
                if (got == 0)
                        break;
                size += (size_t) got;
                if (size > max) {
                        r = -EFBIG;
                        break;
                }
        }
        if (r < 0)
                (void) kill(pid, SIGKILL);
        int k = reap(pid, ret_status);
        if (r < 0)
                return r;
        if (k < 0)
                return k;
        buf[size] = 0;
        *ret_out = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = size;
        return 0;
}

int exec_capture(char * const *argv, unsigned timeout_ms, size_t max, char **ret_out, size_t *ret_size,
                 int *ret_status) {
        return exec_capture_full(argv, false, timeout_ms, max, ret_out, ret_size, ret_status);
}

int exec_capture_unprivileged(char * const *argv, unsigned timeout_ms, size_t max, char **ret_out, size_t *ret_size,
                              int *ret_status) {
        return exec_capture_full(argv, true, timeout_ms, max, ret_out, ret_size, ret_status);
}
