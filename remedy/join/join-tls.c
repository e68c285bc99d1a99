/* SPDX-License-Identifier: MIT */
/*
 * The TLS and request layers of the join check, with OpenSSL: the handshake is made without
 * verification so that what the server presents can be judged layer by layer, as the kubelet's
 * Go client would refuse it: a chain that does not lead to the kubeconfig's CA, a certificate
 * expired or not yet valid by this node's clock, a host that is not among its names. Then a
 * minimal HTTP/1.1 exchange (one request a connection, "Connection: close") with the client
 * certificate or the bearer token, as client-go authenticates: the status line and the Date
 * header are all that is read, and the body's "message" for a refusal.
 */
#include "join-internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "remedy/kubeconfig.h"
#include "remedy/strv.h"

/* At most this much of an answer is read: /version and a Node are a few KiB. */
#define ANSWER_MAX (256 * 1024)

DEFINE_TRIVIAL_CLEANUP_FUNC(X509 *, X509_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(X509_STORE *, X509_STORE_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(X509_STORE_CTX *, X509_STORE_CTX_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_PKEY *, EVP_PKEY_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(BIO *, BIO_free_all);
DEFINE_TRIVIAL_CLEANUP_FUNC(GENERAL_NAMES *, GENERAL_NAMES_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

static char *openssl_reason(void) {
        unsigned long e = ERR_get_error();
        char buf[256];
        ERR_clear_error();
        if (!e)
                return strdup("the connection was closed");
        ERR_error_string_n(e, buf, sizeof buf);
        return strdup(buf);
}

static bool host_is_ip(const char *host) {
        unsigned char buf[sizeof(struct in6_addr)];
        return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static BIO *mem_bio(const char *data, size_t size) {
        return size > INT32_MAX ? NULL : BIO_new_mem_buf(data, (int) size);
}

/* A connected TLS session to the API server, with the client certificate when there is one. */
typedef struct Session {
        int fd;
        SSL_CTX *ctx;
        SSL *ssl;
} Session;

static void session_done(Session *s) {
        if (s->ssl) {
                (void) SSL_shutdown(s->ssl);
                SSL_free(s->ssl);
        }
        SSL_CTX_free(s->ctx);
        if (s->fd >= 0)
                close(s->fd);
        *s = (Session) { .fd = -1 };
}

/* 0, or -errno with *ret_error ("connect: ...", "TLS handshake: ..."). */
static int session_open(JoinCheck *j, Session *s, char **ret_error) {
        const Kubeconfig *kc = j->kc;
        int r;

        *s = (Session) { .fd = -1 };
        if ((r = join_connect(j, &s->fd)) < 0)
                return asprintf(ret_error, "connect: %s", strerror(-r)) < 0 ? -ENOMEM : r;
        if (!(s->ctx = SSL_CTX_new(TLS_client_method())))
                return -ENOMEM;
        /* Verified by check_server_certificate(), one question at a time. */
        SSL_CTX_set_verify(s->ctx, SSL_VERIFY_NONE, NULL);
        (void) SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION);
        if (kc->client_cert.data && kc->client_key.data) {
                _cleanup_(BIO_free_allp) BIO *cb = mem_bio(kc->client_cert.data, kc->client_cert.size),
                                             *kb = mem_bio(kc->client_key.data, kc->client_key.size);
                _cleanup_(X509_freep) X509 *cert = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
                _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
                if (!cert || !key || SSL_CTX_use_certificate(s->ctx, cert) != 1 || SSL_CTX_use_PrivateKey(s->ctx, key) != 1) {
                        _cleanup_free_ char *why = openssl_reason();
                        return asprintf(ret_error, "the client certificate cannot be used: %s", strempty(why)) < 0 ? -ENOMEM
                                                                                                                  : -EINVAL;
                }
        }
        if (!(s->ssl = SSL_new(s->ctx)) || SSL_set_fd(s->ssl, s->fd) != 1)
                return -ENOMEM;
        /* SNI as Go sends it: for a name, not for an address. */
        if (!host_is_ip(j->host))
                (void) SSL_set_tlsext_host_name(s->ssl, j->host);
        if (SSL_connect(s->ssl) != 1) {
                _cleanup_free_ char *why = openssl_reason();
                return asprintf(ret_error, "TLS handshake: %s", strempty(why)) < 0 ? -ENOMEM : -EPROTO;
        }
        return 0;
}

static char *asn1_time_utc(const ASN1_TIME *t) {
        struct tm tm = {};
        char *r = NULL;
        if (ASN1_TIME_to_tm(t, &tm) != 1 || format_utc(timegm(&tm), &r) < 0)
                return NULL;
        return r;
}

/* "DNS:kubernetes, IP:10.96.0.1, ..." */
static char *subject_alt_names(X509 *cert) {
        _cleanup_(GENERAL_NAMES_freep) GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
        _cleanup_strv_free_ char **list = NULL;

        for (int i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
                const GENERAL_NAME *n = sk_GENERAL_NAME_value(names, i);
                char *item = NULL;
                if (n->type == GEN_DNS) {
                        if (asprintf(&item, "DNS:%.*s", ASN1_STRING_length(n->d.dNSName),
                                     (const char *) ASN1_STRING_get0_data(n->d.dNSName)) < 0)
                                item = NULL;
                } else if (n->type == GEN_IPADD) {
                        char a[INET6_ADDRSTRLEN] = "?";
                        int len = ASN1_STRING_length(n->d.iPAddress);
                        inet_ntop(len == 16 ? AF_INET6 : AF_INET, ASN1_STRING_get0_data(n->d.iPAddress), a, sizeof a);
                        if (asprintf(&item, "IP:%s", a) < 0)
                                item = NULL;
                } else
                        continue;
                if (!item || strv_consume(&list, item) < 0)
                        return NULL;
        }
        if (!list)
                return strdup("none");
        return join_words(list, ", ");
}

static char *name_line(const X509_NAME *n) {
        _cleanup_(BIO_free_allp) BIO *b = BIO_new(BIO_s_mem());
        char *data;
        if (!b || X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) < 0)
                return NULL;
        long len = BIO_get_mem_data(b, &data);
        return strndup(data, (size_t) len);
}

static int check_server_certificate(JoinCheck *j, SSL *ssl) {
        const Kubeconfig *kc = j->kc;
        _cleanup_(X509_freep) X509 *leaf = SSL_get1_peer_certificate(ssl);
        _cleanup_(X509_STORE_freep) X509_STORE *store = X509_STORE_new();
        _cleanup_(X509_STORE_CTX_freep) X509_STORE_CTX *sctx = X509_STORE_CTX_new();
        _cleanup_(BIO_free_allp) BIO *cab = kc->ca.data ? mem_bio(kc->ca.data, kc->ca.size) : BIO_new(BIO_s_mem());
        _cleanup_free_ char *subject = NULL, *issuer = NULL, *sans = NULL, *ca_subject = NULL;
        _cleanup_strv_free_ char **evidence = NULL;
        char *line = NULL;
        int r;

        if (!store || !sctx || !cab)
                return -ENOMEM;
        if (!leaf)
                return join_fail(j, "join-tls-failed", NULL, "look at the API server's serving certificate on the control plane",
                                 "the API server at %s port %s presented no certificate", j->host, j->port);
        /* Every certificate of the CA data is trusted, as client-go's CA pool does. */
        for (X509 *ca; (ca = PEM_read_bio_X509(cab, NULL, NULL, NULL));) {
                if (!ca_subject)
                        ca_subject = name_line(X509_get_subject_name(ca));
                r = X509_STORE_add_cert(store, ca);
                X509_free(ca);
                if (r != 1)
                        return -ENOMEM;
        }
        ERR_clear_error();
        subject = name_line(X509_get_subject_name(leaf));
        issuer = name_line(X509_get_issuer_name(leaf));
        sans = subject_alt_names(leaf);
        if (!subject || !issuer || !sans)
                return -ENOMEM;

        /* 1. the chain, without the dates: they are the next question; with no CA (--api-server
         * before join, no ca.crt on the node) there is nothing to verify it against */
        if (X509_STORE_CTX_init(sctx, store, leaf, SSL_get_peer_cert_chain(ssl)) != 1)
                return -ENOMEM;
        X509_STORE_CTX_set_flags(sctx, X509_V_FLAG_NO_CHECK_TIME);
        if (j->ca_from && X509_verify_cert(sctx) != 1) {
                int err = X509_STORE_CTX_get_error(sctx);
                if (asprintf(&line, "the server's certificate (%s) is issued by %s; %s trusts %s: %s", subject, issuer,
                             j->ca_from, strempty(ca_subject), X509_verify_cert_error_string(err)) < 0 ||
                    strv_consume(&evidence, line) < 0)
                        return -ENOMEM;
                return join_fail(j, "join-tls-untrusted", &evidence,
                                 "the kubeconfig's CA did not sign the API server's certificate: is server the right cluster? "
                                 "On a control-plane node compare `openssl x509 -noout -issuer -in /etc/kubernetes/pki/apiserver.crt` "
                                 "with the kubeconfig's CA, then join again with the command `kubeadm token create "
                                 "--print-join-command` prints",
                                 "the API server's certificate does not verify against the kubeconfig's CA");
        }

        /* 2. the dates, by this node's clock */
        time_t now = time(NULL);
        const ASN1_TIME *not_before = X509_get0_notBefore(leaf), *not_after = X509_get0_notAfter(leaf);
        _cleanup_free_ char *from = asn1_time_utc(not_before), *until = asn1_time_utc(not_after), *local = NULL;
        if (!from || !until || format_utc(now, &local) < 0)
                return -ENOMEM;
        if (X509_cmp_time(not_after, &now) < 0) {
                if (asprintf(&line, "the server's certificate (%s) expired on %s; this node's clock says %s", subject, until,
                             local) < 0 || strv_consume(&evidence, line) < 0)
                        return -ENOMEM;
                return join_fail(j, "join-tls-server-expired", &evidence,
                                 "renew it on the control plane: kubeadm certs renew apiserver, then restart kube-apiserver "
                                 "(kubeadm certs check-expiration lists what else expired)",
                                 "the API server's certificate has expired");
        }
        if (X509_cmp_time(not_before, &now) > 0) {
                if (asprintf(&line, "the server's certificate (%s) is valid from %s; this node's clock says %s", subject, from,
                             local) < 0 || strv_consume(&evidence, line) < 0)
                        return -ENOMEM;
                return join_fail(j, "join-tls-server-not-yet-valid", &evidence,
                                 "a clock is wrong: this node's is behind or the control plane's was ahead when it issued the "
                                 "certificate; compare `timedatectl status` on both and synchronise them",
                                 "the API server's certificate is not valid yet by this node's clock");
        }

        /* 3. the name: Go's VerifyHostname, an IP against IP SANs, a name against DNS SANs */
        r = host_is_ip(j->host) ? X509_check_ip_asc(leaf, j->host, 0) : X509_check_host(leaf, j->host, 0, 0, NULL);
        if (r != 1) {
                if (asprintf(&line, "%s%s connects to '%s'; the server's certificate (%s) names %s",
                             j->server_from == j->kubeconfig ? "the kubeconfig " : "", j->server_from, j->host, subject,
                             sans) < 0 || strv_consume(&evidence, line) < 0)
                        return -ENOMEM;
                return join_fail(j, "join-tls-name-mismatch", &evidence,
                                 "use a name the certificate has in the kubeconfig's server, or add this one on the control "
                                 "plane: apiServer.certSANs in the kubeadm ClusterConfiguration, move apiserver.crt and "
                                 "apiserver.key out of /etc/kubernetes/pki, run kubeadm init phase certs apiserver --config FILE, "
                                 "and restart kube-apiserver",
                                 "the API server's certificate is not for '%s'", j->host);
        }
        if (!j->ca_from)
                return join_layer(j, "tls: the server's certificate (%s, %s, issued by %s), valid until %s: not verified: no CA given",
                                  subject, sans, issuer, until);
        if (!j->kubeconfig)
                return join_layer(j, "tls: the server's certificate (%s, %s) verifies against %s, valid until %s", subject, sans,
                                  j->ca_from, until);
        return join_layer(j, "tls: the server's certificate (%s, %s) verifies against the kubeconfig's CA, valid until %s",
                          subject, sans, until);
}

int join_check_tls(JoinCheck *j) {
        _cleanup_(session_done) Session s = { .fd = -1 };
        _cleanup_free_ char *error = NULL;

        int r = session_open(j, &s, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return join_fail(j, "join-tls-failed", NULL,
                                 "is it the API server that listens there? curl -vk https://HOST:PORT/healthz shows what answers",
                                 "no TLS session with the API server at %s port %s: %s", j->host, j->port, strempty(error));
        return check_server_certificate(j, s.ssl);
}

/* One request on a new session: the status (0 when there was no valid answer, with *ret_error),
 * the Date header and the body's "message". */
static int request(JoinCheck *j, const char *path, int *ret_status, char **ret_message, char **ret_error) {
        _cleanup_(session_done) Session s = { .fd = -1 };
        _cleanup_free_ char *req = NULL, *answer = NULL;
        size_t size = 0;
        int r;

        *ret_status = 0;
        *ret_message = NULL;
        r = session_open(j, &s, ret_error);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        if (j->token)
                r = asprintf(&req, "GET %s HTTP/1.1\r\nHost: %s%s%s:%s\r\nUser-Agent: remedy\r\nAccept: application/json\r\n"
                             "Authorization: Bearer %s\r\nConnection: close\r\n\r\n", path, strchr(j->host, ':') ? "[" : "",
                             j->host, strchr(j->host, ':') ? "]" : "", j->port, j->token);
        else
                r = asprintf(&req, "GET %s HTTP/1.1\r\nHost: %s%s%s:%s\r\nUser-Agent: remedy\r\nAccept: application/json\r\n"
                             "Connection: close\r\n\r\n", path, strchr(j->host, ':') ? "[" : "", j->host,
                             strchr(j->host, ':') ? "]" : "", j->port);
        if (r < 0 || !(answer = malloc(ANSWER_MAX + 1)))
                return -ENOMEM;
        time_t sent = time(NULL);
        if (SSL_write(s.ssl, req, (int) strlen(req)) <= 0) {
                _cleanup_free_ char *why = openssl_reason();
                return asprintf(ret_error, "sending GET %s: %s", path, strempty(why)) < 0 ? -ENOMEM : 0;
        }
        for (int n; size < ANSWER_MAX && (n = SSL_read(s.ssl, answer + size, (int) (ANSWER_MAX - size))) > 0;)
                size += (size_t) n;
        time_t received = time(NULL);
        answer[size] = 0;

        int minor, status;
        if (sscanf(answer, "HTTP/1.%d %d", &minor, &status) != 2 || status < 100 || status > 999)
                return asprintf(ret_error, "GET %s: no HTTP answer (%zu bytes)", path, size) < 0 ? -ENOMEM : 0;
        char *body = strstr(answer, "\r\n\r\n");
        if (body)
                *body = 0;
        for (char *h = strstr(answer, "\r\n"); h; h = strstr(h + 2, "\r\n"))
                if (strncasecmp(h + 2, "Date:", 5) == 0) {
                        struct tm tm = {};
                        const char *v = h + 7;
                        v += strspn(v, " \t");
                        /* RFC 9110 IMF-fixdate, as Go's net/http writes it */
                        if (strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm)) {
                                j->server_date = timegm(&tm);
                                j->local_date = sent + (received - sent) / 2;
                        }
                }
        if (body) {
                /* A metav1.Status: its message says who was refused what. */
                _cleanup_(json_object_putp) json_object *o = json_tokener_parse(body + 4);
                json_object *m;
                if (o && json_object_object_get_ex(o, "message", &m) && json_object_is_type(m, json_type_string) &&
                    !(*ret_message = strdup(json_object_get_string(m))))
                        return -ENOMEM;
        }
        *ret_status = status;
        return 0;
}

static const char *status_words(int status) {
        switch (status) {
        case 200:
                return "OK";
        case 401:
                return "Unauthorized: the credentials are not accepted";
        case 403:
                return "Forbidden: authenticated, but not allowed";
        case 404:
                return "Not Found";
        default:
                return status >= 500 ? "a server error" : "unexpected";
        }
}

static int request_failed(JoinCheck *j, const char *path, int status, const char *message, const char *error) {
        _cleanup_strv_free_ char **evidence = NULL;
        char *line = NULL;
        const char *who = j->token ? (j->bootstrap ? "the bootstrap token" : "the token") : "the client certificate";

        if (!j->kubeconfig) {
                /* No credentials to judge (--api-server before join): what the server says is a
                 * layer, and only "no answer" a finding. */
                if (status == 0)
                        return join_fail(j, "join-api-error", NULL, "look at kube-apiserver's log on the control plane",
                                         "GET %s failed: %s", path, strempty(error));
                return join_layer(j, "request: GET %s without credentials: %d %s%s%s", path, status, status_words(status),
                                  message ? ": " : "", strempty(message));
        }
        if (status == 0)
                return join_fail(j, "join-api-error", NULL, "look at kube-apiserver's log on the control plane",
                                 "GET %s failed: %s", path, strempty(error));
        if (asprintf(&line, "GET https://%s:%s%s with %s of %s: %d %s%s%s", j->host, j->port, path, who, j->kubeconfig, status,
                     status_words(status), message ? ": " : "", strempty(message)) < 0 ||
            strv_consume(&evidence, line) < 0)
                return -ENOMEM;
        if (j->server_date) {
                long offset = (long) difftime(j->server_date, j->local_date);
                if (labs(offset) > JOIN_CLOCK_SKEW_MAX_SEC &&
                    (asprintf(&line, "the API server's clock is %+ld s from this node's", offset) < 0 ||
                     strv_consume(&evidence, line) < 0))
                        return -ENOMEM;
        }
        if (status == 401 && j->token && j->bootstrap) {
                /* kube-apiserver's bootstrap token authenticator (plugin/pkg/auth/authenticator/
                 * token/bootstrap) answers an expired token as one whose Secret is gone: not a user,
                 * 401. The Secret bootstrap-token-ID in kube-system has the expiration, and the
                 * token may not read it (RBAC): 401 is all a node can know. The ID is not the secret
                 * half: kubeadm token list shows it. */
                _cleanup_free_ char *id = strndup(j->token, 6);
                if (!id || asprintf(&line, "the token's ID is '%s': its Secret, bootstrap-token-%s in kube-system, holds its "
                                    "expiration (which this token may not read)", id, id) < 0 ||
                    strv_consume(&evidence, line) < 0)
                        return -ENOMEM;
                return join_fail(j, "join-bootstrap-token-rejected", &evidence,
                                 "on a control-plane node, kubeadm token list shows the tokens and when they expire (24 hours "
                                 "after creation by default): create a new one with `kubeadm token create --print-join-command` "
                                 "and join again with the command it prints",
                                 "the API server rejects the bootstrap token (401): token rejected: expired or deleted");
        }
        if (status == 401)
                return join_fail(j, "join-credentials-rejected", &evidence,
                                 j->token ? "the token expired or was deleted (kubeadm token list on a control-plane node): "
                                            "create one with `kubeadm token create --print-join-command` and join again with "
                                            "the command it prints"
                                          : "the cluster does not accept this certificate (another cluster's CA, a rotated CA, "
                                            "or expired by the server's clock): on a control-plane node kubeadm kubeconfig user "
                                            "--client-name=system:node:NODE --org system:nodes > NODE.conf, then "
                                            "remedy apply kubelet-rotate-kubeconfig --set kubeconfig=/root/NODE.conf",
                                 "the API server rejects %s (401)", who);
        if (status == 403)
                return join_fail(j, "join-node-forbidden", &evidence,
                                 "the node authorizer admits user system:node:NAME in group system:nodes for Node NAME only: "
                                 "make a certificate for this node's name (kubeadm kubeconfig user "
                                 "--client-name=system:node:NODE --org system:nodes on a control-plane node); a CSR waiting "
                                 "for approval shows in kubectl get csr (kubectl certificate approve NAME)",
                                 "the API server forbids %s to read Node '%s' (403)", who, strempty(j->node_name));
        return join_fail(j, "join-api-error", &evidence, "look at kube-apiserver's log on the control plane",
                         "the API server answers GET %s with %d", path, status);
}

int join_check_requests(JoinCheck *j) {
        _cleanup_free_ char *message = NULL, *error = NULL, *path = NULL;
        int status, r;

        if ((r = request(j, "/version", &status, &message, &error)) < 0)
                return r;
        if (status != 200)
                return request_failed(j, "/version", status, message, error);
        if (!j->kubeconfig)
                return join_layer(j, "request: GET /version without credentials: 200 OK");
        if ((r = join_layer(j, "request: GET /version: 200 OK, %s accepted", j->token ? "the token" : "the client certificate")) < 0)
                return r;
        /* A bootstrap token may only ask for a certificate (system:bootstrappers): there is no
         * Node to read with it yet. */
        if (j->token || !j->node_name)
                return 0;
        /* A Node's name is a DNS subdomain (RFC 1123): anything else is no Node, and no request. */
        if (!*j->node_name || j->node_name[strspn(j->node_name, "abcdefghijklmnopqrstuvwxyz0123456789.-")])
                return join_layer(j, "request: the node name '%s' is not a DNS subdomain: no Node to read", j->node_name);
        message = mfree(message);
        if (asprintf(&path, "/api/v1/nodes/%s", j->node_name) < 0)
                return -ENOMEM;
        if ((r = request(j, path, &status, &message, &error)) < 0)
                return r;
        if (status == 200)
                return join_layer(j, "request: GET %s: 200 OK, the node is registered", path);
        if (status == 404)
                /* The node authorizer lets a kubelet read its own Node before it exists. */
                return join_layer(j, "request: GET %s: 404 Not Found: allowed, not registered yet (the kubelet registers it)", path);
        return request_failed(j, path, status, message, error);
}
