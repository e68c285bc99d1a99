/* SPDX-License-Identifier: MIT */
/*
 * Removing feature gates: yaml_edit_remove() on block and flow (JSON) mappings, and
 * kubelet_feature_gates_edit_env() on --feature-gates words, with the expected files written out by
 * hand; the shipped list of removed gates read for the gates whose removal FAILURES.md B.3 quotes
 * from real journals.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/kubelet-feature-gates.h"
#include "remedy/macro.h"
#include "remedy/strv.h"
#include "remedy/yaml-edit.h"
#include "tap.h"

static void yaml_removes(const char *in, const char *key, const char *want, const char *what) {
        _cleanup_free_ char *out = NULL, *error = NULL;
        size_t size = 0;
        int r = yaml_edit_remove(in, strlen(in), key, &out, &size, &error);
        ok(r == 1 && out && streq(out, want), "yaml: %s", what);
        if (!(r == 1 && out && streq(out, want)))
                diag("r=%d error=%s out=\n%s", r, strempty(error), strempty(out));
}

static void env_removes(const char *in, char **gates, const char *want, const char *what) {
        _cleanup_free_ char *out = NULL, *error = NULL;
        size_t size = 0;
        int r = kubelet_feature_gates_edit_env(in, strlen(in), "KUBELET_KUBEADM_ARGS", gates, &out, &size, &error);
        ok(r == 1 && out && streq(out, want), "env: %s", what);
        if (!(r == 1 && out && streq(out, want)))
                diag("r=%d error=%s out=%s", r, strempty(error), strempty(out));
}

static void test_yaml(void) {
        yaml_removes("kind: KubeletConfiguration\nfeatureGates:\n  A: true # keep me? no\n  B: false\nmaxPods: 110\n",
                     "featureGates.A", "kind: KubeletConfiguration\nfeatureGates:\n  B: false\nmaxPods: 110\n",
                     "a gate's line, its comment with it");
        yaml_removes("featureGates:\n  A: true\nmaxPods: 110\n", "featureGates.A", "maxPods: 110\n",
                     "the last gate takes featureGates: with it");
        yaml_removes("a: 1\r\nfeatureGates:\r\n  A: true\r\n  B: true\r\n", "featureGates.B", "a: 1\r\nfeatureGates:\r\n  A: true\r\n",
                     "CRLF kept");
        yaml_removes("{\"kind\": \"KubeletConfiguration\", \"featureGates\": {\"A\": true, \"B\": false}}", "featureGates.A",
                     "{\"kind\": \"KubeletConfiguration\", \"featureGates\": {\"B\": false}}", "JSON: the pair and its comma");
        yaml_removes("{\"featureGates\": {\"A\": true, \"B\": false}, \"x\": 1}", "featureGates.B",
                     "{\"featureGates\": {\"A\": true}, \"x\": 1}", "JSON: the last pair and the comma before it");

        _cleanup_free_ char *out = NULL, *error = NULL;
        size_t size = 0;
        const char *absent = "featureGates:\n  A: true\n";
        ok(yaml_edit_remove(absent, strlen(absent), "featureGates.Z", &out, &size, &error) == 0 && !out,
           "yaml: a gate that is not there: nothing to do");
        const char *inline_map = "- featureGates: {A: true}\n";
        ok(yaml_edit_remove(inline_map, strlen(inline_map), "featureGates.A", &out, &size, &error) == 0,
           "yaml: a path through a list finds nothing");
        const char *dup = "featureGates:\n  A: true\n  A: false\n";
        ok(yaml_edit_remove(dup, strlen(dup), "featureGates.A", &out, &size, &error) == -EINVAL,
           "yaml: a duplicate key is refused");

        _cleanup_strv_free_ char **keys = NULL;
        const char *two = "featureGates:\n  A: true\n  B: false\n";
        ok(yaml_edit_keys(two, strlen(two), "featureGates", &keys, NULL) == 1 && keys && streq(keys[0], "A") &&
           streq_ptr(keys[1], "B") && !keys[2], "yaml: the gates of featureGates: are listed");
}

static void test_env(void) {
        char *a[] = { (char *) "KubeletCredentialProviders", NULL };
        char *ab[] = { (char *) "A", (char *) "B", NULL };
        env_removes("KUBELET_KUBEADM_ARGS=\"--feature-gates=KubeletCredentialProviders=true,X=true --v=2\"\n", a,
                    "KUBELET_KUBEADM_ARGS=\"--feature-gates=X=true --v=2\"\n", "the first gate and its comma");
        env_removes("KUBELET_KUBEADM_ARGS=\"--feature-gates=X=true,KubeletCredentialProviders=true\"\n", a,
                    "KUBELET_KUBEADM_ARGS=\"--feature-gates=X=true\"\n", "the last gate and the comma before it");
        env_removes("KUBELET_KUBEADM_ARGS=\"--v=2 --feature-gates=KubeletCredentialProviders=true\"\n", a,
                    "KUBELET_KUBEADM_ARGS=\"--v=2\"\n", "a flag left without gates goes, with the blank before it");
        env_removes("KUBELET_KUBEADM_ARGS=\"--feature-gates KubeletCredentialProviders=true --v=2\"\n", a,
                    "KUBELET_KUBEADM_ARGS=\"--v=2\"\n", "the two-word form goes whole");
        env_removes("# kubeadm\nKUBELET_KUBEADM_ARGS='--feature-gates=A=true,X=false,B=true'\nOTHER=1\n", ab,
                    "# kubeadm\nKUBELET_KUBEADM_ARGS='--feature-gates=X=false'\nOTHER=1\n", "two gates, single quotes, other lines kept");
        /* systemd 252 joins 'quoted' and what follows: the word is "...X=false--v=2", cut all the same */
        env_removes("KUBELET_KUBEADM_ARGS='--feature-gates=A=true,X=false' --v=2\n", ab,
                    "KUBELET_KUBEADM_ARGS='--feature-gates=X=false' --v=2\n", "a word joined with what follows the quote");
        env_removes("KUBELET_KUBEADM_ARGS=\"--feature-gates='A=true, X=false'\"\n", ab,
                    "KUBELET_KUBEADM_ARGS=\"--feature-gates='X=false'\"\n", "quoted value with a blank after the comma");

        _cleanup_free_ char *out = NULL, *error = NULL;
        size_t size = 0;
        const char *none = "KUBELET_KUBEADM_ARGS=\"--feature-gates=X=true\"\n";
        ok(kubelet_feature_gates_edit_env(none, strlen(none), "KUBELET_KUBEADM_ARGS", a, &out, &size, &error) == 0 && !out,
           "env: no gate to remove: nothing to do");
        const char *escaped = "KUBELET_KUBEADM_ARGS=\"--feature-gates=Kubelet\\CredentialProviders=true,X=true\"\n";
        int r = kubelet_feature_gates_edit_env(escaped, strlen(escaped), "KUBELET_KUBEADM_ARGS", a, &out, &size, &error);
        ok(r == -EBADMSG || r == 0, "env: a gate name spelled with an escape is not cut by guess (r=%d)", r);
}

