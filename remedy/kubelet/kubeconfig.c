/* SPDX-License-Identifier: MIT */
/*
 * Kubeconfig files (client-go's clientcmd v1 Config) and their X.509 credentials: see
 * include/remedy/kubeconfig.h. The YAML goes through yaml-node.c (libyaml) so that errors have
 * positions; certificates and keys through OpenSSL's libcrypto.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "remedy/context.h"
#include "remedy/fileio.h"
#include "remedy/kubeconfig.h"
#include "remedy/strv.h"
#include "remedy/yaml-node.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(X509 *, X509_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_PKEY *, EVP_PKEY_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(BIO *, BIO_free_all);
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_ENCODE_CTX *, EVP_ENCODE_CTX_free);

/* Sets *ret_error to "FILE:LINE:COLUMN: reason" (node given) or "FILE: reason"; returns err. */
_printf_(5, 6) static int set_error(char **ret_error, int err, const char *file, const YamlNode *n,
                                    const char *fmt, ...) {
        _cleanup_free_ char *reason = NULL;
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&reason, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        if (ret_error) {
                free(*ret_error);
                k = n ? asprintf(ret_error, "%s:%u:%u: %s", file, n->mark.line, n->mark.column, reason)
                      : asprintf(ret_error, "%s: %s", file, reason);
                if (k < 0) {
                        *ret_error = NULL;
                        return -ENOMEM;
                }
        }
        return err;
}

/* OpenSSL's reason for the last failure, and the queue emptied so it does not leak into the next. */
static const char *openssl_reason(void) {
        unsigned long e = ERR_peek_last_error();
        const char *s = e ? ERR_reason_error_string(e) : NULL;
        ERR_clear_error();
        return s ?: "unknown error";
}

/* Encrypted keys are refused rather than prompted for: remedy is not interactive. */
static int no_password(char *buf, int size, int rwflag, void *u) {
        return -1;
}

Kubeconfig *kubeconfig_free(Kubeconfig *kc) {
        if (!kc)
                return NULL;
        free(kc->file);
        free(kc->current_context);
        free(kc->cluster_name);
        free(kc->user_name);
        free(kc->server);
        free(kc->exec_command);
        free(kc->auth_provider);
        free(kc->token_value);
        free(kc->token_file);
        KubeconfigBlob *blobs[] = { &kc->ca, &kc->client_cert, &kc->client_key };
        for (size_t i = 0; i < ELEMENTSOF(blobs); i++) {
                free(blobs[i]->data);
                free(blobs[i]->path);
        }
        free(kc);
        return NULL;
}

static int base64_decode(const char *in, size_t size, char **ret, size_t *ret_size) {
        _cleanup_(EVP_ENCODE_CTX_freep) EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
        _cleanup_free_ char *out = NULL;
        int n, m;

        if (!ctx)
                return -ENOMEM;
        if (size > INT_MAX / 2)
                return -E2BIG;
        out = malloc(size / 4 * 3 + 4);
        if (!out)
                return -ENOMEM;
        EVP_DecodeInit(ctx);
        if (EVP_DecodeUpdate(ctx, (unsigned char *) out, &n, (const unsigned char *) in, (int) size) < 0 ||
            EVP_DecodeFinal(ctx, (unsigned char *) out + n, &m) < 0) {
                ERR_clear_error();
                return -EBADMSG;
        }
        out[n + m] = 0;
        *ret_size = (size_t) (n + m);
        *ret = TAKE_PTR(out);
        return 0;
}

/* A string value of key in map, or NULL when absent or null; anything but a scalar is an error. */
static int get_string(const char *file, const YamlNode *map, const char *key, const char **ret, char **ret_error) {
        const YamlNode *v = yaml_node_get(map, key);
        *ret = NULL;
        if (!v || (v->type == YAML_NODE_SCALAR && v->plain && yaml_node_is_null(v)))
                return 0;
        if (v->type != YAML_NODE_SCALAR)
                return set_error(ret_error, -EINVAL, file, v, "'%s' must be a string, not a %s", key,
                                 yaml_node_type_name(v->type));
        if (strlen(v->scalar) != v->size)
                return set_error(ret_error, -EINVAL, file, v, "'%s' contains a NUL byte", key);
        *ret = v->scalar;
        return 0;
}

