/* SPDX-License-Identifier: MIT */
/*
 * The file layers of the join check, offline and live: which kubeconfig the kubelet uses, that
 * it parses, its server URL, its CA (and that it is the cluster CA the node holds in
 * /etc/kubernetes/pki/ca.crt), its credentials (a client certificate signed by that CA, with its
 * key, for system:node:NAME in system:nodes; or a token), and that the node name the kubelet
 * registers agrees with the certificate. Each failure is an advice-only finding naming the file
 * and the field.
 */
#include "join-internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "remedy/context.h"
#include "remedy/kubeconfig.h"
#include "remedy/kubelet-cmdline.h"
#include "remedy/strv.h"

#define CLUSTER_CA "/etc/kubernetes/pki/ca.crt"
#define JOIN_COMMAND "kubeadm token create --print-join-command"

/* join_fail with one line of evidence. */
_printf_(5, 6) static int fail_one(JoinCheck *j, const char *name, const char *summary, const char *advice,
                                   const char *evidence_fmt, ...) {
        _cleanup_strv_free_ char **evidence = NULL;
        char *line = NULL;
        va_list ap;

        va_start(ap, evidence_fmt);
        int r = vasprintf(&line, evidence_fmt, ap);
        va_end(ap);
        if (r < 0 || strv_consume(&evidence, line) < 0)
                return -ENOMEM;
        return join_fail(j, name, &evidence, advice, "%s", summary);
}

/* A regular file of the node, or NULL (absent or not a regular file). */
static const NodeFile *read_regular(Context *c, const char *path) {
        const NodeFile *f;
        if (ctx_read(c, path, true, &f) < 0 || f->kind != FILE_REGULAR)
                return NULL;
        return f;
}

static char *lowercase(char *s) {
        for (char *p = s; p && *p; p++)
                *p = (char) tolower((unsigned char) *p);
        return s;
}

/* The node's hostname as the kubelet reads it (os.Hostname(), lower-cased by
 * pkg/util/node.GetHostname): live the kernel's, offline /etc/hostname's first line. */
static int node_hostname(Context *c, char **ret, const char **ret_source) {
        if (!c->offline) {
                char buf[256] = {};
                if (gethostname(buf, sizeof buf - 1) < 0)
                        return -errno;
                *ret_source = "the hostname";
                return (*ret = lowercase(strdup(buf))) ? 0 : -ENOMEM;
        }
        const NodeFile *f = read_regular(c, "/etc/hostname");
        *ret_source = "/etc/hostname";
        if (!f) {
                *ret = NULL;
                return 0;
        }
        size_t n = strcspn(f->data, "\n");
        while (n > 0 && isspace((unsigned char) f->data[n - 1]))
                n--;
        size_t skip = strspn(f->data, " \t");
        if (skip >= n) {
                *ret = NULL;
                return 0;
        }
        return (*ret = lowercase(strndup(f->data + skip, n - skip))) ? 0 : -ENOMEM;
}

/* Which kubeconfig the kubelet uses: --kubeconfig, or --bootstrap-kubeconfig while the former is
 * not there (kubelet's bootstrap.LoadClientCert). 0 with *ret NULL when neither exists. */