static void test_list(void) {
        unsigned m = 0;
        /* FAILURES.md B.3: 1.28 (eks-anywhere #8984), 1.35 (talos #13480), 1.22 (website #32119) */
        ok(kubelet_feature_gate_removed_in("KubeletCredentialProviders", &m) == 1 && m == 28,
           "KubeletCredentialProviders: rejected from 1.28");
        ok(kubelet_feature_gate_removed_in("UserNamespacesPodSecurityStandards", &m) == 1 && m == 35,
           "UserNamespacesPodSecurityStandards: rejected from 1.35");
        ok(kubelet_feature_gate_removed_in("RotateKubeletClientCertificate", &m) == 1 && m <= 22,
           "RotateKubeletClientCertificate: rejected by 1.22");
        ok(kubelet_feature_gate_removed_in("GracefulNodeShutdown", &m) == 0, "a gate still in the kubelet is not listed");
        ok(kubelet_feature_gate_removed_in("Kubelet", &m) == 0, "a prefix of a listed gate is not listed");

        _cleanup_strv_free_ char **names = NULL;
        ok(kubelet_feature_gates_split(" A=true, ,B = false,", &names) == 0 && names && streq(names[0], "A") &&
           streq_ptr(names[1], "B") && !names[2], "a --feature-gates value splits as MapStringBool reads it");
}

int main(void) {
        test_yaml();
        test_env();
        test_list();
        return tap_done();
}
