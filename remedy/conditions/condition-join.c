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

int kubeadm_join_pending(Context *c) {
        _cleanup_free_ char *kubeconfig = NULL;
        int r;

        const NodeFS fs = ctx_node_fs(c);
        if ((r = kubelet_cmdline_kubeconfig(&fs, &kubeconfig)) < 0)
                return r;
        const char * const written_by_join[] = {
                "/var/lib/kubelet/config.yaml", "/etc/kubernetes/kubelet.conf",
                "/etc/kubernetes/bootstrap-kubelet.conf", kubeconfig,
        };
        for (size_t i = 0; i < ELEMENTSOF(written_by_join); i++) {
                FileKind kind;
                mode_t mode;
                r = ctx_stat(c, written_by_join[i], &kind, &mode);
                if (r == -ENOMEM)
                        return r;
                if (r >= 0 && kind != FILE_ABSENT)
                        return 0;
        }
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
