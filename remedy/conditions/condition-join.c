/* SPDX-License-Identifier: MIT */
/*
 * when: / match: {kubeadm-join: {pending: BOOL}}
 *
 * Whether the node is still waiting for `kubeadm join` (FAILURES.md B.4, "awaiting join"): none
 * of the files join writes exists yet — the kubelet's config.yaml, kubelet.conf,
 * bootstrap-kubelet.conf, nor the kubeconfig the kubelet's command line names. Until then the
 * packaged kubelet crash-loops by design, and what matters is what join will trip over: the
 * pre-join playbooks match on this.
 */
#include <errno.h>
#include <stdlib.h>

#include "remedy/action.h"
#include "remedy/context.h"
#include "remedy/kubelet-cmdline.h"
#include "remedy/pattern.h"
#include "remedy/strv.h"

typedef struct JoinArgs {
        bool pending;
} JoinArgs;

static int join_args_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "pending", NULL };
        _cleanup_free_ JoinArgs *a = calloc(1, sizeof(JoinArgs));
        int r;

        if (!a)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "kubeadm-join", keys)) < 0 ||
            (r = parse_bool(pc, args, "pending", true, &a->pending)) < 0)
                return r;
        *ret = TAKE_PTR(a);
        return 0;
}

/* A path of the kubelet's command line as the kubelet opens it (relative to "/", its working
 * directory): 1 when something is there. */
static int cmdline_file_exists(Context *c, const char *path) {
        _cleanup_free_ char *absolute = NULL;
        FileKind kind;
        mode_t mode;

        if (!path)
                return 0;
        if (asprintf(&absolute, "%s%s", path[0] == '/' ? "" : "/", path) < 0)
                return -ENOMEM;
        int r = ctx_stat(c, absolute, &kind, &mode);
        if (r == -ENOMEM)
                return r;
        return r >= 0 && kind != FILE_ABSENT;
}

int kubeadm_join_pending(Context *c) {
        _cleanup_(kubelet_cmdline_done) KubeletCommandLine cl = {};
        int r;

        const NodeFS fs = ctx_node_fs(c);
        r = kubelet_cmdline_resolve(&fs, "kubelet.service", NULL, &cl, NULL);
        if (r == -ENOMEM)
                return r;
        /* kubeadm's files, and the ones the kubelet's command line names: a node set up by other
         * means (EKS's nodeadm, a hand-written unit) has its --config and --kubeconfig. */
        const char * const written_by_join[] = {
                "/var/lib/kubelet/config.yaml", "/etc/kubernetes/kubelet.conf", "/etc/kubernetes/bootstrap-kubelet.conf",
                r >= 0 ? cl.config_path : NULL, r >= 0 ? cl.kubeconfig_path : NULL,
        };
        for (size_t i = 0; i < ELEMENTSOF(written_by_join); i++)
                if ((r = cmdline_file_exists(c, written_by_join[i])) != 0)
                        return r < 0 ? r : 0;
        return 1;
}

static int join_condition_eval(Context *c, const void *args, char **ret_error) {
        const JoinArgs *a = args;
        int r, pending = kubeadm_join_pending(c);
        if (pending < 0)
                return pending;
        if (pending && a->pending) {
                _cleanup_free_ char *line = NULL;
                if ((r = evidence_printf(&line, "the node has not joined yet: none of the files kubeadm join writes "
                                                "exists (/var/lib/kubelet/config.yaml, /etc/kubernetes/kubelet.conf, "
                                                "/etc/kubernetes/bootstrap-kubelet.conf)")) < 0 ||
                    (r = strv_extend(&c->evidence, line)) < 0)
                        return r;
        }
        return (pending > 0) == a->pending;
}

const ConditionType condition_kubeadm_join = {
        .key = "kubeadm-join",
        .parse = join_args_parse,
        .eval = join_condition_eval,
        .free_args = free,
};