static int pick_kubeconfig(Context *c, const KubeletCommandLine *cl, bool have_cl, char **ret, bool *ret_bootstrap,
                           JoinCheck *j) {
        _cleanup_free_ char *kubeconfig = NULL, *bootstrap = NULL;
        const KubeletArg *b = have_cl ? kubelet_cmdline_find(cl, "bootstrap-kubeconfig") : NULL;

        /* relative to the kubelet's working directory, "/" */
        const char *k = have_cl && cl->kubeconfig_path ? cl->kubeconfig_path : KUBELET_KUBECONFIG_DEFAULT;
        if (asprintf(&kubeconfig, "%s%s", k[0] == '/' ? "" : "/", k) < 0)
                return -ENOMEM;
        if (b && b->value && *b->value && asprintf(&bootstrap, "%s%s", b->value[0] == '/' ? "" : "/", b->value) < 0)
                return -ENOMEM;

        *ret = NULL;
        *ret_bootstrap = false;
        const NodeFile *f;
        if (ctx_read(c, kubeconfig, true, &f) >= 0 && f->kind != FILE_ABSENT) {
                *ret = TAKE_PTR(kubeconfig);
                return 0;
        }
        if (bootstrap && ctx_read(c, bootstrap, true, &f) >= 0 && f->kind != FILE_ABSENT) {
                *ret = TAKE_PTR(bootstrap);
                *ret_bootstrap = true;
                return 0;
        }
        return join_layer(j, "kubeconfig: neither %s%s%s exists: the node has not joined (%s)", kubeconfig,
                          bootstrap ? " nor the bootstrap kubeconfig " : "", strempty(bootstrap),
                          j->api_server ? "the API server given with --api-server is judged" : "nothing to judge");
}

