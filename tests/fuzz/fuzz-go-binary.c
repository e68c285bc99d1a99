/* SPDX-License-Identifier: MIT */
/*
 * The Go binary reader (go-binary-version.h) on arbitrary bytes as the node's kubelet binary: it
 * reads offsets and sizes from the file, so every one must be checked. A version it returns has
 * the form it promises, v1.MINOR.PATCH with at most 128 bytes, and no error is returned for
 * anything the file holds (a file it cannot read as a kubelet is "no version", 0).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "remedy/go-binary-version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *version = NULL;
        const char *how = NULL;

        int fd = memfd_create("fuzz-go-binary", MFD_CLOEXEC);
        if (fd < 0)
                abort();
        for (size_t done = 0; done < size;) {
                ssize_t n = write(fd, data + done, size - done);
                if (n <= 0)
                        abort();
                done += (size_t) n;
        }
        int r = go_binary_kubernetes_version(fd, "k8s.io/kubernetes/cmd/kubelet", &version, &how);
        (void) close(fd);
        fuzz_check(r == 0 || r == 1 || r == -ENOMEM, "returns %d", r);
        if (r == 1) {
                fuzz_check(version && strncmp(version, "v1.", 3) == 0 && strlen(version) <= 128, "version %s",
                           version ? version : "(null)");
                fuzz_check(how != NULL, "says how");
        }
        return 0;
}
