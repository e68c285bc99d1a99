/* SPDX-License-Identifier: MIT */
/*
 * Secret masking in diffs and in text_mask_secrets(): kubeconfigs, keys, bootstrap tokens,
 * command lines and TOML. The diff output itself is judged against GNU diff in test-diff.c.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff-test-text.h"
#include "remedy/diff.h"
#include "remedy/macro.h"
#include "tap.h"
#include "test-util.h"

/* ---- Text helpers ----------------------------------------------------------------------- */

/* The value after "key: " up to the end of its line. */
static char *value_of(const char *text, const char *key) {
        const char *at = strstr(text, key);
        if (!at)
                abort();
        at += strlen(key);
        return strndup(at, strcspn(at, "\r\n"));
}

/* True when no 12-byte piece of secret appears in out. */
static bool leaks_nothing_of(const char *out, const char *secret) {
        size_t n = strlen(secret), w = MIN(n, (size_t) 12);
        for (size_t i = 0; i + w <= n; i++)
                if (memmem(out, strlen(out), secret + i, w))
                        return false;
        return true;
}

/* ---- Secrets ---------------------------------------------------------------------------- */

static void test_kubeconfig_secret(void) {
        _cleanup_free_ char *a = read_fixture("diff/admin.conf", NULL);
        _cleanup_free_ char *old_key = value_of(a, "client-key-data: ");
        _cleanup_free_ char *new_key = strdup(old_key + 100); /* shorter: length must not show */
        _cleanup_free_ char *b1 = replace(a, old_key, new_key);
        _cleanup_free_ char *b = replace(b1, "server: https://10.0.0.10:6443", "server: https://10.0.0.11:6443");
        _cleanup_free_ char *out = NULL, *out_longer = NULL, *masked = NULL;

        ok(text_has_secret(a, strlen(a)), "admin.conf: has a secret");
        is_int(diff_unified_string(a, strlen(a), b, strlen(b), "admin.conf", "admin.conf.new", &out), 1,
               "admin.conf: key and server changed: different");
        /* Both keys start and end with the base64 of the PEM armour, as the certificate does. */
        _cleanup_free_ char *old_body = strndup(old_key + 64, strlen(old_key) - 128);
        _cleanup_free_ char *new_body = strndup(new_key + 64, strlen(new_key) - 128);
        ok(leaks_nothing_of(out, old_body) && leaks_nothing_of(out, new_body), "admin.conf: no piece of either key shown");
        ok(strstr(out, "\n-    client-key-data: <redacted>\n+    client-key-data: <redacted>\n") != NULL,
           "admin.conf: the changed key is a masked -/+ pair");
        ok(strstr(out, "\n-    server: https://10.0.0.10:6443\n+    server: https://10.0.0.11:6443\n") != NULL,
           "admin.conf: the server change next to it shows normally");
        ok(strstr(out, "\n     client-certificate-data: LS0t") != NULL, "admin.conf: the certificate is context");

        /* The same change with a longer new key prints exactly the same. */
        _cleanup_free_ char *longer = NULL;
        if (asprintf(&longer, "%s%s", old_key, "QUFBQUFBQUFBQUFB") < 0)
                abort();
        _cleanup_free_ char *b2 = replace(a, old_key, longer);
        _cleanup_free_ char *b3 = replace(b2, "server: https://10.0.0.10:6443", "server: https://10.0.0.11:6443");
        is_int(diff_unified_string(a, strlen(a), b3, strlen(b3), "admin.conf", "admin.conf.new", &out_longer), 1,
               "admin.conf: longer key: different");
        is_str(out_longer, out, "admin.conf: the output does not depend on the key's length");

        masked = text_mask_secrets(a, strlen(a));
        ok(masked && leaks_nothing_of(masked, old_body) && strstr(masked, "    client-key-data: <redacted>\n"),
           "admin.conf: text_mask_secrets() masks the key");
        ok(masked && strstr(masked, "    server: https://10.0.0.10:6443\n"), "admin.conf: and keeps the rest");

        static const char small_a[] = "- name: admin\n  user:\n    client-certificate-data: Q0VSVA==\n"
                                      "    client-key-data: S0VZMQ==\n";
        static const char small_b[] = "- name: admin\n  user:\n    client-certificate-data: Q0VSVA==\n"
                                      "    client-key-data: S0VZMi1sb25nZXI=\n";
        _cleanup_free_ char *small = NULL;
        is_int(diff_unified_string(small_a, sizeof small_a - 1, small_b, sizeof small_b - 1, "a", "b", &small),
               1, "small kubeconfig: different");
        is_str(small,
               "--- a\n+++ b\n@@ -1,4 +1,4 @@\n"
               " - name: admin\n"
               "   user:\n"
               "     client-certificate-data: Q0VSVA==\n"
               "-    client-key-data: <redacted>\n"
               "+    client-key-data: <redacted>\n",
               "small kubeconfig: exact masked diff");
}

