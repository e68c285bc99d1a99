/* SPDX-License-Identifier: MIT */
/*
 * cri-endpoint: {aligned: BOOL}    (a condition for match:/when:, and a check for verify:)
 *
 * The kubelet's container runtime endpoint names the socket containerd listens on, or something
 * else that listens (cri-endpoint.h): aligned: false is FAILURES.md B.10's wrong endpoint, a
 * kubelet dialing a socket that is not there while containerd listens on its own. A node without
 * containerd, or without a kubelet configuration to judge (before join), holds neither.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "remedy/action.h"
#include "remedy/context.h"
#include "remedy/cri-endpoint.h"
#include "remedy/strv.h"

typedef struct CriEndpointArgs {
        bool aligned;
} CriEndpointArgs;

static int cri_endpoint_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "aligned", NULL };
        CriEndpointArgs *a = calloc(1, sizeof(CriEndpointArgs));
        int r;

        if (!a)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "cri-endpoint", keys)) < 0 ||
            (r = parse_bool(pc, args, "aligned", true, &a->aligned)) < 0) {
                free(a);
                return r;
        }
        *ret = a;
        return 0;
}

/* >0 as wanted, 0 not, with evidence either way; -ENODEV nothing to judge. */
static int cri_endpoint_judge_args(Context *c, const CriEndpointArgs *a, char **ret_evidence) {
        _cleanup_(cri_endpoint_done) CriEndpoint e = {};
        int r = cri_endpoint_judge(c, &e);
        if (r < 0)
                return r;
        r = asprintf(ret_evidence, "the kubelet's container runtime endpoint %s (%s%s) %s; containerd listens on %s (%s)",
                     e.kubelet_endpoint, e.setting.set ? (e.setting.flag ? "--container-runtime-endpoint at " : "set at ") : "",
                     e.setting.set ? e.setting.source : "the kubelet's default",
                     e.aligned ? "is where a runtime listens" : "names no socket on the node", e.address,
                     e.address_file ? e.address_file : "containerd's default");
        if (r < 0)
                return -ENOMEM;
        return e.aligned == a->aligned;
}

static int cri_endpoint_eval(Context *c, const void *args, char **ret_error) {
        _cleanup_free_ char *evidence = NULL;
        int r = cri_endpoint_judge_args(c, args, &evidence);
        if (r == -ENODEV)
                return 0;
        if (r > 0 && evidence && strv_extend(&c->evidence, evidence) < 0)
                return -ENOMEM;
        return r;
}

static int cri_endpoint_check_run(Context *c, const void *args, char **ret_evidence) {
        _cleanup_free_ char *evidence = NULL;
        int r = cri_endpoint_judge_args(c, args, &evidence);
        if (r == -ENODEV)
                return (*ret_evidence = strdup("no containerd, or no kubelet configuration, to judge")) ? -EOPNOTSUPP : -ENOMEM;
        if (r >= 0)
                *ret_evidence = TAKE_PTR(evidence);
        return r;
}

const ConditionType condition_cri_endpoint = {
        .key = "cri-endpoint",
        .parse = cri_endpoint_parse,
        .eval = cri_endpoint_eval,
        .free_args = free,
};

const CheckType check_cri_endpoint = {
        .key = "cri-endpoint",
        .parse = cri_endpoint_parse,
        .run = cri_endpoint_check_run,
        .free_args = free,
        .state = true,
};
