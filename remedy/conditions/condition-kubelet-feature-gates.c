/* SPDX-License-Identifier: MIT */
/*
 * when: / match: / verify: {kubelet-feature-gates: {rejected: BOOL, kubelet_version: VERSION}}
 *
 * Whether the kubelet's effective configuration sets a feature gate this kubelet no longer
 * recognizes (kubelet-feature-gates.h): by the shipped list of removed gates for its version
 * (kubelet_version, else its own --version live, else its package's), and by the gate its own
 * journal names. The evidence names each gate with the file (and variable) that sets it. As a
 * check it judges the node's configuration (state). A node without kubelet.service matches nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "remedy/action.h"
#include "remedy/context.h"
#include "remedy/kubelet-feature-gates.h"
#include "remedy/strv.h"

typedef struct KubeletGatesCondition {
        bool rejected;
        Template *kubelet_version;
} KubeletGatesCondition;

static void kubelet_gates_condition_free(void *p) {
        KubeletGatesCondition *k = p;
        if (!k)
                return;
        template_free(k->kubelet_version);
        free(k);
}

static int kubelet_gates_condition_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "rejected", "kubelet_version", NULL };
        KubeletGatesCondition *k = calloc(1, sizeof(KubeletGatesCondition));
        int r;

        if (!k)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "kubelet-feature-gates", keys)) < 0 ||
            (r = parse_bool(pc, args, "rejected", true, &k->rejected)) < 0 ||
            (r = parse_template(pc, args, "kubelet_version", false, 0, "a kubelet version", &k->kubelet_version)) < 0) {
                kubelet_gates_condition_free(k);
                return r;
        }
        *ret = k;
        return 0;
}

/* >0 as asked, 0 not; *ret_evidence names the rejected gates and where they are set. */
static int kubelet_gates_judge(Context *c, const KubeletGatesCondition *k, char **ret_evidence) {
        _cleanup_(kubelet_gate_uses_freep) KubeletGateUses *uses = NULL;
        _cleanup_strv_free_ char **rejected = NULL;
        _cleanup_free_ char *version = NULL, *note = NULL;
        size_t size = 0, n = 0;
        int r;

        if (k->kubelet_version && (r = ctx_render(c, k->kubelet_version, &version)) < 0)
                return r;
        if ((r = kubelet_feature_gates_collect(c, &uses)) < 0 ||
            (r = kubelet_feature_gates_rejected(c, version, uses, &rejected, &note)) < 0)
                return r;
        FILE *out = open_memstream(ret_evidence, &size);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < uses->n; i++) {
                const KubeletGateUse *u = &uses->uses[i];
                if (!strv_contains(rejected, u->gate))
                        continue;
                fprintf(out, "%s%s (%s%s%s)", n++ ? ", " : "the kubelet's configuration sets feature gates it no longer recognizes: ",
                        u->gate, u->source, u->variable ? " $" : "", strempty(u->variable));
        }
        if (n == 0)
                fputs("the kubelet's configuration sets no feature gate it rejects", out);
        if (note)
                fprintf(out, " (%s)", note);
        if (fclose(out) != 0)
                return -ENOMEM;
        return (n > 0) == k->rejected;
}

static int kubelet_gates_condition_eval(Context *c, const void *args, char **ret_error) {
        _cleanup_free_ char *evidence = NULL;
        int r = kubelet_gates_judge(c, args, &evidence);
        if (r > 0 && evidence && strv_extend(&c->evidence, evidence) < 0)
                return -ENOMEM;
        return r;
}

static int kubelet_gates_check_run(Context *c, const void *args, char **ret_evidence) {
        _cleanup_free_ char *evidence = NULL;
        int r = kubelet_gates_judge(c, args, &evidence);
        if (r == 0)
                *ret_evidence = TAKE_PTR(evidence);
        return r;
}

const ConditionType condition_kubelet_feature_gates = {
        .key = "kubelet-feature-gates",
        .parse = kubelet_gates_condition_parse,
        .eval = kubelet_gates_condition_eval,
        .free_args = kubelet_gates_condition_free,
};

const CheckType check_kubelet_feature_gates = {
        .key = "kubelet-feature-gates",
        .parse = kubelet_gates_condition_parse,
        .run = kubelet_gates_check_run,
        .free_args = kubelet_gates_condition_free,
        .state = true,
};
