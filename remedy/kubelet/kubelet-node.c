/* SPDX-License-Identifier: MIT */
/*
 * Which flags the node's kubelet accepts: live, the installed kubelet's own --help; otherwise the
 * shipped per-minor-version list, for a version given, the one of the node's kubelet package
 * (package-version.h), or, for a kubelet installed without a package, the one its binary was
 * built as (go-binary-version.h). Shared by the kubelet-flags action and diagnose's command-line
 * report.
 */
#include "remedy/kubelet-node.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/context.h"
#include "remedy/exec-util.h"
#include "remedy/go-binary-version.h"
#include "remedy/unit-exec.h"
#include "remedy/package-version.h"
#include "remedy/strv.h"

extern const char kubelet_flags_data[];
extern const size_t kubelet_flags_data_size;

#define KUBELET_BINARY "/usr/bin/kubelet"   /* kubeadm's kubelet.service ExecStart */

/*
 * Live, the kubelet that will run is the authority on the flags it accepts: its --help lists them
 * (pflag's usage format). 0 with *ret NULL when there is no such binary (fall back to the list).
 */
static int flag_set_from_binary(Context *c, const char *binary_arg, KubeletFlagSet **ret) {
        _cleanup_free_ char *binary = NULL, *help = NULL;
        size_t size;
        int status, r;

        *ret = NULL;
        if (!(binary = strdup(binary_arg ? binary_arg : KUBELET_BINARY)))
                return -ENOMEM;

        char *argv[] = { binary, (char *) "--help", NULL };
        r = exec_capture(argv, 10000, 1024 * 1024, &help, &size, &status);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return ctx_error(c, r, "kubelet-flags: cannot run \"%s --help\": %s", binary, strerror(-r));
        if (status != 0)
                return ctx_error(c, -EIO, "kubelet-flags: \"%s --help\" exited with status %d", binary, status);
        r = kubelet_flag_set_from_help(help, size, ret);
        if (r < 0 || !kubelet_flag_set_has(*ret, "config"))
                /* Removing every flag because the help text was not understood would wreck the node. */
                return ctx_error(c, r < 0 ? r : -EBADMSG,
                                 "kubelet-flags: \"%s --help\" did not print kubelet's flags; pass kubelet_version instead",
                                 binary);
        return 1;
}

/*
 * The version the node's kubelet binary was built as, read from the binary on disk (no playbook
 * step writes it, so not through the overlay): binary_arg, else the executable of kubelet.service's
 * effective ExecStart=, else KUBELET_BINARY. 0 with *ret_version NULL when it cannot be told.
 */
static int version_from_binary(Context *c, const char *binary_arg, char **ret_version, char **ret_source) {
        _cleanup_(unit_exec_done) UnitExec e = {};
        _cleanup_free_ char *error = NULL, *version = NULL;
        const NodeFS fs = ctx_node_fs(c);
        const char *path = binary_arg, *how;
        int r;

        if (!path) {
                /* The executable is systemd's to say; the kubelet's flags do not matter here. */
                r = unit_exec_resolve(&fs, "kubelet.service", &e, &error);
                if (r == -ENOMEM)
                        return r;
                path = r >= 0 && e.executable ? e.executable : KUBELET_BINARY;
        }
        _cleanup_close_ int fd = root_open_file(c->root, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0);
        if (fd < 0)
                return fd == -ENOMEM ? fd : 0;   /* no binary there (or not reachable): not known */
        r = go_binary_kubernetes_version(fd, "k8s.io/kubernetes/cmd/kubelet", &version, &how);
        if (r <= 0)
                return r;
        if (asprintf(ret_source, "%s (%s)", path, how) < 0)
                return -ENOMEM;
        *ret_version = TAKE_PTR(version);
        return 1;
}

/*
 * The flag set of the node's kubelet: live, from the installed kubelet's --help; otherwise (or
 * when there is no kubelet binary) from the shipped list for kubelet_version or the version of
 * the node's kubelet package, or of its binary. *ret stays NULL when no version is known and none is needed
 * (remove only: flags are then read without knowing which are boolean).
 */
