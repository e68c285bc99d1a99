/* SPDX-License-Identifier: MIT */
/*
 * when: / match: {client-certificate: {kubeconfig: PATH, valid: BOOL}}
 *        (kubeconfig: the kubelet's, its --kubeconfig, kubelet_cmdline_kubeconfig())
 *
 * The client certificate a kubeconfig uses (embedded client-certificate-data, or the file
 * client-certificate names, such as kubelet-client-current.pem) is (not) valid now. `valid: false`
 * holds for an expired certificate and for one not yet valid (a node clock behind the CA's); the
 * evidence says which, with the date, so that diagnose can tell an expired certificate from clock
 * skew. A kubeconfig that does not exist, or has no client certificate, holds neither: a node
 * still joining has none yet. Read through the Context, so it works offline on a node disk.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "remedy/action.h"
#include "remedy/context.h"
#include "remedy/kubeconfig.h"
#include "remedy/kubelet-cmdline.h"
#include "remedy/pattern.h"
#include "remedy/strv.h"

typedef struct CertificateCondition {
        Template *kubeconfig;
        bool valid;
} CertificateCondition;

static void certificate_condition_free(void *p) {
        CertificateCondition *cc = p;
        if (!cc)
                return;
        template_free(cc->kubeconfig);
        free(cc);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(CertificateCondition *, certificate_condition_free);

static int certificate_condition_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "kubeconfig", "valid", NULL };
        _cleanup_(certificate_condition_freep) CertificateCondition *cc = calloc(1, sizeof(CertificateCondition));
        int r;

        if (!cc)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "the client-certificate condition", keys)) < 0 ||
            (r = parse_template(pc, args, "kubeconfig", false, TEMPLATE_PATH, "a path", &cc->kubeconfig)) < 0 ||
            (r = parse_bool(pc, args, "valid", true, &cc->valid)) < 0)
                return r;
        *ret = TAKE_PTR(cc);
        return 0;
}

static int certificate_condition_eval(Context *c, const void *args, char **ret_error) {
        const CertificateCondition *cc = args;
        _cleanup_free_ char *path = NULL, *error = NULL, *when = NULL, *evidence = NULL;
        _cleanup_(kubeconfig_freep) Kubeconfig *kc = NULL;
        _cleanup_(cert_info_freep) CertInfo *info = NULL;
        const NodeFile *f;
        int r;

        const NodeFS fs = ctx_node_fs(c);
        if ((r = cc->kubeconfig ? ctx_render(c, cc->kubeconfig, &path) : kubelet_cmdline_kubeconfig(&fs, &path)) < 0 ||
            (r = ctx_read(c, path, true, &f)) < 0)
                return r;
        if (f->kind != FILE_REGULAR)
                return 0;
        if ((r = kubeconfig_parse(path, f->data, f->size, &kc, &error)) < 0 ||
            (r = kubeconfig_load(kc, c, KUBECONFIG_CLIENT_CERT, &error)) < 0) {
                if (r == -ENOENT)
                        return 0;   /* the certificate file it names is gone: nothing to judge */
                return ctx_error(c, r, "%s", error ? error : strerror(-r));
        }
        if (!kc->client_cert.data)
                return 0;
        const char *source = kc->client_cert.path ? kc->client_cert.path : path;
        if ((r = cert_info_from_pem(source, kc->client_cert.data, kc->client_cert.size, &info, &error)) < 0)
                return ctx_error(c, r, "%s", error ? error : strerror(-r));

        time_t now = time(NULL);
        CertValidity v = cert_validity(info, now);
        if ((v == CERT_VALID) == cc->valid) {
                if (v == CERT_VALID)
                        return 1;
                r = format_utc(v == CERT_EXPIRED ? info->not_after : info->not_before, &when);
                if (r < 0)
                        return r;
                double days = cert_seconds_left(info, now) / 86400.0;
                if (v == CERT_EXPIRED)
                        r = evidence_printf(&evidence, "the client certificate of %s (%s, %s) expired on %s, %.0f days ago",
                                            path, source, strempty(info->common_name), when, -days);
                else
                        r = evidence_printf(&evidence,
                                            "the client certificate of %s (%s, %s) is not valid before %s: "
                                            "is the node's clock behind?", path, source, strempty(info->common_name), when);
                if (r < 0 || (r = strv_extend(&c->evidence, evidence)) < 0)
                        return r;
                return 1;
        }
        return 0;
}

const ConditionType condition_client_certificate = {
        .key = "client-certificate",
        .parse = certificate_condition_parse,
        .eval = certificate_condition_eval,
        .free_args = certificate_condition_free,
};
