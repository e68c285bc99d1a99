/* SPDX-License-Identifier: MIT */
/*
 * Kubeconfigs and their certificates (remedy/kubelet/kubeconfig.c), and the kubeconfig-install action's
 * checks. The certificates are made here with OpenSSL when the test runs (a CA, node certificates
 * valid now, expired, not yet valid, for another node, from another CA with the same name, and a
 * key of another pair), so nothing in the repository expires.
 */
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "remedy/context.h"
#include "remedy/kubeconfig.h"
#include "tap.h"
#include "test-util.h"

#define DAY (24 * 3600)
#define SERVER "https://192.0.2.1:6443"

typedef struct Pair {
        EVP_PKEY *key;
        X509 *cert;
        char *cert_pem;
        char *key_pem;
} Pair;

static char *to_pem(EVP_PKEY *key, X509 *cert) {
        BIO *b = BIO_new(BIO_s_mem());
        char *p, *s;
        if (!b || (cert && !PEM_write_bio_X509(b, cert)) ||
            (key && !PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)))
                abort();
        long n = BIO_get_mem_data(b, &p);
        s = strndup(p, (size_t) n);
        BIO_free(b);
        if (!s)
                abort();
        return s;
}

/* A certificate for subject (O then CN, as kubeadm writes them), signed by issuer (NULL:
 * self-signed CA), valid from now+from to now+to seconds. */
static Pair make_pair(const char *cn, const char *org, const Pair *issuer, long from, long to) {
        Pair p = { .key = EVP_EC_gen("P-256"), .cert = X509_new() };
        static long serial = 1000;
        X509_NAME *name = X509_NAME_new();

        if (!p.key || !p.cert || !name)
                abort();
        if (org)
                X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *) org, -1, -1, 0);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *) cn, -1, -1, 0);
        X509_set_version(p.cert, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(p.cert), serial++);
        X509_set_subject_name(p.cert, name);
        X509_set_issuer_name(p.cert, issuer ? X509_get_subject_name(issuer->cert) : name);
        X509_time_adj_ex(X509_getm_notBefore(p.cert), 0, from, NULL);
        X509_time_adj_ex(X509_getm_notAfter(p.cert), 0, to, NULL);
        X509_set_pubkey(p.cert, p.key);
        if (!X509_sign(p.cert, issuer ? issuer->key : p.key, EVP_sha256()))
                abort();
        X509_NAME_free(name);
        p.cert_pem = to_pem(NULL, p.cert);
        p.key_pem = to_pem(p.key, NULL);
        return p;
}

static void pair_done(Pair *p) {
        EVP_PKEY_free(p->key);
        X509_free(p->cert);
        free(p->cert_pem);
        free(p->key_pem);
}

static char *b64(const char *s) {
        size_t n = strlen(s);
        char *out = malloc(4 * ((n + 2) / 3) + 1);
        if (!out)
                abort();
        EVP_EncodeBlock((unsigned char *) out, (const unsigned char *) s, (int) n);
        return out;
}

/* A kubeconfig in kubeadm's layout with embedded credentials. */
static char *kubeconfig_text(const Pair *ca, const Pair *cert, const Pair *key, const char *server, const char *user) {
        _cleanup_free_ char *c = b64(ca->cert_pem), *cc = b64(cert->cert_pem), *ck = b64(key->key_pem);
        char *s;
        if (asprintf(&s,
                     "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: %s\n    server: %s\n"
                     "  name: kubernetes\ncontexts:\n- context:\n    cluster: kubernetes\n    user: %s\n"
                     "  name: %s@kubernetes\ncurrent-context: %s@kubernetes\nkind: Config\npreferences: {}\n"
                     "users:\n- name: %s\n  user:\n    client-certificate-data: %s\n    client-key-data: %s\n",
                     c, server, user, user, user, user, cc, ck) < 0)
                abort();
        return s;
}

