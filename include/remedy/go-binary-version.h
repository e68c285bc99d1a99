/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The Kubernetes version a Go binary was built as, read from the binary itself, for a kubelet
 * installed without a package (a release tarball in /usr/local/bin, EKS's and kubespray's
 * downloads), where no package database knows it:
 *
 *     _cleanup_close_ int fd = root_open_file(root, "/usr/bin/kubelet", O_RDONLY|O_CLOEXEC|O_NONBLOCK, 0);
 *     _cleanup_free_ char *version = NULL;
 *     const char *how;
 *     r = go_binary_kubernetes_version(fd, "k8s.io/kubernetes/cmd/kubelet", &version, &how);
 *     if (r > 0) ... version "v1.29.14" ...
 *
 * The rule, from how Kubernetes builds its binaries and how Go's linker lays them out (measured
 * on Kubernetes' own kubectl 1.27 to 1.33 release builds; kubectl and the kubelet are built by the
 * same hack/lib/golang.sh):
 *
 *  1. The binary must be that Go program: its ELF section .go.buildinfo (magic "\xff Go buildinf:",
 *     read as Go's debug/buildinfo reads it, inline strings of Go 1.18+ or the pointers of older
 *     ones) holds the module information, whose "path" line names the main package
 *     (k8s.io/kubernetes/cmd/kubelet). Anything else (k3s's all-in-one binary, a wrapper script,
 *     a stand-in) is not read: 0.
 *  2. Go 1.24 and later stamp the main module's version from the release tag:
 *     "mod\tk8s.io/kubernetes\tv1.33.1". That version is taken when it is one ("v1.N.…"), not
 *     "(devel)".
 *  3. Otherwise the version is the value hack/lib/version.sh gave the linker with
 *     -X k8s.io/component-base/version.gitVersion=v1.29.14 (and the same for client-go's copy).
 *     Kubernetes builds with -trimpath, so the ldflags are not in the build information; the
 *     linker writes each -X value into .rodata as a string of its own, NUL-terminated (Go's
 *     string literals are packed without terminators). So: the NUL-terminated strings of .rodata
 *     of the form v1.MINOR.PATCH[-pre][+build]. Exactly one distinct value is the version;
 *     none, or two different ones, and the version is not known (0).
 *
 * Bounded: section headers and .go.buildinfo up to 1 MiB, .rodata up to 256 MiB, read with
 * pread() from fd. Returns 1 with *ret_version and *ret_how (a static phrase naming the rule
 * used), 0 when the file is not that program or no version can be told, <0 on I/O errors.
 */

int go_binary_kubernetes_version(int fd, const char *main_package, char **ret_version, const char **ret_how);