/* The mapping under `what` of the entry named name in the list `list` (clusters, contexts, users). */
static int find_named(const char *file, const YamlNode *root, const char *list, const char *what, const char *name,
                      const YamlNode *from, const YamlNode **ret, char **ret_error) {
        const YamlNode *l = yaml_node_get(root, list);
        int r;

        if (l && l->type != YAML_NODE_SEQUENCE && !yaml_node_is_null(l))
                return set_error(ret_error, -EINVAL, file, l, "'%s' must be a list", list);
        for (size_t i = 0; l && l->type == YAML_NODE_SEQUENCE && i < l->n_items; i++) {
                const YamlNode *e = l->items[i];
                const char *n;
                if (e->type != YAML_NODE_MAPPING)
                        return set_error(ret_error, -EINVAL, file, e, "an entry of '%s' must be a mapping", list);
                if ((r = get_string(file, e, "name", &n, ret_error)) < 0)
                        return r;
                if (!n || !streq(n, name))
                        continue;
                const YamlNode *v = yaml_node_get(e, what);
                if (!v || v->type != YAML_NODE_MAPPING)
                        return set_error(ret_error, -EINVAL, file, e, "%s '%s' has no '%s' mapping", what, name, what);
                *ret = v;
                return 0;
        }
        return set_error(ret_error, -EINVAL, file, from, "%s '%s' is not defined in '%s'", what, name, list);
}

/* Fills a blob from KEY-data (base64) or KEY (a path, relative to the kubeconfig's directory). */
static int get_blob(const char *file, const YamlNode *map, const char *key, KubeconfigBlob *ret, char **ret_error) {
        _cleanup_free_ char *data_key = NULL;
        const char *data, *path;
        int r;

        if (asprintf(&data_key, "%s-data", key) < 0)
                return -ENOMEM;
        if ((r = get_string(file, map, data_key, &data, ret_error)) < 0 ||
            (r = get_string(file, map, key, &path, ret_error)) < 0)
                return r;
        if (data && *data && path && *path)
                return set_error(ret_error, -EINVAL, file, yaml_node_get(map, key), "both '%s' and '%s' are set: give one",
                                 key, data_key);
        if (data && *data) {
                r = base64_decode(data, strlen(data), &ret->data, &ret->size);
                if (r == -EBADMSG)
                        return set_error(ret_error, r, file, yaml_node_get(map, data_key), "'%s' is not valid base64",
                                         data_key);
                return r;
        }
        if (path && *path) {
                _cleanup_free_ char *dir = NULL, *joined = NULL;
                if (path[0] != '/') {
                        const char *slash = strrchr(file, '/');
                        dir = slash ? strndup(file, (size_t) (slash - file)) : strdup(".");
                        if (!dir || asprintf(&joined, "%s/%s", *dir ? dir : "", path) < 0)
                                return -ENOMEM;
                }
                r = path_normalize(joined ?: path, &ret->path);
                if (r == -EINVAL)
                        return set_error(ret_error, r, file, yaml_node_get(map, key),
                                         "'%s' path \"%s\" has a \".\" or \"..\" component; remedy reads only normalised paths",
                                         key, path);
                return r;
        }
        return 0;
}