static void test_fixture(void) {
        _cleanup_free_ char *data = NULL, *error = NULL;
        _cleanup_(kubeconfig_freep) Kubeconfig *kc = NULL;
        _cleanup_(cert_info_freep) CertInfo *info = NULL;
        size_t size;

        data = read_fixture("kubeconfig/kubeadm-node01.conf", &size);
        is_int(kubeconfig_parse("node01.conf", data, size, &kc, &error), 0, "kubeadm's kubeconfig parses");
        is_str(kc->current_context, "system:node:node01@kubernetes", "current context");
        is_str(kc->cluster_name, "kubernetes", "its cluster");
        is_str(kc->user_name, "system:node:node01", "its user");
        is_str(kc->server, SERVER, "server");
        ok(kc->ca.data && startswith(kc->ca.data, "-----BEGIN CERTIFICATE-----\n") && !kc->ca.path,
           "certificate-authority-data decoded to PEM");
        ok(kc->client_key.data && strstr(kc->client_key.data, "PRIVATE KEY-----"), "client-key-data decoded");
        is_int(cert_info_from_pem("node01.conf", kc->client_cert.data, kc->client_cert.size, &info, &error), 0,
               "client certificate read");
        is_str(info->common_name, "system:node:node01", "CN");
        ok(info->organizations && streq(info->organizations[0], "system:nodes") && !info->organizations[1],
           "O is system:nodes alone");
        is_str(info->subject, "CN=system:node:node01,O=system:nodes", "subject, RFC 2253 order");
        is_str(info->issuer, "CN=kubernetes", "issuer");
        is_int(cert_matches_key("c", kc->client_cert.data, kc->client_cert.size, "k", kc->client_key.data,
                                kc->client_key.size, &error), 1, "certificate and key are a pair");
        is_int(cert_signed_by("c", kc->client_cert.data, kc->client_cert.size, "ca", kc->ca.data, kc->ca.size, &error),
               1, "signed by the CA in the file");

        /* The kubelet's own, after TLS bootstrap: paths, not data. */
        kc = kubeconfig_free(kc);
        free(data);
        data = read_fixture("nodes/broken-node/etc/kubernetes/kubelet.conf", &size);
        is_int(kubeconfig_parse("/etc/kubernetes/kubelet.conf", data, size, &kc, &error), 0, "kubelet.conf parses");
        is_str(kc->client_cert.path, "/var/lib/kubelet/pki/kubelet-client-current.pem", "client-certificate path");
        is_str(kc->client_key.path, "/var/lib/kubelet/pki/kubelet-client-current.pem", "client-key path");
        ok(!kc->client_cert.data, "not read yet");
}

static void expect_parse_error(const char *text, int err, const char *want, const char *what) {
        _cleanup_free_ char *error = NULL;
        _cleanup_(kubeconfig_freep) Kubeconfig *kc = NULL;
        is_int(kubeconfig_parse("/root/x.conf", text, strlen(text), &kc, &error), err, "%s: refused", what);
        is_str(error, want, "%s: message", what);
}

#define MIN_CFG(cluster, user) \
        "kind: Config\ncurrent-context: c\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\n" \
        "clusters:\n- name: k\n  cluster: {server: 'https://a:6443'" cluster "}\n" \
        "users:\n- name: u\n  user: {" user "}\n"