static int check_ca(Context *c, JoinCheck *j, Kubeconfig *kc) {
        _cleanup_free_ char *error = NULL;
        _cleanup_(cert_info_freep) CertInfo *ca = NULL;
        const char *where = kc->ca.path ? "certificate-authority" : "certificate-authority-data";
        int r;

        if (!kc->ca.data && !kc->ca.path)
                return fail_one(j, "join-ca-missing", "the kubeconfig names no cluster CA",
                                "add the cluster CA as certificate-authority-data: base64 -w0 " CLUSTER_CA
                                " on a control-plane node; or join again with the command `" JOIN_COMMAND
                                "` prints there",
                                "%s: cluster '%s' has neither certificate-authority nor certificate-authority-data",
                                j->kubeconfig, kc->cluster_name);
        r = kubeconfig_load(kc, c, KUBECONFIG_CA, &error);
        if (r == -ENOMEM)
                return r;
        if (r >= 0)
                r = cert_info_from_pem(kc->ca.path ?: j->kubeconfig, kc->ca.data, kc->ca.size, &ca, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return fail_one(j, "join-ca-invalid", "the kubeconfig's cluster CA cannot be read",
                                "copy " CLUSTER_CA " from a control-plane node (or its base64 as "
                                "certificate-authority-data)", "%s: %s", where, error ? error : strerror(-r));

        if (asprintf(&j->ca_from, "the kubeconfig %s", j->kubeconfig) < 0)
                return -ENOMEM;
        const NodeFile *pki = read_regular(c, CLUSTER_CA);
        if (!pki)
                return join_layer(j, "ca: %s of %s: %s (no %s on the node to compare with)", where, j->kubeconfig,
                                  strempty(ca->subject), CLUSTER_CA);
        r = cert_same(where, kc->ca.data, kc->ca.size, CLUSTER_CA, pki->data, pki->size, &error);
        if (r == -ENOMEM)
                return r;
        if (r == 0 || r < 0) {
                _cleanup_(cert_info_freep) CertInfo *node_ca = NULL;
                _cleanup_free_ char *e2 = NULL;
                (void) cert_info_from_pem(CLUSTER_CA, pki->data, pki->size, &node_ca, &e2);
                return fail_one(j, "join-ca-mismatch", "the kubeconfig trusts another CA than the node's " CLUSTER_CA,
                                "find out which is the cluster's: on a control-plane node, `kubeadm certs check-expiration` "
                                "lists the CA and `openssl x509 -noout -fingerprint -sha256 -in " CLUSTER_CA
                                "` prints its fingerprint; then join again with the command `" JOIN_COMMAND
                                "` prints (its --discovery-token-ca-cert-hash pins the CA)",
                                "%s: %s is %s; %s is %s", j->kubeconfig, where, strempty(ca->subject), CLUSTER_CA,
                                node_ca ? strempty(node_ca->subject) : e2 ? e2 : "not a certificate");
        }
        return join_layer(j, "ca: %s of %s is %s, the same as %s", where, j->kubeconfig, strempty(ca->subject),
                          CLUSTER_CA);
}

/* The token of a bootstrap kubeconfig: its format; tokenFile is read. */
static int check_token(Context *c, JoinCheck *j, const Kubeconfig *kc) {
        const char *token = kc->token_value;
        _cleanup_free_ char *from_file = NULL;

        if (!token && kc->token_file) {
                const NodeFile *f = read_regular(c, kc->token_file);
                if (!f)
                        return fail_one(j, "join-credentials-missing", "the kubeconfig's tokenFile is not there",
                                        "create a bootstrap token with `" JOIN_COMMAND "` on a control-plane node",
                                        "%s: tokenFile %s: no such file", j->kubeconfig, kc->token_file);
                if (!(from_file = strndup(f->data, strcspn(f->data, "\r\n"))))
                        return -ENOMEM;
                token = from_file;
        }
        if (j->bootstrap && !bootstrap_token_valid_format(token))
                /* The token itself is a secret: the evidence names where it is, not what it is. */
                return fail_one(j, "join-bootstrap-token-format", "the bootstrap token is not of the form [a-z0-9]{6}.[a-z0-9]{16}",
                                "create a new one with `" JOIN_COMMAND "` on a control-plane node and join again with the "
                                "command it prints (tokens live 24 hours by default)",
                                "%s: users[].user.%s of user '%s' is %zu characters, not ID.SECRET", j->kubeconfig,
                                kc->token_value ? "token" : "tokenFile", kc->user_name, strlen(strempty(token)));
        if (!(j->token = strdup(token)))
                return -ENOMEM;
        return join_layer(j, "credentials: %s token of user '%s' in %s", j->bootstrap ? "a bootstrap" : "a", kc->user_name,
                          j->kubeconfig);
}

static char *cn_node_name(const CertInfo *info) {
        const char *cn = info->common_name;
        return cn && startswith(cn, "system:node:") ? strdup(cn + strlen("system:node:")) : NULL;
}

static int check_certificate(Context *c, JoinCheck *j, Kubeconfig *kc, const char *hostname, const char *hostname_source,
                             const KubeletArg *override) {
        _cleanup_free_ char *error = NULL, *when = NULL, *cert_node = NULL;
        _cleanup_(cert_info_freep) CertInfo *info = NULL;
        const char *kubeconfig = j->kubeconfig;
        const char *advice_new_cert = "on a control-plane node: kubeadm kubeconfig user --client-name=system:node:NODE "
                                      "--org system:nodes > NODE.conf; copy it here and install it with "
                                      "remedy apply kubelet-rotate-kubeconfig --set kubeconfig=/root/NODE.conf";
        int r;

        r = kubeconfig_load(kc, c, KUBECONFIG_CLIENT_CERT | KUBECONFIG_CLIENT_KEY, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return fail_one(j, "join-client-certificate-missing", "the kubeconfig's client certificate or key cannot be read",
                                advice_new_cert, "%s", error ? error : strerror(-r));
        const char *source = kc->client_cert.path ?: kubeconfig;
        if ((r = cert_info_from_pem(source, kc->client_cert.data, kc->client_cert.size, &info, &error)) == -ENOMEM)
                return r;
        if (r < 0)
                return fail_one(j, "join-client-certificate-missing", "the kubeconfig's client certificate cannot be read",
                                advice_new_cert, "%s", error ? error : strerror(-r));
        if (!kc->client_key.data)
                return fail_one(j, "join-client-certificate-missing", "the kubeconfig has a client certificate but no key",
                                advice_new_cert, "%s: user '%s' has no client-key or client-key-data", kubeconfig,
                                kc->user_name);
        r = cert_matches_key(source, kc->client_cert.data, kc->client_cert.size, kc->client_key.path ?: kubeconfig,
                             kc->client_key.data, kc->client_key.size, &error);
        if (r == -ENOMEM)
                return r;
        if (r <= 0)
                return fail_one(j, "join-client-key-mismatch", "the client certificate and key are not a pair", advice_new_cert,
                                "%s: %s", source, r < 0 && error ? error : "its key is not the certificate's");

        time_t now = time(NULL);
        CertValidity v = cert_validity(info, now);
        if (v != CERT_VALID) {
                if ((r = format_utc(v == CERT_EXPIRED ? info->not_after : info->not_before, &when)) < 0)
                        return r;
                if (j->certificate_validity_reported) {
                        /* kubelet-rotate-kubeconfig is the finding; the later layers cannot pass. */
                        j->failed = true;
                        return join_layer(j, "credentials: the client certificate %s (%s) is %s %s: see kubelet-rotate-kubeconfig",
                                          source, strempty(info->subject), v == CERT_EXPIRED ? "expired since" : "not valid before",
                                          when);
                }
                if (v == CERT_EXPIRED)
                        return fail_one(j, "join-client-certificate-expired", "the client certificate has expired", advice_new_cert,
                                        "%s (%s): expired on %s", source, strempty(info->subject), when);
                return fail_one(j, "join-client-certificate-not-yet-valid",
                                "the client certificate is not valid yet: the node's clock is behind", 
                                "set the clock right (remedy diagnose shows NTPSynchronized live; timedatectl status)",
                                "%s (%s): not valid before %s", source, strempty(info->subject), when);
        }

        if (kc->ca.data) {
                r = cert_signed_by(source, kc->client_cert.data, kc->client_cert.size, "certificate-authority", kc->ca.data,
                                   kc->ca.size, &error);
                if (r == -ENOMEM)
                        return r;
                if (r == 0)
                        return fail_one(j, "join-client-certificate-other-ca",
                                        "the client certificate is not signed by the kubeconfig's CA: the API server will answer 401",
                                        advice_new_cert, "%s (%s) is issued by %s; the cluster CA is another", source,
                                        strempty(info->subject), strempty(info->issuer));
        }

        if (j->bootstrap)
                return join_layer(j, "credentials: client certificate %s (%s)", source, strempty(info->subject));

        /* The node authorizer (plugin/pkg/auth/authorizer/node) and NodeRestriction admit a
         * kubelet as user system:node:NAME in group system:nodes, for Node NAME only. */
        cert_node = cn_node_name(info);
        if (!cert_node || !strv_contains(info->organizations, "system:nodes"))
                return fail_one(j, "join-node-identity",
                                "the client certificate is not a node's (CN=system:node:NAME, O=system:nodes): the API server will answer 403",
                                advice_new_cert, "%s: subject %s", source, strempty(info->subject));

        const char *registers = override ? override->value : hostname;
        if (registers && !streq(registers, cert_node)) {
                _cleanup_strv_free_ char **evidence = NULL;
                char *line = NULL;
                if (override)
                        r = asprintf(&line, "the kubelet registers as '%s' (--hostname-override at %s)", override->value,
                                     override->source);
                else
                        r = asprintf(&line, "the kubelet registers as '%s' (%s)", hostname, hostname_source);
                if (r < 0 || strv_consume(&evidence, line) < 0 ||
                    asprintf(&line, "its client certificate is for '%s' (%s, CN=%s)", cert_node, source, info->common_name) < 0 ||
                    strv_consume(&evidence, line) < 0)
                        return -ENOMEM;
                if (override && hostname && !streq(hostname, override->value) &&
                    (asprintf(&line, "%s is '%s'", hostname_source, hostname) < 0 || strv_consume(&evidence, line) < 0))
                        return -ENOMEM;
                return join_fail(j, "join-node-name-mismatch", &evidence,
                                 "make the names agree: set the hostname (or --hostname-override) back to the certificate's "
                                 "name, or get a certificate for the new name: kubeadm kubeconfig user "
                                 "--client-name=system:node:NAME --org system:nodes on a control-plane node",
                                 "the node name the kubelet registers is not the one its certificate is for: the API server will answer 403");
        }
        if (!(j->node_name = strdup(cert_node)))
                return -ENOMEM;
        return join_layer(j, "credentials: client certificate %s (%s), valid, signed by the cluster CA; node name '%s' agrees",
                          source, strempty(info->subject), cert_node);
}

/* --api-server as the server to reach: its host and port in j, or the finding that it is not
 * usable (j->failed). */
static int use_api_server(JoinCheck *j) {
        _cleanup_free_ char *error = NULL;
        int r = join_parse_api_server(j->api_server, &j->host, &j->port, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return fail_one(j, "join-server-url", "--api-server is not usable", "give --api-server=HOST:PORT",
                                "--api-server: %s", error);
        j->server_from = "--api-server";
        return 0;
}

/* Before join, --api-server and no kubeconfig: the API server kubeadm join will talk to, with
 * the node's cluster CA when it has one, without credentials (kubeadm join's discovery reads
 * cluster-info anonymously). */
static int check_api_server_alone(Context *c, JoinCheck *j) {
        _cleanup_(kubeconfig_freep) Kubeconfig *kc = NULL;
        _cleanup_(cert_info_freep) CertInfo *ca = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        if ((r = use_api_server(j)) < 0 || j->failed)
                return r;
        if ((r = join_layer(j, "server: --api-server %s (host %s, port %s), the API server kubeadm join is given", j->api_server,
                            j->host, j->port)) < 0)
                return r;
        if (!(kc = calloc(1, sizeof *kc)))
                return -ENOMEM;
        const NodeFile *pki = read_regular(c, CLUSTER_CA);
        if (pki) {
                r = cert_info_from_pem(CLUSTER_CA, pki->data, pki->size, &ca, &error);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return fail_one(j, "join-ca-invalid", "the node's cluster CA cannot be read",
                                        "copy " CLUSTER_CA " from a control-plane node, or remove it (kubeadm join writes it)",
                                        "%s", strempty(error));
                if (!(kc->ca.data = strndup(pki->data, pki->size)) || !(kc->ca.path = strdup(CLUSTER_CA)) ||
                    !(j->ca_from = strdup(CLUSTER_CA)))
                        return -ENOMEM;
                kc->ca.size = pki->size;
                r = join_layer(j, "ca: %s is %s: the server's certificate is verified against it", CLUSTER_CA,
                               strempty(ca->subject));
        } else
                r = join_layer(j, "ca: no %s on the node, no kubeconfig: the server's certificate is shown, not verified",
                               CLUSTER_CA);
        if (r < 0)
                return r;
        if (c->offline)
                return join_layer(j, "network: not run offline (resolve, connect, TLS, API requests, clock)");
        j->kc = TAKE_PTR(kc);
        return 0;
}

int join_check_files(Context *c, JoinCheck *j) {
        _cleanup_(kubelet_cmdline_done) KubeletCommandLine cl = {};
        _cleanup_(kubeconfig_freep) Kubeconfig *kc = NULL;
        _cleanup_free_ char *error = NULL, *hostname = NULL;
        const char *hostname_source = NULL;
        int r;

        const NodeFS fs = ctx_node_fs(c);
        r = kubelet_cmdline_resolve(&fs, "kubelet.service", NULL, &cl, &error);
        if (r == -ENOMEM)
                return r;
        bool have_cl = r >= 0;
        error = mfree(error);
        if ((r = pick_kubeconfig(c, &cl, have_cl, &j->kubeconfig, &j->bootstrap, j)) < 0)
                return r;
        if (!j->kubeconfig)
                return j->api_server ? check_api_server_alone(c, j) : 0;

        const NodeFile *f = read_regular(c, j->kubeconfig);
        if (!f)
                return fail_one(j, "join-kubeconfig-invalid", "the kubelet's kubeconfig is not a regular file",
                                "join again: `" JOIN_COMMAND "` on a control-plane node prints the command",
                                "%s: not a regular file", j->kubeconfig);
        r = kubeconfig_parse(j->kubeconfig, f->data, f->size, &kc, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return fail_one(j, "join-kubeconfig-invalid", "the kubelet's kubeconfig does not parse",
                                "join again (`" JOIN_COMMAND "` on a control-plane node prints the command), or fix the line named",
                                "%s", error ? error : strerror(-r));
        if ((r = join_layer(j, "kubeconfig: %s%s, context '%s', cluster '%s', user '%s'", j->kubeconfig,
                            j->bootstrap ? " (bootstrap: the node has not joined yet)" : "", strempty(kc->current_context),
                            strempty(kc->cluster_name), strempty(kc->user_name))) < 0)
                return r;

        r = join_parse_server(kc->server, &j->host, &j->port, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return fail_one(j, "join-server-url", "the kubeconfig's server URL is not usable",
                                "set clusters[].cluster.server to the API server's https://HOST:PORT (`kubectl cluster-info` "
                                "on a control-plane node prints it)", "%s: cluster '%s': server: %s", j->kubeconfig,
                                strempty(kc->cluster_name), error);
        j->server_from = j->kubeconfig;
        if ((r = join_layer(j, "server: %s (host %s, port %s)", kc->server, j->host, j->port)) < 0)
                return r;
        if (j->api_server) {
                /* As kubeadm join's argument: the API server to reach is the one given. */
                j->host = mfree(j->host);
                j->port = mfree(j->port);
                if ((r = use_api_server(j)) < 0 || j->failed)
                        return r;
                if ((r = join_layer(j, "server: --api-server %s instead (host %s, port %s)", j->api_server, j->host,
                                    j->port)) < 0)
                        return r;
        }

        if ((r = check_ca(c, j, kc)) < 0 || j->failed)
                return r;

        if ((r = node_hostname(c, &hostname, &hostname_source)) < 0)
                return r;
        const KubeletArg *override = have_cl ? kubelet_cmdline_find(&cl, "hostname-override") : NULL;
        if (override && (!override->value || !*override->value))
                override = NULL;
        if (override)
                lowercase(override->value);
        if (kc->client_cert.data || kc->client_cert.path)
                r = check_certificate(c, j, kc, hostname, hostname_source, override);
        else if (kc->token)
                r = check_token(c, j, kc);
        else if (kc->exec_command || kc->auth_provider)
                return join_layer(j, "credentials: user '%s' authenticates with %s '%s', which remedy does not run: "
                                  "the later layers are not judged", kc->user_name,
                                  kc->exec_command ? "the exec plugin" : "the auth provider",
                                  kc->exec_command ?: kc->auth_provider);
        else
                r = fail_one(j, "join-credentials-missing", "the kubeconfig has no credentials",
                             j->bootstrap ? "create a bootstrap token with `" JOIN_COMMAND "` on a control-plane node and join with the command it prints"
                                          : "on a control-plane node: kubeadm kubeconfig user --client-name=system:node:NODE "
                                            "--org system:nodes > NODE.conf, then remedy apply kubelet-rotate-kubeconfig --set kubeconfig=NODE.conf",
                             "%s: user '%s' has no client certificate, no token", j->kubeconfig, strempty(kc->user_name));
        if (r < 0 || j->failed)
                return r;
        if (!j->node_name && !(j->node_name = strdup(override ? override->value : strempty(hostname))))
                return -ENOMEM;
        if (c->offline)
                return join_layer(j, "network: not run offline (resolve, connect, TLS, API requests, clock)");
        j->kc = TAKE_PTR(kc);
        return 0;
}