int kubelet_node_flag_set(Context *c, const char *binary, const char *version_arg, bool required, KubeletFlagSet **ret) {
        _cleanup_free_ char *version = NULL, *minor = NULL, *error = NULL;
        const char *from;
        unsigned m;
        int r;

        *ret = NULL;
        if (version_arg && !(version = strdup(version_arg)))
                return -ENOMEM;
        bool given = version && *version;
        if (!given && !c->offline) {
                r = flag_set_from_binary(c, binary, ret);
                if (r != 0)
                        return r < 0 ? r : 0;
        }
        _cleanup_free_ char *source = NULL;
        bool rpm_unreadable = false;
        if (given)
                from = "kubelet_version";
        else {
                /* An empty kubelet_version (a parameter's "" default) means: ask the node, dpkg's
                 * database first, then RPM's, then the kubelet binary itself. */
                const NodeFS fs = ctx_node_fs(c);
                static const char *const names[] = { "kubelet", NULL };
                version = mfree(version);
                if ((r = package_version(&fs, names, &version, &source)) < 0)
                        return r;
                if (r == 0) {
                        r = rpm_package_version(c->root, names, &version, &source);
                        if (r == -ENOPKG)
                                rpm_unreadable = true;
                        else if (r < 0)
                                return ctx_error(c, r, "kubelet-flags: cannot read the node's RPM database: %s", strerror(-r));
                }
                if (!version && (r = version_from_binary(c, binary, &version, &source)) < 0)
                        return ctx_error(c, r, "kubelet-flags: cannot read the kubelet binary: %s", strerror(-r));
                from = source ? source : DPKG_STATUS;
        }
        if (!version) {
                if (!required)
                        return 0;
                return ctx_error(c, -ENOENT,
                                 "kubelet-flags: cannot tell which kubelet version the node runs (%s); pass "
                                 "kubelet_version, e.g. kubelet_version: \"1.33\"",
                                 rpm_unreadable ? "it has an RPM database, and this machine has no /usr/bin/rpm to read it"
                                                : "no installed kubelet package in dpkg's or RPM's database, and "
                                                  "no version in the kubelet binary");
        }

        /* dpkg versions may carry an epoch: "1:1.33.1-1.1" */
        const char *v = version;
        if (!given && strchr(v, ':'))
                v = strchr(v, ':') + 1;
        if (kubelet_version_minor(v, &m) < 0)
                return ctx_error(c, -EINVAL, "kubelet-flags: %s: \"%s\" is not a kubelet version like \"1.33\"", from,
                                 version);
        if (asprintf(&minor, "1.%u", m) < 0)
                return -ENOMEM;

        r = kubelet_flag_set_from_data(kubelet_flags_data, kubelet_flags_data_size, minor, ret, &error);
        if (r == -ENOENT) {
                _cleanup_strv_free_ char **versions = NULL;
                if (kubelet_flag_data_versions(kubelet_flags_data, kubelet_flags_data_size, &versions) < 0 || !versions)
                        return -ENOMEM;
                if (!required && !given)
                        return 0;
                return ctx_error(c, r, "kubelet-flags: kubelet %s (from %s) is not in the shipped flag list, which covers "
                                 "%s to %s", minor, from, versions[0], versions[strv_length(versions) - 1]);
        }
        if (r < 0)
                return ctx_error(c, r, "shipped kubelet flag list:%s", error ? error : " unreadable");
        return 0;
}

int kubelet_node_flag_sets_unversioned(Context *c, KubeletFlagSet **ret_ever, KubeletFlagSet **ret_always) {
        _cleanup_(kubelet_flag_set_freep) KubeletFlagSet *ever = NULL, *always = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        if ((r = kubelet_flag_set_across_versions(kubelet_flags_data, kubelet_flags_data_size, false, &ever, &error)) < 0 ||
            (r = kubelet_flag_set_across_versions(kubelet_flags_data, kubelet_flags_data_size, true, &always, &error)) < 0)
                return ctx_error(c, r, "shipped kubelet flag list:%s", error ? error : " unreadable");
        *ret_ever = TAKE_PTR(ever);
        *ret_always = TAKE_PTR(always);
        return 0;
}

int kubelet_node_judging_set(Context *c, const char *binary, const char *version, KubeletFlagSet **ret,
                             KubeletFlagSet **ret_always) {
        int r;

        *ret_always = NULL;
        if ((r = kubelet_node_flag_set(c, binary, version, false, ret)) < 0)
                return r;
        if (*ret)
                return 0;
        return kubelet_node_flag_sets_unversioned(c, ret, ret_always);
}

/* "Kubernetes v1.30.2": the minor of the kubelet that will run, as its own verflag prints it. */
static int minor_from_binary(unsigned *ret) {
        _cleanup_free_ char *out = NULL;
        size_t size;
        int status;
        char *argv[] = { (char *) KUBELET_BINARY, (char *) "--version", NULL };
        int r = exec_capture(argv, 10000, 64 * 1024, &out, &size, &status);
        if (r == -ENOENT || (r >= 0 && status != 0))
                return 0;
        if (r < 0)
                return r;
        const char *v = strstr(out, "Kubernetes v");
        if (!v || kubelet_version_minor(v + strlen("Kubernetes v"), ret) < 0)
                return 0;
        return 1;
}

int kubelet_node_minor(Context *c, const char *version_arg, unsigned *ret_minor) {
        _cleanup_free_ char *version = NULL, *source = NULL;
        int r;

        if (version_arg && *version_arg) {
                if (kubelet_version_minor(version_arg, ret_minor) < 0)
                        return ctx_error(c, -EINVAL, "kubelet_version: \"%s\" is not a kubelet version like \"1.33\"",
                                         version_arg);
                return 1;
        }
        if (!c->offline && (r = minor_from_binary(ret_minor)) != 0)
                return r;
        const NodeFS fs = ctx_node_fs(c);
        static const char *const names[] = { "kubelet", NULL };
        if ((r = package_version(&fs, names, &version, &source)) < 0)
                return r;
        if (r == 0 && (r = rpm_package_version(c->root, names, &version, &source)) < 0)
                return r == -ENOPKG ? 0 : r;
        if (r == 0)
                return 0;
        const char *v = strchr(version, ':') ? strchr(version, ':') + 1 : version;
        return kubelet_version_minor(v, ret_minor) < 0 ? 0 : 1;
}
