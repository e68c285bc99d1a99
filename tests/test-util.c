/* SPDX-License-Identifier: MIT */
#include "test-util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static _Noreturn void die(const char *what, const char *path) {
        fprintf(stderr, "test-util: %s \"%s\": %s\n", what, path, strerror(errno));
        abort();
}

char *make_temp_dir(const char *name) {
        const char *tmp = getenv("TMPDIR");
        char *p;
        if (asprintf(&p, "%s/remedy-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", name) < 0)
                abort();
        if (!mkdtemp(p))
                die("mkdtemp", p);
        return p;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st;
        (void) ftw;
        if (flag == FTW_DP)
                (void) rmdir(path);
        else
                (void) unlink(path);
        return 0;
}

void rm_rf(const char *path) {
        if (path)
                (void) nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS);
}

char *read_file(const char *path, size_t *ret_size) {
        FILE *f = fopen(path, "rb");
        if (!f)
                die("open", path);
        size_t cap = 4096, n = 0;
        char *buf = malloc(cap);
        if (!buf)
                abort();
        for (;;) {
                if (n + 1 >= cap) {
                        cap *= 2;
                        buf = realloc(buf, cap);
                        if (!buf)
                                abort();
                }
                size_t k = fread(buf + n, 1, cap - n - 1, f);
                n += k;
                if (k == 0)
                        break;
        }
        if (ferror(f))
                die("read", path);
        fclose(f);
        buf[n] = 0;
        if (ret_size)
                *ret_size = n;
        return buf;
}

char *xasprintf(const char *fmt, ...) {
        va_list ap;
        char *s;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                abort();
        va_end(ap);
        return s;
}

char *read_fixture(const char *name, size_t *ret_size) {
        const char *dir = getenv("FIXTURES");
        char *p;
        if (asprintf(&p, "%s/%s", dir ? dir : "tests/fixtures", name) < 0)
                abort();
        char *r = read_file(p, ret_size);
        free(p);
        return r;
}

void write_file(const char *path, const char *data, size_t size) {
        FILE *f = fopen(path, "wb");
        if (!f)
                die("create", path);
        if (fwrite(data, 1, size, f) != size || fclose(f) != 0)
                die("write", path);
}

static char *read_fd_all(int fd) {
        size_t cap = 4096, n = 0;
        char *buf = malloc(cap);
        if (!buf)
                abort();
        for (;;) {
                if (n + 1 >= cap) {
                        cap *= 2;
                        buf = realloc(buf, cap);
                        if (!buf)
                                abort();
                }
                ssize_t k = read(fd, buf + n, cap - n - 1);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                n += (size_t) k;
        }
        buf[n] = 0;
        return buf;
}

int run_capture(char * const *argv, char **ret_stdout, char **ret_stderr) {
        char outname[] = "/tmp/remedy-test-out-XXXXXX", errname[] = "/tmp/remedy-test-err-XXXXXX";
        int out = mkstemp(outname), err = mkstemp(errname);
        if (out < 0 || err < 0)
                die("mkstemp", "/tmp");
        unlink(outname);
        unlink(errname);

        pid_t pid = fork();
        if (pid < 0)
                die("fork", argv[0]);
        if (pid == 0) {
                dup2(out, STDOUT_FILENO);
                dup2(err, STDERR_FILENO);
                execvp(argv[0], argv);
                _exit(127);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        die("waitpid", argv[0]);

        lseek(out, 0, SEEK_SET);
        lseek(err, 0, SEEK_SET);
        if (ret_stdout)
                *ret_stdout = read_fd_all(out);
        if (ret_stderr)
                *ret_stderr = read_fd_all(err);
        close(out);
        close(err);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool program_exists(const char *name) {
        const char *path = getenv("PATH");
        if (!path)
                return false;
        char *copy = strdup(path), *save = NULL;
        bool found = false;
        for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
                char *p;
                if (asprintf(&p, "%s/%s", d, name) < 0)
                        abort();
                found = access(p, X_OK) == 0;
                free(p);
        }
        free(copy);
        return found;
}