static void test_parse_errors(void) {
        expect_parse_error("a: [b\n", -EBADMSG, "/root/x.conf:2:1: did not find expected ',' or ']' (while parsing a flow sequence at 1:4)",
                           "not YAML");
        expect_parse_error("- a\n", -EINVAL, "/root/x.conf:1:1: not a kubeconfig: expected a mapping with clusters, contexts and users",
                           "a list");
        expect_parse_error("kind: Pod\n", -EINVAL, "/root/x.conf:1:7: not a kubeconfig: kind is 'Pod', not 'Config'", "kind");
        expect_parse_error("kind: Config\nusers: []\n", -EINVAL,
                           "/root/x.conf: no current-context: cannot tell which cluster and user it is for", "no current-context");
        expect_parse_error("current-context: nope\ncontexts: []\n", -EINVAL,
                           "/root/x.conf:1:18: context 'nope' is not defined in 'contexts'", "undefined context");
        expect_parse_error("current-context: c\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\n", -EINVAL,
                           "/root/x.conf:4:22: cluster 'k' is not defined in 'clusters'", "undefined cluster");
        expect_parse_error(MIN_CFG("", "client-certificate-data: '%%%'"), -EBADMSG,
                           "/root/x.conf:11:35: 'client-certificate-data' is not valid base64", "bad base64");
        expect_parse_error(MIN_CFG("", "client-key: /a.pem, client-key-data: QQ=="), -EINVAL,
                           "/root/x.conf:11:22: both 'client-key' and 'client-key-data' are set: give one", "data and path");
        expect_parse_error(MIN_CFG(", certificate-authority: ../pki/ca.crt", ""), -EINVAL,
                           "/root/x.conf:8:62: 'certificate-authority' path \"../pki/ca.crt\" has a \".\" or \"..\" component; "
                           "remedy reads only normalised paths", "..");
        expect_parse_error(MIN_CFG("", "client-key: [a]"), -EINVAL, "/root/x.conf:11:22: 'client-key' must be a string, not a sequence",
                           "not a string");

        _cleanup_free_ char *error = NULL;
        _cleanup_(kubeconfig_freep) Kubeconfig *kc = NULL;
        const char *rel = MIN_CFG(", certificate-authority: pki/ca.crt", "client-certificate: kubelet.pem");
        is_int(kubeconfig_parse("/etc/kubernetes/kubelet.conf", rel, strlen(rel), &kc, &error), 0, "relative paths");
        is_str(kc->ca.path, "/etc/kubernetes/pki/ca.crt", "relative to the kubeconfig's directory, as client-go does");
        is_str(kc->client_cert.path, "/etc/kubernetes/kubelet.pem", "client-certificate too");
        ok(!kc->client_key.path && !kc->client_key.data, "an absent client key is left empty");
}

