/* SPDX-License-Identifier: MIT */
/*
 * Test-only LD_PRELOAD shim: counts the filesystem mutations a process makes (rename, unlink,
 * symlink, mkdir, rmdir, in any of their *at forms) and, at the Nth one:
 *
 *   REMEDY_SHIM_MODE=kill   lets it happen, then kills the process with SIGKILL (a crash or power
 *                           loss right after that mutation);
 *   REMEDY_SHIM_MODE=eio    makes it fail with EIO instead (an I/O error mid-apply);
 *   REMEDY_SHIM_MODE=enospc makes it fail with ENOSPC (the file system filled up).
 *
 * or, counting instead the data written to regular files (write, pwrite, writev on a file
 * descriptor above 2 that is a regular file) and their flushes (fsync, fdatasync):
 *
 *   REMEDY_SHIM_MODE=eio-write    the Nth write fails with EIO;
 *   REMEDY_SHIM_MODE=enospc-write the Nth write fails with ENOSPC (a disk that fills up while
 *                                 an archive or a file is being written);
 *   REMEDY_SHIM_MODE=eio-fsync    the Nth fsync or fdatasync fails with EIO (the data did not
 *                                 reach the disk).
 *
 * or, counting the D-Bus calls that change what systemd runs or enables (StartUnit, StopUnit,
 * RestartUnit, EnableUnitFiles, MaskUnitFiles, Reload, ... through sd_bus_call(), which
 * sd_bus_call_method() calls too):
 *
 *   REMEDY_SHIM_MODE=kill-bus     lets the Nth one be answered, then kills the process with
 *                                 SIGKILL (systemd did it; remedy never learnt that it did).
 *
 * or, counting every live change of the node's state: those D-Bus calls and the changes to the
 * running kernel, which are a write() to a file under /proc/sys that the kernel accepted (the
 * descriptor's /proc/self/fd link names /proc/sys/...) and a modprobe child reaped by waitpid()
 * (the zombie's /proc/PID/comm, read through waitid(WNOWAIT) before the real waitpid, says
 * "modprobe"; whatever its exit status, the kernel may have changed):
 *
 *   REMEDY_SHIM_MODE=kill-live    lets the Nth one happen, then kills the process with SIGKILL
 *                                 (the module is loaded or the value set; remedy never learnt
 *                                 that it was).
 *
 * Calls libc makes internally (stdio's flushes) do not pass through the shim: what is counted is
 * what remedy and its libraries (libarchive, libzstd) call. REMEDY_SHIM_AT=0 counts without
 * failing, and REMEDY_SHIM_REPORT=FILE has the process write, at exit, how many calls of the kind
 * its mode counts it made: the size of the matrix.
 *
 * N comes from REMEDY_SHIM_AT. Apart from that, REMEDY_SHIM_NO_TMPFILE=1 makes every
 * openat(..., O_TMPFILE) fail with EOPNOTSUPP, as it does on 9p, NFS and overlayfs before Linux
 * 6.6. REMEDY_SHIM_EXEC_LOG=FILE appends, for each execve, the credentials the program is about
 * to run with ("uid=U gid=G groups=N nnp=0|1 PATH"), as the child has them after any privilege
 * drop. Nothing of this is in remedy itself: the product has no fault injection hooks.
 */
/* The shim defines openat and openat64 apart; with 64-bit offsets the headers would name both
 * openat64. */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static long shim_at = -1, shim_count, shim_data_count;
static int shim_kill, shim_errno, shim_no_tmpfile;
static enum { SHIM_NAMES, SHIM_WRITES, SHIM_FSYNCS, SHIM_BUS, SHIM_LIVE } shim_counts;

__attribute__((constructor)) static void shim_init(void) {
        const char *at = getenv("REMEDY_SHIM_AT"), *mode = getenv("REMEDY_SHIM_MODE");
        if (at)
                shim_at = strtol(at, NULL, 10);
        if (mode && strcmp(mode, "eio-write") == 0) {
                shim_counts = SHIM_WRITES;
                shim_errno = EIO;
        } else if (mode && strcmp(mode, "enospc-write") == 0) {
                shim_counts = SHIM_WRITES;
                shim_errno = ENOSPC;
        } else if (mode && strcmp(mode, "eio-fsync") == 0) {
                shim_counts = SHIM_FSYNCS;
                shim_errno = EIO;
        } else if (mode && strcmp(mode, "kill-bus") == 0)
                shim_counts = SHIM_BUS;
        else if (mode && strcmp(mode, "kill-live") == 0)
                shim_counts = SHIM_LIVE;
        else
                shim_errno = mode && strcmp(mode, "eio") == 0 ? EIO : mode && strcmp(mode, "enospc") == 0 ? ENOSPC : 0;
        shim_kill = shim_errno == 0;
        shim_no_tmpfile = getenv("REMEDY_SHIM_NO_TMPFILE") != NULL;
}