static void test_pem_secret(void) {
        _cleanup_free_ char *a = read_fixture("diff/apiserver.key", NULL);
        _cleanup_free_ char *out = NULL;
        Lines l = lines_split(a);
        _cleanup_free_ char *old_line = strndup(l.v[2], 64);

        /* A new third line, the same length, every character shifted. */
        char *changed = strdup(l.v[2]);
        for (char *p = changed; *p && *p != '\n'; p++)
                *p = *p == 'z' ? 'a' : *p == 'Z' ? 'A' : *p == '9' ? '0' : *p == '/' || *p == '+' ? *p : (char) (*p + 1);
        lines_delete(&l, 2);
        lines_insert(&l, 2, changed, strlen(changed));
        free(changed);
        Lines body = lines_split(a);
        _cleanup_free_ char *b = lines_join(&l);

        ok(text_has_secret(a, strlen(a)), "apiserver.key: has a secret");
        is_int(diff_unified_string(a, strlen(a), b, strlen(b), "apiserver.key", "apiserver.key", &out), 1,
               "apiserver.key: one body line changed: different");
        bool leak = false;
        for (size_t i = 1; i + 1 < body.n; i++)
                leak = leak || !leaks_nothing_of(out, body.v[i]);
        ok(!leak && leaks_nothing_of(out, old_line), "apiserver.key: no piece of the key shown");
        is_str(out,
               "--- apiserver.key\n+++ apiserver.key\n@@ -1,6 +1,6 @@\n"
               " -----BEGIN RSA PRIVATE KEY-----\n"
               " <redacted>\n"
               "-<redacted>\n"
               "+<redacted>\n"
               " <redacted>\n"
               " <redacted>\n"
               " <redacted>\n",
               "apiserver.key: BEGIN shown, body masked, the change a -/+ pair");
        free(lines_join(&body));

        _cleanup_free_ char *crt = read_fixture("diff/apiserver.crt", NULL);
        ok(!text_has_secret(crt, strlen(crt)), "apiserver.crt: a certificate is no secret");

        /* A key inside a YAML block scalar, next to a certificate. */
        _cleanup_free_ char *tls = read_fixture("diff/tls-secret.yaml", NULL);
        _cleanup_free_ char *tls_masked = text_mask_secrets(tls, strlen(tls));
        Lines t = lines_split(tls), m = lines_split(tls_masked ?: "");
        bool key_hidden = true, cert_shown = true, same_lines = t.n == m.n;
        for (size_t i = 0, in_key = 0; same_lines && i < t.n; i++) {
                if (strstr(t.v[i], "tls.key:"))
                        in_key = 1;
                else if (strstr(t.v[i], "-----END EC PRIVATE KEY-----"))
                        in_key = 0;
                else if (in_key)
                        key_hidden = key_hidden && streq(m.v[i], "    <redacted>\n");
                else
                        cert_shown = cert_shown && streq(m.v[i], t.v[i]);
        }
        ok(same_lines && key_hidden, "tls-secret.yaml: every key line masked");
        ok(same_lines && cert_shown, "tls-secret.yaml: the certificate and the rest shown as they are");
        free(lines_join(&t));
        free(lines_join(&m));
}

