/* SPDX-License-Identifier: MIT */
/*
 * sandbox-image: {in_store: BOOL, replacement: BOOL}    (a condition for match:/when:, and a
 * check for verify:)
 *
 * containerd's effective sandbox image against its image store (sandbox-image.h): in_store, the
 * image is in the k8s.io namespace of the store; replacement, the store holds an image to point
 * containerd at instead (the kubelet's --pod-infra-container-image, else a REGISTRY/pause:TAG).
 * Each given key must hold. The store is read live only: offline (and for another machine) the
 * condition holds for neither value and the check says "not checked offline". A node without
 * containerd holds neither.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "remedy/action.h"
#include "remedy/context.h"
#include "remedy/sandbox-image.h"
#include "remedy/strv.h"

typedef struct SandboxImageArgs {
        int in_store;      /* -1: not asked */
        int replacement;
} SandboxImageArgs;

static int sandbox_image_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "in_store", "replacement", NULL };
        SandboxImageArgs *a = calloc(1, sizeof(SandboxImageArgs));
        bool v;
        int r;

        if (!a)
                return -ENOMEM;
        a->in_store = a->replacement = -1;
        if ((r = parse_check_keys(pc, args, "sandbox-image", keys)) < 0)
                goto fail;
        if ((r = parse_bool(pc, args, "in_store", false, &v)) < 0)
                goto fail;
        if (r > 0)
                a->in_store = v;
        if ((r = parse_bool(pc, args, "replacement", false, &v)) < 0)
                goto fail;
        if (r > 0)
                a->replacement = v;
        if (a->in_store < 0 && a->replacement < 0) {
                r = parse_error(pc, args, "sandbox-image needs in_store or replacement");
                goto fail;
        }
        *ret = a;
        return 0;
fail:
        free(a);
        return r;
}

/* >0 as wanted, 0 not, with evidence either way; -ENODEV nothing to judge, -EOPNOTSUPP store not read. */
static int judge(Context *c, const SandboxImageArgs *a, char **ret_evidence) {
        _cleanup_(sandbox_image_done) SandboxImage s = {};
        _cleanup_free_ char *store = NULL, *kubelet = NULL;
        int r = sandbox_image_judge(c, &s);
        if (r < 0)
                return r;
        if (s.kubelet_image && asprintf(&kubelet, "; the kubelet names %s (--pod-infra-container-image at %s)",
                                        s.kubelet_image, s.kubelet_source) < 0)
                return -ENOMEM;
        if (!s.store_checked) {
                if (asprintf(ret_evidence, "containerd's sandbox image %s (%s); its image store: %s%s",
                             s.image ? s.image : "(containerd's default)", s.image_file ? s.image_file : "containerd's default",
                             s.store_error, strempty(kubelet)) < 0)
                        return -ENOMEM;
                return -EOPNOTSUPP;
        }
        if (s.pause_images) {
                size_t size = 0;
                FILE *list = open_memstream(&store, &size);
                if (!list)
                        return -ENOMEM;
                fputs("pause images in the store: ", list);
                STRV_FOREACH(p, s.pause_images)
                        fprintf(list, "%s%s", p == s.pause_images ? "" : ", ", *p);
                if (fclose(list) != 0)
                        return -ENOMEM;
        } else if (!(store = strdup("no pause image in the store")))
                return -ENOMEM;
        if (asprintf(ret_evidence, "containerd's sandbox image %s (%s) is %sin its image store (ctr -n k8s.io images ls); %s%s",
                     s.image ? s.image : "(containerd's default)", s.image_file ? s.image_file : "containerd's default",
                     s.in_store ? "" : "not ", store, strempty(kubelet)) < 0)
                return -ENOMEM;
        bool replacement = s.replacement && !s.in_store;
        return (a->in_store < 0 || s.in_store == (bool) a->in_store) &&
               (a->replacement < 0 || replacement == (bool) a->replacement);
}

static int sandbox_image_eval(Context *c, const void *args, char **ret_error) {
        _cleanup_free_ char *evidence = NULL;
        int r = judge(c, args, &evidence);
        if (r == -ENODEV || r == -EOPNOTSUPP)
                return 0;
        if (r > 0 && evidence && strv_extend(&c->evidence, evidence) < 0)
                return -ENOMEM;
        return r;
}

static int sandbox_image_check_run(Context *c, const void *args, char **ret_evidence) {
        _cleanup_free_ char *evidence = NULL;
        int r = judge(c, args, &evidence);
        if (r == -ENODEV)
                return (*ret_evidence = strdup("no containerd on this node")) ? -EOPNOTSUPP : -ENOMEM;
        if (r >= 0 || r == -EOPNOTSUPP)
                *ret_evidence = TAKE_PTR(evidence);
        return r;
}

const ConditionType condition_sandbox_image = {
        .key = "sandbox-image",
        .parse = sandbox_image_parse,
        .eval = sandbox_image_eval,
        .free_args = free,
};

const CheckType check_sandbox_image = {
        .key = "sandbox-image",
        .parse = sandbox_image_parse,
        .run = sandbox_image_check_run,
        .free_args = free,
        .state = true,
};
