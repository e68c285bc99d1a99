/* SPDX-License-Identifier: MIT */
/*
 * Kubeconfig parsing (the YAML layer, client-go's resolution of the current context, base64 of
 * the embedded credentials) on arbitrary bytes, then what diagnose and kubeconfig-install do
 * with the embedded PEM: the certificate's subject and dates, whether the key matches it and
 * whether the CA signed it (OpenSSL behind remedy's wrappers).
 */
#include <string.h>

#include "fuzz.h"
#include "remedy/kubeconfig.h"

static void check_cert(const KubeconfigBlob *b, const char *what) {
        _cleanup_(cert_info_freep) CertInfo *info = NULL;
        _cleanup_free_ char *error = NULL, *when = NULL;

        if (!b->data)
                return;
        fuzz_check(!b->path, "%s: embedded data has no path", what);
        if (cert_info_from_pem(what, b->data, b->size, &info, &error) < 0) {
                fuzz_check(error, "%s: a refused certificate comes with a reason", what);
                return;
        }
        fuzz_check(info->subject && info->issuer, "%s: subject and issuer", what);
        (void) cert_validity(info, 0);
        (void) cert_seconds_left(info, 0);
        (void) format_utc(info->not_after, &when);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(kubeconfig_freep) Kubeconfig *kc = NULL;
        _cleanup_free_ char *error = NULL, *e1 = NULL, *e2 = NULL, *e3 = NULL;
        int r;

        r = kubeconfig_parse("/etc/kubernetes/kubelet.conf", (const char *) data, size, &kc, &error);
        if (r < 0) {
                fuzz_check(!kc, "no kubeconfig on failure");
                fuzz_check(error && startswith(error, "/etc/kubernetes/kubelet.conf:"), "error names the file: %s",
                           strempty(error));
                return 0;
        }
        fuzz_check(kc->current_context && kc->cluster_name && kc->user_name, "a parsed kubeconfig names its context");
        check_cert(&kc->ca, "certificate-authority-data");
        check_cert(&kc->client_cert, "client-certificate-data");

        if (kc->client_cert.data && kc->client_key.data)
                (void) cert_matches_key("cert", kc->client_cert.data, kc->client_cert.size, "key", kc->client_key.data,
                                        kc->client_key.size, &e1);
        if (kc->client_cert.data && kc->ca.data) {
                (void) cert_signed_by("cert", kc->client_cert.data, kc->client_cert.size, "ca", kc->ca.data, kc->ca.size,
                                      &e2);
                (void) cert_same("cert", kc->client_cert.data, kc->client_cert.size, "ca", kc->ca.data, kc->ca.size, &e3);
        }
        return 0;
}