static void test_bootstrap_token(void) {
        _cleanup_free_ char *secret = read_fixture("diff/bootstrap-token.yaml", NULL);
        _cleanup_free_ char *s1 = replace(secret, "token-secret: f395accd246ae52d", "token-secret: 0a1b2c3d4e5f6a7b");
        _cleanup_free_ char *s2 = replace(s1, "expiration: 2024-06-12T03:22:11Z", "expiration: 2024-06-13T03:22:11Z");
        _cleanup_free_ char *out = NULL;

        is_int(diff_unified_string(secret, strlen(secret), s2, strlen(s2), "a", "b", &out), 1,
               "bootstrap token Secret: different");
        ok(!strstr(out, "f395accd246ae52d") && !strstr(out, "0a1b2c3d4e5f6a7b"), "bootstrap token Secret: neither secret shown");
        ok(strstr(out, "\n-  token-secret: <redacted>\n-  expiration: 2024-06-12T03:22:11Z\n"
                       "+  token-secret: <redacted>\n+  expiration: 2024-06-13T03:22:11Z\n"),
           "bootstrap token Secret: masked pair, then the expiration change as it is");
        ok(strstr(out, "\n   token-id: 07401b\n"), "bootstrap token Secret: the public token id is context");

        _cleanup_free_ char *init = read_fixture("diff/kubeadm-init.yaml", NULL);
        _cleanup_free_ char *i1 = replace(init, "token: 07401b.f395accd246ae52d", "token: 9xk2pq.0a1b2c3d4e5f6a7b");
        _cleanup_free_ char *i2 = replace(i1, "ttl: 24h0m0s", "ttl: 48h0m0s");
        _cleanup_free_ char *out2 = NULL;
        is_int(diff_unified_string(init, strlen(init), i2, strlen(i2), "a", "b", &out2), 1, "kubeadm InitConfiguration: different");
        is_str(out2,
               "--- a\n+++ b\n@@ -2,8 +2,8 @@\n"
               " bootstrapTokens:\n"
               " - groups:\n"
               "   - system:bootstrappers:kubeadm:default-node-token\n"
               "-  token: <redacted>\n"
               "-  ttl: 24h0m0s\n"
               "+  token: <redacted>\n"
               "+  ttl: 48h0m0s\n"
               "   usages:\n"
               "   - signing\n"
               "   - authentication\n",
               "kubeadm InitConfiguration: token masked, ttl shown");
        _cleanup_free_ char *init_masked = text_mask_secrets(init, strlen(init));
        ok(init_masked && strstr(init_masked, "\ncertificateKey: <redacted>\n") &&
           strstr(init_masked, "\n    key: node-role.kubernetes.io/control-plane\n"),
           "kubeadm InitConfiguration: the certificate key masked, the taint key not");

        _cleanup_free_ char *kubelet = read_fixture("diff/bootstrap-kubelet.conf", NULL);
        _cleanup_free_ char *k1 = replace(kubelet, "token: 07401b.f395accd246ae52d", "token: 9xk2pq.0a1b2c3d4e5f6a7b");
        _cleanup_free_ char *out3 = NULL;
        is_int(diff_unified_string(kubelet, strlen(kubelet), k1, strlen(k1), "a", "b", &out3), 1,
               "bootstrap-kubelet.conf: different");
        ok(!strstr(out3, "f395accd246ae52d") && !strstr(out3, "0a1b2c3d4e5f6a7b") &&
           strstr(out3, "\n-    token: <redacted>\n+    token: <redacted>\n"),
           "bootstrap-kubelet.conf: token masked");
        ok(strstr(out3, "\n   user:\n"), "bootstrap-kubelet.conf: the lines around it shown");
}

static void test_flags_and_toml(void) {
        _cleanup_free_ char *join = read_fixture("diff/join-node.sh", NULL);
        _cleanup_free_ char *j1 = replace(join, "--token 07401b.f395accd246ae52d", "--token 9xk2pq.0a1b2c3d4e5f6a7b");
        _cleanup_free_ char *j2 = replace(j1, "--password=Sup3rS3cretPw", "--password=N3wS3cretPw");
        _cleanup_free_ char *out = NULL;

        is_int(diff_unified_string(join, strlen(join), j2, strlen(j2), "a", "b", &out), 1, "join-node.sh: different");
        ok(!strstr(out, "f395accd246ae52d") && !strstr(out, "S3cret") && !strstr(out, "9d5b1c0e7f3a"),
           "join-node.sh: no token, password or certificate key shown");
        ok(strstr(out, "\n-nerdctl login --username admin --password=<redacted> registry.local:5000\n"
                       "-kubeadm join 10.0.0.10:6443 --token <redacted> \\\n"
                       "+nerdctl login --username admin --password=<redacted> registry.local:5000\n"
                       "+kubeadm join 10.0.0.10:6443 --token <redacted> \\\n"),
           "join-node.sh: flag values masked, the rest of the lines shown");
        ok(strstr(out, " --discovery-token-ca-cert-hash sha256:5ee0f2f6"), "join-node.sh: the CA hash is no secret");

        _cleanup_free_ char *toml = read_fixture("diff/containerd-registry-auth.toml", NULL);
        _cleanup_free_ char *t1 = replace(toml, "password = \"Sup3rS3cretPw\"", "password = \"N3wS3cretPw\"");
        _cleanup_free_ char *t2 = replace(t1, "insecure_skip_verify = false", "insecure_skip_verify = true");
        _cleanup_free_ char *out2 = NULL;
        is_int(diff_unified_string(toml, strlen(toml), t2, strlen(t2), "a", "b", &out2), 1, "registry auth TOML: different");
        is_str(out2,
               "--- a\n+++ b\n@@ -5,9 +5,9 @@\n"
               " \n"
               " [plugins.\"io.containerd.grpc.v1.cri\".registry.configs.\"registry.local:5000\".auth]\n"
               "   username = \"admin\"\n"
               "-  password = <redacted>\n"
               "+  password = <redacted>\n"
               "   auth = <redacted>\n"
               "   identitytoken = <redacted>\n"
               " \n"
               " [plugins.\"io.containerd.grpc.v1.cri\".registry.configs.\"registry.local:5000\".tls]\n"
               "-  insecure_skip_verify = false\n"
               "+  insecure_skip_verify = true\n",
               "registry auth TOML: password masked, tls change shown");
}