int kubeconfig_parse(const char *file, const char *data, size_t size, Kubeconfig **ret, char **ret_error) {
        _cleanup_(yaml_document_freep) YamlDocument *doc = NULL;
        _cleanup_(kubeconfig_freep) Kubeconfig *kc = NULL;
        const YamlNode *root, *ctx, *cluster, *user;
        const char *kind, *current, *cluster_name, *user_name, *server;
        int r;

        r = yaml_document_parse(file, data, size, &doc, ret_error);
        if (r < 0)
                return r;
        root = doc->root;
        if (!root || root->type != YAML_NODE_MAPPING)
                return set_error(ret_error, -EINVAL, file, root,
                                 "not a kubeconfig: expected a mapping with clusters, contexts and users");
        if ((r = get_string(file, root, "kind", &kind, ret_error)) < 0)
                return r;
        if (kind && !streq(kind, "Config"))
                return set_error(ret_error, -EINVAL, file, yaml_node_get(root, "kind"),
                                 "not a kubeconfig: kind is '%s', not 'Config'", kind);
        if ((r = get_string(file, root, "current-context", &current, ret_error)) < 0)
                return r;
        if (!current || !*current)
                return set_error(ret_error, -EINVAL, file, NULL,
                                 "no current-context: cannot tell which cluster and user it is for");

        if ((r = find_named(file, root, "contexts", "context", current, yaml_node_get(root, "current-context"), &ctx,
                            ret_error)) < 0 ||
            (r = get_string(file, ctx, "cluster", &cluster_name, ret_error)) < 0 ||
            (r = get_string(file, ctx, "user", &user_name, ret_error)) < 0)
                return r;
        if (!cluster_name || !user_name)
                return set_error(ret_error, -EINVAL, file, ctx, "context '%s' has no %s", current,
                                 cluster_name ? "user" : "cluster");
        if ((r = find_named(file, root, "clusters", "cluster", cluster_name, yaml_node_get(ctx, "cluster"), &cluster,
                            ret_error)) < 0 ||
            (r = find_named(file, root, "users", "user", user_name, yaml_node_get(ctx, "user"), &user, ret_error)) < 0 ||
            (r = get_string(file, cluster, "server", &server, ret_error)) < 0)
                return r;

        kc = calloc(1, sizeof(Kubeconfig));
        if (!kc || !(kc->file = strdup(file)) || !(kc->current_context = strdup(current)) ||
            !(kc->cluster_name = strdup(cluster_name)) || !(kc->user_name = strdup(user_name)) ||
            (server && !(kc->server = strdup(server))))
                return -ENOMEM;
        if ((r = get_blob(file, cluster, "certificate-authority", &kc->ca, ret_error)) < 0 ||
            (r = get_blob(file, user, "client-certificate", &kc->client_cert, ret_error)) < 0 ||
            (r = get_blob(file, user, "client-key", &kc->client_key, ret_error)) < 0)
                return r;

        /* what else the user authenticates with, to say so: an exec plugin is a program remedy
         * does not run, and a token carries no expiry to judge */
        const YamlNode *exec = user ? yaml_node_get(user, "exec") : NULL, *provider = user ? yaml_node_get(user, "auth-provider") : NULL;
        const char *command = NULL, *provider_name = NULL, *token = NULL, *token_file = NULL;
        if ((exec && exec->type == YAML_NODE_MAPPING && (r = get_string(file, exec, "command", &command, ret_error)) < 0) ||
            (provider && provider->type == YAML_NODE_MAPPING &&
             (r = get_string(file, provider, "name", &provider_name, ret_error)) < 0) ||
            (r = get_string(file, user, "token", &token, ret_error)) < 0 ||
            (r = get_string(file, user, "tokenFile", &token_file, ret_error)) < 0)
                return r;
        if ((command && !(kc->exec_command = strdup(command))) || (provider_name && !(kc->auth_provider = strdup(provider_name))))
                return -ENOMEM;
        kc->token = (token && *token) || (token_file && *token_file);
        if ((token && *token && !(kc->token_value = strdup(token))) ||
            (token_file && *token_file && !(kc->token_file = strdup(token_file))))
                return -ENOMEM;

        *ret = TAKE_PTR(kc);
        return 0;
}

