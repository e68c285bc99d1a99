/* SPDX-License-Identifier: MIT */
/*
 * The Kubernetes version of a Go binary (go-binary-version.h), on the crafted kubelet ELF files of
 * tests/fixtures/kubelet-binary/ (sections copied from real release builds, see make-crafted.py)
 * and, where this machine has them, on real Kubernetes release binaries: Google Cloud SDK's
 * kubectl 1.27 to 1.33, each judged against what the binary itself says with `version --client`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "remedy/go-binary-version.h"
#include "remedy/macro.h"
#include "tap.h"
#include "test-util.h"

#define KUBELET "k8s.io/kubernetes/cmd/kubelet"

static int version_of_bytes(const char *dir, const char *data, size_t size, const char *package, char **ret,
                            const char **ret_how) {
        _cleanup_free_ char *path = xasprintf("%s/binary", dir);
        write_file(path, data, size);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return go_binary_kubernetes_version(fd, package, ret, ret_how);
}

static char *memdup_or_abort(const char *p, size_t size) {
        char *c = malloc(size);
        if (!c)
                abort();
        return memcpy(c, p, size);
}

/* Replaces the n-th (0-based) occurrence of the len bytes of from with those of to. */
static void replace_nth(char *data, size_t size, const char *from, const char *to, size_t len, unsigned n) {
        char *p = data;
        for (;;) {
                p = memmem(p, size - (size_t) (p - data), from, len);
                if (!p || n-- == 0)
                        break;
                p += len;
        }
        if (!p)
                abort();
        memcpy(p, to, len);
}

static void test_crafted(void) {
        _cleanup_free_ char *dir = make_temp_dir("go-binary");
        const char *how = NULL;
        size_t size;
        int r;

        _cleanup_free_ char *v129 = read_fixture("kubelet-binary/kubelet-v1.29.14-go1.22", &size);
        {
                _cleanup_free_ char *version = NULL;
                r = version_of_bytes(dir, v129, size, KUBELET, &version, &how);
                is_int(r, 1, "go1.22 build, main module (devel): a version is read");
                is_str(version, "v1.29.14", "from the linker's -X gitVersion string");
                ok(how && strstr(how, "-X"), "and says so: %s", strempty(how));
        }
        {
                _cleanup_free_ char *version = NULL;
                r = version_of_bytes(dir, v129, size, "k8s.io/kubernetes/cmd/kubectl", &version, &how);
                is_int(r, 0, "another main package (kubectl asked for, kubelet found): not read");
                ok(!version, "no version");
        }
        {
                _cleanup_free_ char *copy = memdup_or_abort(v129, size), *version = NULL;
                replace_nth(copy, size, "v1.29.14\0", "v1.28.15\0", 9, 1);
                r = version_of_bytes(dir, copy, size, KUBELET, &version, &how);
                is_int(r, 0, "two different -X version strings: no rule picks one");
        }
        {
                _cleanup_free_ char *copy = memdup_or_abort(v129, size), *version = NULL;
                replace_nth(copy, size, "v1.29.14\0", "v1.29.14x", 9, 0);
                replace_nth(copy, size, "v1.29.14\0", "v1.29.14x", 9, 0);
                r = version_of_bytes(dir, copy, size, KUBELET, &version, &how);
                is_int(r, 0, "a version not ended by NUL is a Go string literal's, not the linker's");
        }
        {
                _cleanup_free_ char *version = NULL;
                r = version_of_bytes(dir, v129, 200, KUBELET, &version, &how);
                is_int(r, 0, "a truncated binary: not read, no error");
                r = version_of_bytes(dir, "#!/bin/sh\nexec /opt/kubelet \"$@\"\n", 33, KUBELET, &version, &how);
                is_int(r, 0, "a wrapper script: not read");
        }

        _cleanup_free_ char *v133 = read_fixture("kubelet-binary/kubelet-v1.33.1-go1.24", &size);
        {
                _cleanup_free_ char *version = NULL;
                r = version_of_bytes(dir, v133, size, KUBELET, &version, &how);
                is_int(r, 1, "go1.24 build: a version is read");
                is_str(version, "v1.33.1", "the main module's version");
                ok(how && strstr(how, "build information"), "from the build information: %s", strempty(how));
        }
        {
                /* The build information wins over the strings: take the strings away. */
                _cleanup_free_ char *copy = memdup_or_abort(v133, size), *version = NULL;
                replace_nth(copy, size, "v1.33.1\0", "x1.33.1\0", 8, 0);
                replace_nth(copy, size, "v1.33.1\0", "x1.33.1\0", 8, 0);
                r = version_of_bytes(dir, copy, size, KUBELET, &version, &how);
                is_str(version, "v1.33.1", "the module version alone is enough");
        }
        rm_rf(dir);
}

static void test_real_binaries(void) {
        static const char *const minors[] = { "27", "28", "29", "30", "31", "32", "33", NULL };
        unsigned found = 0;

        for (const char *const *m = minors; *m; m++) {
                _cleanup_free_ char *path = xasprintf("/usr/lib/google-cloud-sdk/bin/kubectl.1.%s", *m);
                _cleanup_free_ char *out = NULL, *err = NULL, *version = NULL;
                const char *how = NULL;
                if (access(path, X_OK) < 0)
                        continue;
                found++;
                char *argv[] = { path, (char *) "version", (char *) "--client", (char *) "-o", (char *) "json", NULL };
                if (run_capture(argv, &out, &err) != 0 || !strstr(out, "\"gitVersion\": \"")) {
                        ok(false, "%s version --client", path);
                        continue;
                }
                const char *g = strstr(out, "\"gitVersion\": \"") + 15;
                _cleanup_free_ char *want = strndup(g, strcspn(g, "\""));
                _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
                int r = go_binary_kubernetes_version(fd, "k8s.io/kubernetes/cmd/kubectl", &version, &how);
                is_int(r, 1, "real %s: read", path);
                is_str(version, want, "real %s: the version it reports itself (%s)", path, strempty(how));
        }
        if (found == 0)
                diag("no Kubernetes release binaries on this machine: only the crafted files were read");
}

int main(void) {
        test_crafted();
        test_real_binaries();
        return tap_done();
}