static void test_mask_text(void) {
        static const char input[] =
                "token: abc\n"
                "- Password: \"hunter2\" # old\n"
                "\"client_secret\": \"s3\",\r\n"
                "tokenFile: /var/lib/kubelet/token\n"
                "client-key: /etc/kubernetes/pki/client.key\n"
                "export API_TOKEN=xyz\n"
                "ExecStart=/usr/bin/kubelet --token=abc.def --v=2 --password \"a b\" --token --x\n"
                "password: |\n"
                "  line one\n"
                "\n"
                "  line two\n"
                "next: shown\n"
                "key: node-role.kubernetes.io/control-plane\n"
                "data: \"-----BEGIN PRIVATE KEY-----\\nMIIEv\\n-----END PRIVATE KEY-----\\n\"\n"
                "  -----BEGIN OPENSSH PRIVATE KEY-----\n"
                "  b3BlbnNzaC1rZXktdjEAAAAA\n"
                "  -----END OPENSSH PRIVATE KEY-----\n"
                "join abcdef.0123456789abcdef now\n"
                "secret = \"\"\"\n"
                "multi\n"
                "\"\"\"\n"
                "after = 1";
        static const char want[] =
                "token: <redacted>\n"
                "- Password: <redacted>\n"
                "\"client_secret\": <redacted>\r\n"
                "tokenFile: /var/lib/kubelet/token\n"
                "client-key: /etc/kubernetes/pki/client.key\n"
                "export API_TOKEN=<redacted>\n"
                "ExecStart=/usr/bin/kubelet --token=<redacted> --v=2 --password <redacted> --token --x\n"
                "password: |\n"
                "  <redacted>\n"
                "\n"
                "  <redacted>\n"
                "next: shown\n"
                "key: node-role.kubernetes.io/control-plane\n"
                "data: \"-----BEGIN PRIVATE KEY-----<redacted>-----END PRIVATE KEY-----\\n\"\n"
                "  -----BEGIN OPENSSH PRIVATE KEY-----\n"
                "  <redacted>\n"
                "  -----END OPENSSH PRIVATE KEY-----\n"
                "join <redacted> now\n"
                "secret = <redacted>\n"
                "<redacted>\n"
                "<redacted>\n"
                "after = 1";
        _cleanup_free_ char *got = text_mask_secrets(input, sizeof input - 1);
        is_str(got, want, "text_mask_secrets(): every kind of secret, and nothing else");
        static const char plain[] = "tokenFile: /x\nkey: a\nauthorization:\n  mode: Webhook\n";
        ok(!text_has_secret(plain, sizeof plain - 1),
           "text_has_secret(): file paths, taint keys and authorization are no secrets");

        static const char *const clean[] = { "diff/kubelet-config.yaml", "diff/containerd-config.toml" };
        static const char *const secret[] = { "diff/bootstrap-token.yaml", "diff/kubeadm-init.yaml", "diff/join-node.sh",
                                              "diff/containerd-registry-auth.toml", "diff/bootstrap-kubelet.conf" };
        for (size_t i = 0; i < ELEMENTSOF(clean); i++) {
                _cleanup_free_ char *t = read_fixture(clean[i], NULL);
                ok(!text_has_secret(t, strlen(t)), "%s: no secret", clean[i]);
        }
        for (size_t i = 0; i < ELEMENTSOF(secret); i++) {
                _cleanup_free_ char *t = read_fixture(secret[i], NULL);
                ok(text_has_secret(t, strlen(t)), "%s: has a secret", secret[i]);
        }
}

int main(void) {
        test_kubeconfig_secret();
        test_pem_secret();
        test_bootstrap_token();
        test_flags_and_toml();
        test_mask_text();
        return tap_done();
}