int kubeconfig_load(Kubeconfig *kc, Context *c, KubeconfigPart parts, char **ret_error) {
        static const char * const names[] = { "certificate-authority", "client-certificate", "client-key" };
        KubeconfigBlob *blobs[] = { &kc->ca, &kc->client_cert, &kc->client_key };
        int r;

        for (size_t i = 0; i < ELEMENTSOF(blobs); i++) {
                const NodeFile *f;
                if (!(parts & (1 << i)) || !blobs[i]->path || blobs[i]->data)
                        continue;
                r = ctx_read(c, blobs[i]->path, true, &f);
                if (r < 0)
                        return set_error(ret_error, r, kc->file, NULL, "%s %s: cannot read: %s", names[i],
                                         blobs[i]->path, c->error ?: strerror(-r));
                if (f->kind == FILE_ABSENT)
                        return set_error(ret_error, -ENOENT, kc->file, NULL, "%s %s: no such file", names[i],
                                         blobs[i]->path);
                if (f->kind != FILE_REGULAR)
                        return set_error(ret_error, -EINVAL, kc->file, NULL, "%s %s: not a regular file (%s)",
                                         names[i], blobs[i]->path, file_kind_name(f->kind));
                blobs[i]->data = malloc(f->size + 1);
                if (!blobs[i]->data)
                        return -ENOMEM;
                memcpy(blobs[i]->data, f->data, f->size);
                blobs[i]->data[f->size] = 0;
                blobs[i]->size = f->size;
        }
        return 0;
}

/* ---- certificates ---- */

static int mem_bio(const char *data, size_t size, BIO **ret) {
        if (size > INT_MAX)
                return -E2BIG;
        *ret = BIO_new_mem_buf(data, (int) size);
        return *ret ? 0 : -ENOMEM;
}

static int read_cert(const char *name, const char *pem, size_t size, X509 **ret, char **ret_error) {
        _cleanup_(BIO_free_allp) BIO *b = NULL;
        int r;

        if (!pem || !memmem(pem, size, "-----BEGIN CERTIFICATE-----", strlen("-----BEGIN CERTIFICATE-----")))
                return set_error(ret_error, -EBADMSG, name, NULL, "no certificate in it");
        if ((r = mem_bio(pem, size, &b)) < 0)
                return r;
        ERR_clear_error();
        *ret = PEM_read_bio_X509(b, NULL, no_password, NULL);
        if (*ret)
                return 0;
        if (ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE) {
                ERR_clear_error();
                return set_error(ret_error, -EBADMSG, name, NULL, "no certificate in it");
        }
        return set_error(ret_error, -EBADMSG, name, NULL, "invalid certificate: %s", openssl_reason());
}

static int read_key(const char *name, const char *pem, size_t size, EVP_PKEY **ret, char **ret_error) {
        _cleanup_(BIO_free_allp) BIO *b = NULL;
        int r;

        /* OpenSSL 3's decoders report a file without a key as "unsupported": look for one first. */
        if (!pem || !memmem(pem, size, "PRIVATE KEY-----", strlen("PRIVATE KEY-----")))
                return set_error(ret_error, -EBADMSG, name, NULL, "no private key in it");
        if ((r = mem_bio(pem, size, &b)) < 0)
                return r;
        ERR_clear_error();
        *ret = PEM_read_bio_PrivateKey(b, NULL, no_password, NULL);
        if (*ret)
                return 0;
        if (ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE) {
                ERR_clear_error();
                return set_error(ret_error, -EBADMSG, name, NULL, "no private key in it");
        }
        return set_error(ret_error, -EBADMSG, name, NULL, "invalid private key: %s", openssl_reason());
}

static int name_to_string(const X509_NAME *n, char **ret) {
        _cleanup_(BIO_free_allp) BIO *b = BIO_new(BIO_s_mem());
        char *p;
        long len;

        if (!b || X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0)
                return -ENOMEM;
        len = BIO_get_mem_data(b, &p);
        *ret = len >= 0 ? strndup(p, (size_t) len) : NULL;
        return *ret ? 0 : -ENOMEM;
}