/* Called before the real call: returns -1 (with errno EIO or ENOSPC) when this one must fail. */
static int shim_before(void) {
        if (shim_at < 0 || shim_counts != SHIM_NAMES)
                return 0;
        if (!shim_kill && shim_count + 1 == shim_at) {
                shim_count++;
                errno = shim_errno;
                return -1;
        }
        return 0;
}

/* Every mutation that happened counts, in both modes: an EIO at N is the Nth mutation failing. */
static void shim_after(int result) {
        if (shim_at < 0 || result < 0 || shim_counts != SHIM_NAMES)
                return;
        if (++shim_count == shim_at && shim_kill)
                kill(getpid(), SIGKILL);
}

#define REAL(name) ((__typeof__(&name)) dlsym(RTLD_NEXT, #name))

#define WRAP(ret, name, params, args)            \
        ret name params {                        \
                if (shim_before() < 0)           \
                        return -1;               \
                ret r = REAL(name) args;         \
                shim_after((int) r);             \
                return r;                        \
        }

WRAP(int, rename, (const char *a, const char *b), (a, b))
WRAP(int, renameat, (int fa, const char *a, int fb, const char *b), (fa, a, fb, b))
WRAP(int, renameat2, (int fa, const char *a, int fb, const char *b, unsigned flags), (fa, a, fb, b, flags))
WRAP(int, unlink, (const char *a), (a))
WRAP(int, unlinkat, (int fd, const char *a, int flags), (fd, a, flags))
WRAP(int, symlink, (const char *t, const char *a), (t, a))
WRAP(int, symlinkat, (const char *t, int fd, const char *a), (t, fd, a))
WRAP(int, mkdir, (const char *a, mode_t m), (a, m))
WRAP(int, mkdirat, (int fd, const char *a, mode_t m), (fd, a, m))
WRAP(int, rmdir, (const char *a), (a))

__attribute__((destructor)) static void shim_report(void) {
        const char *report = getenv("REMEDY_SHIM_REPORT");
        if (!report)
                return;
        int fd = open(report, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return;
        dprintf(fd, "%ld\n", shim_counts == SHIM_NAMES ? shim_count : shim_data_count);
        close(fd);
}

/* A data call on fd: -1 with errno set when it is the Nth of the kind counted. */
static int shim_data(int fd, int kind) {
        struct stat st;
        if (shim_at < 0 || (int) shim_counts != kind || fd <= 2 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return 0;
        if (++shim_data_count != shim_at)
                return 0;
        errno = shim_errno;
        return -1;
}

#define WRAP_DATA(ret, name, params, fd, kind, args) \
        ret name params {                            \
                if (shim_data(fd, kind) < 0)         \
                        return -1;                   \
                return REAL(name) args;              \
        }

/* kill-live's count: one live change made, and the Nth kills. */
static void shim_live_changed(void) {
        if (++shim_data_count == shim_at)
                kill(getpid(), SIGKILL);
}

/* kill-live: the descriptor is a file of /proc/sys (a sysctl). */
static int shim_fd_is_sysctl(int fd) {
        char link[64], target[256];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n < 0)
                return 0;
        target[n] = 0;
        return strncmp(target, "/proc/sys/", strlen("/proc/sys/")) == 0;
}

ssize_t write(int fd, const void *b, size_t n) {
        if (shim_data(fd, SHIM_WRITES) < 0)
                return -1;
        ssize_t k = REAL(write)(fd, b, n);
        if (shim_counts == SHIM_LIVE && k >= 0 && shim_fd_is_sysctl(fd))
                shim_live_changed();
        return k;
}
WRAP_DATA(ssize_t, pwrite, (int fd, const void *b, size_t n, off_t o), fd, SHIM_WRITES, (fd, b, n, o))
WRAP_DATA(ssize_t, pwrite64, (int fd, const void *b, size_t n, off64_t o), fd, SHIM_WRITES, (fd, b, n, o))
WRAP_DATA(ssize_t, writev, (int fd, const struct iovec *v, int n), fd, SHIM_WRITES, (fd, v, n))
WRAP_DATA(int, fsync, (int fd), fd, SHIM_FSYNCS, (fd))
WRAP_DATA(int, fdatasync, (int fd), fd, SHIM_FSYNCS, (fd))

/* remedy is built with 64-bit file offsets, which makes its openat() calls openat64(). */
#define WRAP_OPENAT(name)                                                        \
        int name(int fd, const char *path, int flags, ...) {                     \
                mode_t mode = 0;                                                 \
                if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) {     \
                        va_list ap;                                              \
                        va_start(ap, flags);                                     \
                        mode = va_arg(ap, mode_t);                               \
                        va_end(ap);                                              \
                }                                                                \
                if (shim_no_tmpfile && (flags & O_TMPFILE) == O_TMPFILE) {       \
                        errno = EOPNOTSUPP;                                      \
                        return -1;                                               \
                }                                                                \
                return REAL(name)(fd, path, flags, mode);                        \
        }