static void test_certs(void) {
        _cleanup_free_ char *error = NULL, *s = NULL;
        _cleanup_(cert_info_freep) CertInfo *info = NULL;
        time_t now = time(NULL);
        Pair ca = make_pair("kubernetes", NULL, NULL, -DAY, 3650L * DAY);
        Pair other_ca = make_pair("kubernetes", NULL, NULL, -DAY, 3650L * DAY);
        Pair good = make_pair("system:node:node01", "system:nodes", &ca, -3600, 365L * DAY);
        Pair expired = make_pair("system:node:node01", "system:nodes", &ca, -400L * DAY, -35L * DAY);
        Pair future = make_pair("system:node:node01", "system:nodes", &ca, 2L * DAY, 365L * DAY);
        Pair foreign = make_pair("system:node:node01", "system:nodes", &other_ca, -3600, 365L * DAY);

        is_int(format_utc(1792283664, &s), 0, "format_utc");
        is_str(s, "2026-10-18 00:34:24 UTC", "UTC date as the kubelet prints it");

        is_int(cert_info_from_pem("good", good.cert_pem, strlen(good.cert_pem), &info, &error), 0, "read good");
        ok(info->not_before >= now - 3600 - 5 && info->not_before <= now - 3600 + 5, "notBefore as made");
        ok(info->not_after >= now + 365L * DAY - 5 && info->not_after <= now + 365L * DAY + 5, "notAfter as made");
        is_int(cert_validity(info, now), CERT_VALID, "valid now");
        ok(cert_seconds_left(info, now) > 364.0 * DAY, "a year left");
        info = cert_info_free(info);
        is_int(cert_info_from_pem("expired", expired.cert_pem, strlen(expired.cert_pem), &info, &error), 0, "read expired");
        is_int(cert_validity(info, now), CERT_EXPIRED, "expired");
        ok(cert_seconds_left(info, now) < -34.0 * DAY, "negative time left");
        info = cert_info_free(info);
        is_int(cert_info_from_pem("future", future.cert_pem, strlen(future.cert_pem), &info, &error), 0, "read future");
        is_int(cert_validity(info, now), CERT_NOT_YET_VALID, "not yet valid");
        info = cert_info_free(info);

        /* A cert followed by its key, as kubelet-client-current.pem holds them, and the key first. */
        _cleanup_free_ char *both = NULL, *rev = NULL;
        if (asprintf(&both, "%s%s", good.cert_pem, good.key_pem) < 0 || asprintf(&rev, "%s%s", good.key_pem, good.cert_pem) < 0)
                abort();
        is_int(cert_matches_key("c", both, strlen(both), "k", both, strlen(both), &error), 1, "cert+key file: a pair");
        is_int(cert_matches_key("c", rev, strlen(rev), "k", rev, strlen(rev), &error), 1, "key+cert file: a pair");
        is_int(cert_matches_key("c", good.cert_pem, strlen(good.cert_pem), "k", expired.key_pem, strlen(expired.key_pem),
                                &error), 0, "another pair's key does not match");
        is_int(cert_matches_key("c", good.cert_pem, strlen(good.cert_pem), "/k.pem", good.cert_pem, strlen(good.cert_pem),
                                &error), -EBADMSG, "no key in a certificate file");
        is_str(error, "/k.pem: no private key in it", "says so");

        is_int(cert_signed_by("c", good.cert_pem, strlen(good.cert_pem), "ca", ca.cert_pem, strlen(ca.cert_pem), &error), 1,
               "signed by its CA");
        is_int(cert_signed_by("c", foreign.cert_pem, strlen(foreign.cert_pem), "ca", ca.cert_pem, strlen(ca.cert_pem), &error),
               0, "same issuer name, another CA's key: not signed by it");
        is_int(cert_signed_by("c", good.cert_pem, strlen(good.cert_pem), "ca", good.cert_pem, strlen(good.cert_pem), &error),
               0, "not signed by itself");
        is_int(cert_same("a", ca.cert_pem, strlen(ca.cert_pem), "b", ca.cert_pem, strlen(ca.cert_pem), &error), 1, "same CA");
        is_int(cert_same("a", ca.cert_pem, strlen(ca.cert_pem), "b", other_ca.cert_pem, strlen(other_ca.cert_pem), &error), 0,
               "two CAs of the same name differ");

        is_int(cert_info_from_pem("/x.pem", "hello\n", 6, &info, &error), -EBADMSG, "no PEM at all");
        is_str(error, "/x.pem: no certificate in it", "says so");
        const char *broken = "-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n";
        is_int(cert_info_from_pem("/x.pem", broken, strlen(broken), &info, &error), -EBADMSG, "a broken certificate");
        ok(error && startswith(error, "/x.pem: invalid certificate: "), "says so with OpenSSL's reason (%s)", error);

        Pair *all[] = { &ca, &other_ca, &good, &expired, &future, &foreign };
        for (size_t i = 0; i < ELEMENTSOF(all); i++)
                pair_done(all[i]);
}

/* ---- the kubeconfig-install action, through the shipped playbook ---- */

static char *dir_path(const char *dir, const char *p) {
        char *r;
        if (asprintf(&r, "%s%s", dir, p) < 0)
                abort();
        return r;
}

static void put(const char *dir, const char *path, const char *data) {
        _cleanup_free_ char *h = dir_path(dir, path), *parent = strdup(h);
        if (!parent)
                abort();
        *strrchr(parent, '/') = 0;
        char *mk[] = { "mkdir", "-p", parent, NULL };
        if (run_capture(mk, NULL, NULL) != 0)
                abort();
        write_file(h, data, strlen(data));
}

/* Plans the playbook's kubeconfig-install step; returns its result, the Context's error in
 * *ret_error and the change in *change. */
