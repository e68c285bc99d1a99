/* SPDX-License-Identifier: MIT */
/*
 * when: / match: {kubelet-cgroup-v1: {refused: BOOL, kubelet_version: VERSION}}
 *
 * Whether the kubelet refuses this host's cgroup hierarchy: the host is on cgroup v1 (the
 * filesystem at /sys/fs/cgroup is not cgroup2: a tmpfs of v1 controllers, legacy or hybrid), the
 * kubelet is 1.35 or later, where failCgroupV1 defaults to true (KEP-5573,
 * pkg/kubelet/apis/config/validation: "kubelet is configured to not run on a host using cgroup
 * v1"), and its effective configuration does not set failCgroupV1 (or --fail-cgroupv1) to false.
 * Judged live only: which hierarchy a node boots into is the kernel's and systemd's choice at
 * boot, not a file's, so offline (--root) this is false and the kubelet's own journal line is
 * what a playbook can match there.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include "remedy/action.h"
#include "remedy/context.h"
#include "remedy/kubelet-cmdline.h"
#include "remedy/kubelet-node.h"
#include "remedy/strv.h"

#define FAIL_CGROUP_V1_DEFAULT_MINOR 35

typedef struct CgroupV1Args {
        bool refused;
        Template *kubelet_version;
} CgroupV1Args;

static void cgroup_v1_args_free(void *p) {
        CgroupV1Args *a = p;
        if (!a)
                return;
        template_free(a->kubelet_version);
        free(a);
}

static int cgroup_v1_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "refused", "kubelet_version", NULL };
        CgroupV1Args *a = calloc(1, sizeof(CgroupV1Args));
        int r;

        if (!a)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "kubelet-cgroup-v1", keys)) < 0 ||
            (r = parse_bool(pc, args, "refused", true, &a->refused)) < 0 ||
            (r = parse_template(pc, args, "kubelet_version", false, 0, "a kubelet version", &a->kubelet_version)) < 0) {
                cgroup_v1_args_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

static int cgroup_v1_eval(Context *c, const void *args, char **ret_error) {
        const CgroupV1Args *a = args;
        _cleanup_(kubelet_cmdline_done) KubeletCommandLine cl = {};
        _cleanup_(kubelet_setting_done) KubeletSetting s = {};
        _cleanup_free_ char *version = NULL, *error = NULL, *evidence = NULL;
        const NodeFS fs = ctx_node_fs(c);
        struct statfs st;
        unsigned minor;
        int r;

        if (c->offline)
                return !a->refused;   /* not judged from files: see above */
        if (statfs("/sys/fs/cgroup", &st) < 0)
                return ctx_error(c, -errno, "/sys/fs/cgroup: %m");
        if (st.f_type == CGROUP2_SUPER_MAGIC)
                return !a->refused;
        if (a->kubelet_version && (r = ctx_render(c, a->kubelet_version, &version)) < 0)
                return r;
        if ((r = kubelet_node_minor(c, version, &minor)) < 0)
                return r;
        if (r == 0 || minor < FAIL_CGROUP_V1_DEFAULT_MINOR)
                return !a->refused;
        r = kubelet_cmdline_resolve(&fs, "kubelet.service", NULL, &cl, &error);
        if (r == -ENOENT && !error)
                return !a->refused;
        if (r < 0)
                return r == -ENOMEM ? r : ctx_error(c, r, "kubelet.service: %s", error ? error : strerror(-r));
        r = kubelet_cmdline_setting(&cl, &fs, "failCgroupV1", &s, &error);
        if (r == -ENOMEM)
                return r;
        if (r >= 0 && s.set && s.value && (streq(s.value, "false") || streq(s.value, "False") || streq(s.value, "0")))
                return !a->refused;   /* the operator's stopgap: the kubelet runs on v1 */
        if (!a->refused)
                return 0;
        if (asprintf(&evidence, "/sys/fs/cgroup is %s, not cgroup2: this host runs cgroup v1, which kubelet 1.%u refuses "
                     "(failCgroupV1 %s)", st.f_type == TMPFS_MAGIC ? "a tmpfs of cgroup v1 controllers" : "not cgroup2",
                     minor, r >= 0 && s.set ? "true" : "unset: true by default from 1.35") < 0 ||
            strv_consume(&c->evidence, TAKE_PTR(evidence)) < 0)
                return -ENOMEM;
        return 1;
}

const ConditionType condition_kubelet_cgroup_v1 = {
        .key = "kubelet-cgroup-v1",
        .parse = cgroup_v1_parse,
        .eval = cgroup_v1_eval,
        .free_args = cgroup_v1_args_free,
};