WRAP_OPENAT(openat)
WRAP_OPENAT(openat64)

/* Logs who the program will run as, then execs it. The log is opened when the process starts,
 * while it is still root: a child that has dropped to nobody could not open it. */
static int exec_log_fd = -1;

__attribute__((constructor)) static void exec_log_init(void) {
        const char *log = getenv("REMEDY_SHIM_EXEC_LOG");
        if (log)
                exec_log_fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

int execve(const char *path, char *const argv[], char *const envp[]) {
        if (exec_log_fd >= 0)
                dprintf(exec_log_fd, "uid=%u gid=%u groups=%d nnp=%d %s\n", (unsigned) getuid(), (unsigned) getgid(),
                        getgroups(0, NULL), prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), path);
        return REAL(execve)(path, argv, envp);
}

/* kill-live: a modprobe reaped. The zombie is looked at first (WNOWAIT leaves it to be reaped),
 * since once reaped its /proc/PID is gone. remedy waits for one child at a time, by its PID. */
static int shim_child_is_modprobe(pid_t pid) {
        siginfo_t info = { 0 };
        char path[64], comm[32] = "";
        if (pid <= 0 || waitid(P_PID, (id_t) pid, &info, WEXITED | WNOWAIT) < 0 || info.si_pid != pid)
                return 0;
        snprintf(path, sizeof path, "/proc/%d/comm", (int) pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        ssize_t n = read(fd, comm, sizeof comm - 1);
        close(fd);
        return n > 0 && strncmp(comm, "modprobe\n", (size_t) n) == 0;
}

pid_t waitpid(pid_t pid, int *status, int options) {
        int modprobe = shim_counts == SHIM_LIVE && !(options & WNOHANG) && shim_child_is_modprobe(pid);
        pid_t r = REAL(waitpid)(pid, status, options);
        if (modprobe && r == pid)
                shim_live_changed();
        return r;
}

/* The systemd manager's methods that change state; everything else (Get*, List*, LoadUnit,
 * Subscribe) only reads. */
static int bus_member_mutates(const char *member) {
        static const char * const mutating[] = {
                "StartUnit", "StopUnit", "RestartUnit", "TryRestartUnit", "ReloadOrRestartUnit",
                "ReloadOrTryRestartUnit", "ReloadUnit", "KillUnit", "ResetFailedUnit", "SetUnitProperties",
                "EnableUnitFiles", "DisableUnitFiles", "ReenableUnitFiles", "MaskUnitFiles",
                "UnmaskUnitFiles", "PresetUnitFiles", "Reload", NULL,
        };
        for (size_t i = 0; member && mutating[i]; i++)
                if (strcmp(member, mutating[i]) == 0)
                        return 1;
        return 0;
}

/* sd-bus's types are opaque: the shim needs only pointers to them and does not link libsystemd;
 * the program it is preloaded into does. */
typedef struct sd_bus sd_bus;
typedef struct sd_bus_message sd_bus_message;
typedef struct sd_bus_error sd_bus_error;
int sd_bus_call(sd_bus *bus, sd_bus_message *m, uint64_t usec, sd_bus_error *error, sd_bus_message **reply);

int sd_bus_call(sd_bus *bus, sd_bus_message *m, uint64_t usec, sd_bus_error *error, sd_bus_message **reply) {
        const char *(*get_member)(sd_bus_message *) =
                (const char *(*)(sd_bus_message *)) dlsym(RTLD_DEFAULT, "sd_bus_message_get_member");
        int mutates = (shim_counts == SHIM_BUS || shim_counts == SHIM_LIVE) && get_member && bus_member_mutates(get_member(m));
        int r = REAL(sd_bus_call)(bus, m, usec, error, reply);

        if (mutates && r >= 0)
                shim_live_changed();
        return r;
}
