/* SPDX-License-Identifier: MIT */
/*
 * The running kernel's sysctls and modules, on the machine remedy runs on. Nothing here reads
 * or writes the node's files: /proc and /sys are the kernel's, not part of a --root.
 */
#include "remedy/kernel-config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "remedy/exec-util.h"
#include "remedy/fileio.h"

int sysctl_live_read(const char *key, char **ret) {
        _cleanup_free_ char *path = NULL, *data = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t size;
        int r;

        if ((r = sysctl_proc_path(key, &path)) < 0)
                return r;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        if ((r = read_full_fd(fd, 64 * 1024, &data, &size)) < 0)
                return r;
        /* The kernel ends it with a newline; the value itself never holds one for these keys. */
        while (size > 0 && (data[size - 1] == '\n' || data[size - 1] == ' ' || data[size - 1] == '\t'))
                data[--size] = '\0';
        *ret = TAKE_PTR(data);
        return 0;
}

int sysctl_live_write(const char *key, const char *value) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if ((r = sysctl_proc_path(key, &path)) < 0)
                return r;
        fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        /* One write, as systemd-sysctl's write_string_file() does: procfs parses each write. */
        size_t n = strlen(value);
        ssize_t k = write(fd, value, n);
        if (k < 0)
                return -errno;
        return (size_t) k == n ? 0 : -EIO;
}

bool kernel_module_loaded(const char *name) {
        _cleanup_free_ char *sys = NULL, *data = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t size;

        /* A built-in module with parameters has a /sys/module directory and no /proc/modules line;
         * a loaded one has both. */
        fd = open("/proc/modules", O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && read_full_fd(fd, 4 * 1024 * 1024, &data, &size) >= 0) {
                size_t n = strlen(name);
                for (const char *p = data; p && *p;) {
                        if (strncmp(p, name, n) == 0 && p[n] == ' ')
                                return true;
                        p = strchr(p, '\n');
                        p = p ? p + 1 : NULL;
                }
        }
        struct stat st;
        if (asprintf(&sys, "/sys/module/%s", name) < 0)
                return false;
        return stat(sys, &st) >= 0 && S_ISDIR(st.st_mode);
}

int kernel_module_load(const char *name, char **ret_error) {
        static const char * const candidates[] = { "/usr/sbin/modprobe", "/sbin/modprobe", NULL };
        const char *modprobe = NULL;
        _cleanup_free_ char *out = NULL;
        size_t size;
        int status, r;

        for (const char * const *p = candidates; *p && !modprobe; p++)
                if (access(*p, X_OK) >= 0)
                        modprobe = *p;
        if (!modprobe) {
                if (ret_error)
                        *ret_error = strdup("no modprobe (kmod) on the node");
                return -ENOENT;
        }
        /* "--" ends the options: the name was checked to be a module name, but never an option. */
        char *argv[] = { (char *) modprobe, (char *) "--", (char *) name, NULL };
        if ((r = exec_capture(argv, 60 * 1000, 64 * 1024, &out, &size, &status)) < 0) {
                if (ret_error)
                        (void) asprintf(ret_error, "%s: %s", modprobe, strerror(-r));
                return r;
        }
        if (status != 0) {
                if (ret_error)
                        (void) asprintf(ret_error, "%s %s exited with status %d", modprobe, name, status);
                return -EIO;
        }
        return 0;
}

int kernel_module_unload(const char *name) {
        if (syscall(SYS_delete_module, name, O_NONBLOCK) < 0)
                return -errno;
        return 0;
}