static int plan_install(const char *dir, const Playbook *p, const char *kubeconfig, const char *node_name, Change *change,
                        char **ret_error) {
        _cleanup_(root_freep) Root *root = NULL;
        _cleanup_(context_freep) Context *c = NULL;
        _cleanup_(param_values_freep) ParamValues *v = NULL;
        _cleanup_free_ char *set1 = NULL, *set2 = NULL, *error = NULL;
        int r;

        if (asprintf(&set1, "kubeconfig=%s", kubeconfig) < 0 || asprintf(&set2, "node_name=%s", node_name) < 0)
                abort();
        char *sets[] = { set1, set2, NULL };
        if (param_values_new(p, sets, &v, &error) < 0 || root_open(dir, &root) < 0 || context_new(root, true, &c) < 0)
                abort();
        c->playbook = p;
        c->values = v;
        c->step = &p->steps[0];
        r = p->steps[0].action->plan(c, p->steps[0].args, change);
        *ret_error = TAKE_PTR(c->error);
        return r;
}

static void expect_refused(const char *dir, const Playbook *p, const char *kubeconfig, const char *node_name, int err,
                           const char *want) {
        _cleanup_free_ char *error = NULL;
        Change ch = {};
        is_int(plan_install(dir, p, kubeconfig, node_name, &ch, &error), err, "%s: refused", kubeconfig);
        is_str(error, want, "%s: message", kubeconfig);
        is_int(ch.n_ops, 0, "%s: nothing planned", kubeconfig);
        change_done(&ch);
}

