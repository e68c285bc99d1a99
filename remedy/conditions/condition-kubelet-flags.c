/* SPDX-License-Identifier: MIT */
/*
 * when: / match: / verify: {kubelet-flags: {rejected: BOOL, kubelet_version: VERSION}}
 *
 * Whether the kubelet's effective command line (kubelet.service, its drop-ins and environment
 * files, expanded as systemd expands them: kubelet-cmdline.h) holds a flag this kubelet rejects
 * at start-up ("unknown flag"), judged by its flag set: kubelet_version's when given, else its
 * package's, else, when no version can be had, only what no kubelet version accepts (a typo)
 * counts. The evidence names each rejected word with the file, line and variable it came from,
 * so that a flag written on ExecStart= itself, which remedy does not rewrite, is named too.
 *
 * As a check it judges the node's configuration (state), so a playbook whose steps cannot
 * remove a flag does not report "Nothing to do". A kubelet without a unit matches nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "remedy/action.h"
#include "remedy/context.h"
#include "remedy/kubelet-cmdline.h"
#include "remedy/kubelet-node.h"
#include "remedy/strv.h"

typedef struct KubeletFlagsCondition {
        bool rejected;
        Template *kubelet_version;
} KubeletFlagsCondition;

static void kubelet_flags_condition_free(void *p) {
        KubeletFlagsCondition *k = p;
        if (!k)
                return;
        template_free(k->kubelet_version);
        free(k);
}

static int kubelet_flags_condition_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "rejected", "kubelet_version", NULL };
        KubeletFlagsCondition *k = calloc(1, sizeof(KubeletFlagsCondition));
        int r;

        if (!k)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "kubelet-flags", keys)) < 0 ||
            (r = parse_bool(pc, args, "rejected", true, &k->rejected)) < 0 ||
            (r = parse_template(pc, args, "kubelet_version", false, 0, "a kubelet version", &k->kubelet_version)) < 0) {
                kubelet_flags_condition_free(k);
                return r;
        }
        *ret = k;
        return 0;
}

/* >0 as asked, 0 not, -ENOENT without a kubelet unit; *ret_evidence names the rejected words. */
static int kubelet_flags_judge(Context *c, const KubeletFlagsCondition *k, char **ret_evidence) {
        _cleanup_(kubelet_flag_set_freep) KubeletFlagSet *known = NULL, *always = NULL;
        _cleanup_(kubelet_cmdline_done) KubeletCommandLine cl = {};
        _cleanup_free_ char *version = NULL, *error = NULL;
        const NodeFS fs = ctx_node_fs(c);
        size_t size = 0, rejected = 0;
        int r;

        if (k->kubelet_version && (r = ctx_render(c, k->kubelet_version, &version)) < 0)
                return r;
        if ((r = kubelet_node_judging_set(c, NULL, version, &known, &always)) < 0)
                return r;
        r = kubelet_cmdline_resolve(&fs, "kubelet.service", known, &cl, &error);
        if (r == -ENOENT && !error)
                return -ENOENT;
        if (r < 0)
                return r == -ENOMEM ? r : ctx_error(c, r, "kubelet.service: %s", error ? error : strerror(-r));

        FILE *out = open_memstream(ret_evidence, &size);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < cl.n_args; i++) {
                const KubeletArg *a = &cl.args[i];
                if (a->accepted != 0)
                        continue;
                fprintf(out, "%s%s (%s%s%s)", rejected++ ? ", " : "the kubelet's command line holds what it rejects: ",
                        a->word, a->source, a->variable ? " $" : ", on ExecStart= itself", strempty(a->variable));
        }
        if (rejected == 0)
                fputs("the kubelet's command line holds no flag it rejects", out);
        if (always)
                fputs(" (the kubelet's version cannot be read here: judged by what no kubelet version accepts)", out);
        if (fclose(out) != 0)
                return -ENOMEM;
        return (rejected > 0) == k->rejected;
}

static int kubelet_flags_condition_eval(Context *c, const void *args, char **ret_error) {
        _cleanup_free_ char *evidence = NULL;
        int r = kubelet_flags_judge(c, args, &evidence);
        if (r == -ENOENT)
                return 0;
        if (r > 0 && evidence && strv_extend(&c->evidence, evidence) < 0)
                return -ENOMEM;
        return r;
}

static int kubelet_flags_check_run(Context *c, const void *args, char **ret_evidence) {
        _cleanup_free_ char *evidence = NULL;
        int r = kubelet_flags_judge(c, args, &evidence);
        if (r == -ENOENT)
                return (*ret_evidence = strdup("there is no kubelet.service to read")) ? -EOPNOTSUPP : -ENOMEM;
        if (r == 0)
                *ret_evidence = TAKE_PTR(evidence);
        return r;
}

const ConditionType condition_kubelet_flags = {
        .key = "kubelet-flags",
        .parse = kubelet_flags_condition_parse,
        .eval = kubelet_flags_condition_eval,
        .free_args = kubelet_flags_condition_free,
};

const CheckType check_kubelet_flags = {
        .key = "kubelet-flags",
        .parse = kubelet_flags_condition_parse,
        .run = kubelet_flags_check_run,
        .free_args = kubelet_flags_condition_free,
        .state = true,
};