static int name_entries(const X509_NAME *n, int nid, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        for (int i = X509_NAME_get_index_by_NID(n, nid, -1); i >= 0; i = X509_NAME_get_index_by_NID(n, nid, i)) {
                unsigned char *utf8 = NULL;
                int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i)));
                if (len < 0)
                        return -EBADMSG;
                char *s = strndup((const char *) utf8, (size_t) len);
                OPENSSL_free(utf8);
                if (!s || (r = strv_consume(&l, s)) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static int asn1_to_time(const ASN1_TIME *t, time_t *ret) {
        struct tm tm = {};
        if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
                return -EBADMSG;
        *ret = timegm(&tm);
        return 0;
}

CertInfo *cert_info_free(CertInfo *i) {
        if (!i)
                return NULL;
        free(i->subject);
        free(i->issuer);
        free(i->common_name);
        strv_free(i->organizations);
        free(i);
        return NULL;
}

int cert_info_from_pem(const char *name, const char *pem, size_t size, CertInfo **ret, char **ret_error) {
        _cleanup_(X509_freep) X509 *x = NULL;
        _cleanup_(cert_info_freep) CertInfo *i = NULL;
        _cleanup_strv_free_ char **cns = NULL;
        int r;

        if ((r = read_cert(name, pem, size, &x, ret_error)) < 0)
                return r;
        i = calloc(1, sizeof(CertInfo));
        if (!i)
                return -ENOMEM;
        if ((r = name_to_string(X509_get_subject_name(x), &i->subject)) < 0 ||
            (r = name_to_string(X509_get_issuer_name(x), &i->issuer)) < 0)
                return r;
        if ((r = name_entries(X509_get_subject_name(x), NID_commonName, &cns)) < 0 ||
            (r = name_entries(X509_get_subject_name(x), NID_organizationName, &i->organizations)) < 0)
                return set_error(ret_error, r, name, NULL, "invalid certificate subject");
        /* Go's pkix.Name keeps the last CN, and the apiserver takes the user name from it. */
        if (cns && !(i->common_name = strdup(cns[strv_length(cns) - 1])))
                return -ENOMEM;
        if (asn1_to_time(X509_get0_notBefore(x), &i->not_before) < 0 ||
            asn1_to_time(X509_get0_notAfter(x), &i->not_after) < 0)
                return set_error(ret_error, -EBADMSG, name, NULL, "invalid certificate validity dates");
        *ret = TAKE_PTR(i);
        return 0;
}

CertValidity cert_validity(const CertInfo *i, time_t now) {
        /* As crypto/x509 and the kubelet compare: valid from notBefore through notAfter inclusive. */
        if (now > i->not_after)
                return CERT_EXPIRED;
        if (now < i->not_before)
                return CERT_NOT_YET_VALID;
        return CERT_VALID;
}

double cert_seconds_left(const CertInfo *i, time_t now) {
        return difftime(i->not_after, now);
}

int format_utc(time_t t, char **ret) {
        struct tm tm;
        char *s;

        if (!gmtime_r(&t, &tm))
                return -EOVERFLOW;
        if (asprintf(&s, "%04d-%02d-%02d %02d:%02d:%02d UTC", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int cert_matches_key(const char *cert_name, const char *cert_pem, size_t cert_size, const char *key_name, const char *key_pem,
                     size_t key_size, char **ret_error) {
        _cleanup_(X509_freep) X509 *x = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *k = NULL;
        int r;

        if ((r = read_cert(cert_name, cert_pem, cert_size, &x, ret_error)) < 0 ||
            (r = read_key(key_name, key_pem, key_size, &k, ret_error)) < 0)
                return r;
        r = X509_check_private_key(x, k);
        ERR_clear_error();
        return r == 1;
}

int cert_signed_by(const char *cert_name, const char *cert_pem, size_t cert_size, const char *ca_name, const char *ca_pem,
                   size_t ca_size, char **ret_error) {
        _cleanup_(X509_freep) X509 *x = NULL, *ca = NULL;
        int r;

        if ((r = read_cert(cert_name, cert_pem, cert_size, &x, ret_error)) < 0 ||
            (r = read_cert(ca_name, ca_pem, ca_size, &ca, ret_error)) < 0)
                return r;
        if (X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(ca)) != 0)
                return 0;
        EVP_PKEY *pub = X509_get0_pubkey(ca);
        r = pub ? X509_verify(x, pub) : 0;
        ERR_clear_error();
        return r == 1;
}

int cert_same(const char *a_name, const char *a_pem, size_t a_size, const char *b_name, const char *b_pem,
              size_t b_size, char **ret_error) {
        _cleanup_(X509_freep) X509 *a = NULL, *b = NULL;
        int r;

        if ((r = read_cert(a_name, a_pem, a_size, &a, ret_error)) < 0 ||
            (r = read_cert(b_name, b_pem, b_size, &b, ret_error)) < 0)
                return r;
        return X509_cmp(a, b) == 0;
}