static void test_action(void) {
        _cleanup_free_ char *dir = make_temp_dir("kubeconfig"), *pb_path = NULL, *error = NULL;
        _cleanup_free_ char *expired_on = NULL, *until = NULL, *note = NULL, *want = NULL;
        _cleanup_(playbook_freep) Playbook *p = NULL;
        const char *src = secure_getenv("SOURCE_ROOT");
        Pair ca = make_pair("kubernetes", NULL, NULL, -DAY, 3650L * DAY);
        Pair other_ca = make_pair("kubernetes", NULL, NULL, -DAY, 3650L * DAY);
        Pair good = make_pair("system:node:node01", "system:nodes", &ca, -3600, 365L * DAY);
        Pair expired = make_pair("system:node:node01", "system:nodes", &ca, -400L * DAY, -35L * DAY);
        Pair future = make_pair("system:node:node01", "system:nodes", &ca, 2L * DAY, 365L * DAY);
        Pair node02 = make_pair("system:node:node02", "system:nodes", &ca, -3600, 365L * DAY);
        Pair noorg = make_pair("system:node:node01", NULL, &ca, -3600, 365L * DAY);
        Pair foreign = make_pair("system:node:node01", "system:nodes", &other_ca, -3600, 365L * DAY);
        Pair *all[] = { &ca, &other_ca, &good, &expired, &future, &node02, &noorg, &foreign };
        struct { const char *name; const Pair *ca, *cert, *key; const char *server, *user; } files[] = {
                { "/root/good.conf", &ca, &good, &good, SERVER, "system:node:node01" },
                { "/root/expired.conf", &ca, &expired, &expired, SERVER, "system:node:node01" },
                { "/root/future.conf", &ca, &future, &future, SERVER, "system:node:node01" },
                { "/root/node02.conf", &ca, &node02, &node02, SERVER, "system:node:node02" },
                { "/root/noorg.conf", &ca, &noorg, &noorg, SERVER, "system:node:node01" },
                { "/root/foreign.conf", &other_ca, &foreign, &foreign, SERVER, "system:node:node01" },
                { "/root/unsigned.conf", &ca, &foreign, &foreign, SERVER, "system:node:node01" },
                { "/root/server.conf", &ca, &good, &good, "https://198.51.100.7:6443", "system:node:node01" },
                { "/root/mismatch.conf", &ca, &good, &node02, SERVER, "system:node:node01" },
        };

        if (!src || asprintf(&pb_path, "%s/playbooks/kubelet-rotate-kubeconfig.yaml", src) < 0)
                abort();
        is_int(playbook_load(pb_path, &p, &error), 0, "the shipped playbook loads");
        if (!p)
                return;

        /* The node: its kubelet.conf refers to an expired certificate+key file, as after TLS bootstrap. */
        _cleanup_free_ char *current = NULL, *pem = NULL, *ca64 = b64(ca.cert_pem);
        if (asprintf(&current,
                     "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: %s\n    server: " SERVER "\n"
                     "  name: default-cluster\ncontexts:\n- context:\n    cluster: default-cluster\n    user: default-auth\n"
                     "  name: default-context\ncurrent-context: default-context\nkind: Config\npreferences: {}\n"
                     "users:\n- name: default-auth\n  user:\n"
                     "    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem\n"
                     "    client-key: /var/lib/kubelet/pki/kubelet-client-current.pem\n", ca64) < 0 ||
            asprintf(&pem, "%s%s", expired.cert_pem, expired.key_pem) < 0)
                abort();
        put(dir, "/etc/hostname", "Node01\n");
        put(dir, "/etc/kubernetes/kubelet.conf", current);
        put(dir, "/var/lib/kubelet/pki/kubelet-client-2025.pem", pem);
        _cleanup_free_ char *link = dir_path(dir, "/var/lib/kubelet/pki/kubelet-client-current.pem");
        ok(symlink("/var/lib/kubelet/pki/kubelet-client-2025.pem", link) == 0, "kubelet-client-current.pem symlink");
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *t = kubeconfig_text(files[i].ca, files[i].cert, files[i].key, files[i].server, files[i].user);
                put(dir, files[i].name, t);
        }

        /* kubeconfig_load reads paths through the Context, following the symlink inside the root. */
        {
                _cleanup_(root_freep) Root *root = NULL;
                _cleanup_(context_freep) Context *c = NULL;
                _cleanup_(kubeconfig_freep) Kubeconfig *kc = NULL;
                _cleanup_free_ char *e = NULL;
                if (root_open(dir, &root) < 0 || context_new(root, true, &c) < 0)
                        abort();
                is_int(kubeconfig_parse("/etc/kubernetes/kubelet.conf", current, strlen(current), &kc, &e), 0, "parse current");
                is_int(kubeconfig_load(kc, c, KUBECONFIG_CLIENT_CERT | KUBECONFIG_CLIENT_KEY, &e), 0, "load its files");
                is_str(kc->client_cert.data, pem, "client certificate read from the symlinked file");
                is_str(kc->client_key.data, pem, "the key from the same file");
                free(kc->client_key.path);
                kc->client_key.path = strdup("/var/lib/kubelet/pki/gone.pem");
                free(kc->client_key.data);
                kc->client_key.data = NULL;
                is_int(kubeconfig_load(kc, c, KUBECONFIG_CLIENT_KEY, &e), -ENOENT, "a missing file");
                is_str(e, "/etc/kubernetes/kubelet.conf: client-key /var/lib/kubelet/pki/gone.pem: no such file", "names both");
        }

        Change ch = {};
        is_int(plan_install(dir, p, "/root/good.conf", "", &ch, &error), 1, "good kubeconfig: a change");
        ok(!error, "no error");
        if (ch.n_ops == 1) {
                const NodeFile *after = ch.ops[0].after;
                _cleanup_free_ char *good_text = kubeconfig_text(&ca, &good, &good, SERVER, "system:node:node01");
                is_str(after->path, "/etc/kubernetes/kubelet.conf", "writes kubelet.conf");
                is_str(after->data, good_text, "with the source's bytes");
                ok(after->mode == 0600 && after->uid == 0 && after->gid == 0, "mode 0600 root:root");
        } else
                ok(false, "one op planned (%zu)", ch.n_ops);
        _cleanup_(cert_info_freep) CertInfo *gi = NULL, *ei = NULL;
        if (cert_info_from_pem("g", good.cert_pem, strlen(good.cert_pem), &gi, &error) < 0 ||
            cert_info_from_pem("e", expired.cert_pem, strlen(expired.cert_pem), &ei, &error) < 0 ||
            format_utc(gi->not_after, &until) < 0 || format_utc(ei->not_after, &expired_on) < 0 ||
            asprintf(&note, "client certificate for system:node:node01, valid until %s, signed by CN=kubernetes", until) < 0)
                abort();
        is_str(ch.note, note, "the note says what was validated");
        change_done(&ch);

        if (asprintf(&want, "/root/expired.conf: client certificate expired on %s", expired_on) < 0)
                abort();
        expect_refused(dir, p, "/root/expired.conf", "", -EKEYEXPIRED, want);
        _cleanup_free_ char *e = NULL;
        is_int(plan_install(dir, p, "/root/future.conf", "", &ch, &e), -EINVAL, "not yet valid: refused");
        ok(e && startswith(e, "/root/future.conf: client certificate is not valid before "), "not yet valid: says so (%s)", e);
        change_done(&ch);
        expect_refused(dir, p, "/root/node02.conf", "", -EINVAL,
                       "/root/node02.conf: the client certificate is for 'system:node:node02', not 'system:node:node01' "
                       "(the node name, from /etc/kubernetes/kubelet.conf)");
        expect_refused(dir, p, "/root/good.conf", "node03", -EINVAL,
                       "/root/good.conf: the client certificate is for 'system:node:node01', not 'system:node:node03' "
                       "(the node name, from node_name)");
        expect_refused(dir, p, "/root/noorg.conf", "", -EINVAL,
                       "/root/noorg.conf: the client certificate's organizations (none) do not include system:nodes: the API "
                       "server would not authorize it as a node (kubeadm kubeconfig user --org system:nodes)");
        expect_refused(dir, p, "/root/foreign.conf", "", -EINVAL,
                       "/root/foreign.conf: its cluster CA is not the CA of /etc/kubernetes/kubelet.conf: the kubeconfig is "
                       "for another cluster");
        expect_refused(dir, p, "/root/unsigned.conf", "", -EINVAL,
                       "/root/unsigned.conf: the client certificate (issuer CN=kubernetes) is not signed by the cluster CA");
        expect_refused(dir, p, "/root/server.conf", "", -EINVAL,
                       "/root/server.conf: server https://198.51.100.7:6443 is not the server of /etc/kubernetes/kubelet.conf "
                       "(https://192.0.2.1:6443): the kubeconfig is for another cluster");
        expect_refused(dir, p, "/root/mismatch.conf", "", -EINVAL,
                       "/root/mismatch.conf: the client key does not belong to the client certificate");
        expect_refused(dir, p, "/root/none.conf", "", -ENOENT,
                       "/root/none.conf: no such file: copy the new kubeconfig to the node first");

        /* node_name given: node02's kubeconfig is right for node02. */
        is_int(plan_install(dir, p, "/root/node02.conf", "node02", &ch, &error), 1, "node_name=node02 takes node02's");
        change_done(&ch);

        /* No kubelet.conf: the name is the hostname, lower-cased, and there is nothing to compare with. */
        _cleanup_free_ char *conf = dir_path(dir, "/etc/kubernetes/kubelet.conf");
        ok(unlink(conf) == 0, "remove kubelet.conf");
        is_int(plan_install(dir, p, "/root/server.conf", "", &ch, &error), 1, "no kubelet.conf: any server is taken");
        change_done(&ch);
        expect_refused(dir, p, "/root/node02.conf", "", -EINVAL,
                       "/root/node02.conf: the client certificate is for 'system:node:node02', not 'system:node:node01' "
                       "(the node name, from /etc/hostname)");

        for (size_t i = 0; i < ELEMENTSOF(all); i++)
                pair_done(all[i]);
        rm_rf(dir);
}

int main(void) {
        test_fixture();
        test_parse_errors();
        test_certs();
        test_action();
        return tap_done();
}
