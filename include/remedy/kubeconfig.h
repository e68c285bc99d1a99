/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Kubeconfig files and the X.509 credentials in them, for actions that install a kubeconfig and
 * for diagnostics (certificate expiry). Nothing here knows about a particular action.
 *
 *     _cleanup_(kubeconfig_freep) Kubeconfig *kc = NULL;
 *     r = kubeconfig_parse("/root/node01.conf", data, size, &kc, &error);
 *     r = kubeconfig_load(kc, ctx, KUBECONFIG_CLIENT_CERT | KUBECONFIG_CLIENT_KEY, &error);
 *     r = cert_info_from_pem(kc->file, kc->client_cert.data, kc->client_cert.size, &info, &error);
 *
 * kubeconfig_parse() reads the YAML (the project's YAML layer on libyaml) and resolves the current
 * context to its cluster and user, as client-go does: the server, and for the CA, the client
 * certificate and the client key either the embedded *-data (base64, decoded here) or a path
 * (relative paths are taken relative to the kubeconfig's directory). kubeconfig_load() then reads
 * the referenced files through the Context, so that --root and the planning overlay apply. A file
 * such as kubelet-client-current.pem may hold the certificate and the key; each reader takes the
 * PEM block it needs.
 *
 * Errors are negative errno with an allocated one-line *ret_error: "FILE:LINE:COLUMN: reason" when
 * the YAML layer gives a position, else "FILE: reason". The certificate helpers take the PEM text
 * and a name for errors; they use OpenSSL's libcrypto.
 */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "remedy/macro.h"

typedef struct Context Context;

/* One credential: embedded (path NULL) or read from path. data is NUL-terminated, or NULL while a
 * path has not been loaded (and when the kubeconfig has neither). */
typedef struct KubeconfigBlob {
        char *data;
        size_t size;
        char *path;          /* absolute; NULL when embedded */
} KubeconfigBlob;

typedef struct Kubeconfig {
        char *file;                  /* the name errors are reported under */
        char *current_context;
        char *cluster_name;
        char *user_name;
        char *server;                /* NULL when the cluster has none */
        KubeconfigBlob ca;           /* certificate-authority(-data) */
        KubeconfigBlob client_cert;  /* client-certificate(-data) */
        KubeconfigBlob client_key;   /* client-key(-data) */
        /* The user's other ways to authenticate, which remedy reports and never runs: */
        char *exec_command;          /* users[].user.exec.command ("aws-iam-authenticator") */
        char *auth_provider;         /* users[].user.auth-provider.name ("oidc") */
        bool token;                  /* a token or tokenFile */
        char *token_value;           /* users[].user.token as written, NULL when none */
        char *token_file;            /* users[].user.tokenFile, NULL when none */
} Kubeconfig;

/*
 * Parses a kubeconfig from memory. Refuses (-EBADMSG / -EINVAL with *ret_error) YAML that does not
 * parse, a document that is not a Config mapping, a current-context that names no context, a
 * context whose cluster or user is not defined, both *-data and a path for one credential, and
 * *-data that is not base64. A missing credential is not an error here: its blob stays empty.
 */
int kubeconfig_parse(const char *file, const char *data, size_t size, Kubeconfig **ret, char **ret_error);
Kubeconfig *kubeconfig_free(Kubeconfig *kc);
DEFINE_TRIVIAL_CLEANUP_FUNC(Kubeconfig *, kubeconfig_free);

typedef enum KubeconfigPart {
        KUBECONFIG_CA          = 1 << 0,
        KUBECONFIG_CLIENT_CERT = 1 << 1,
        KUBECONFIG_CLIENT_KEY  = 1 << 2,
} KubeconfigPart;

/*
 * Reads the credentials in parts that are given as paths, through the Context (following
 * symlinks, inside --root). A part the kubeconfig does not have is skipped. A path that does not
 * exist or is not a regular file is -ENOENT / -EINVAL with "KUBECONFIG: client-certificate
 * /var/lib/kubelet/pki/kubelet-client-current.pem: no such file".
 */
int kubeconfig_load(Kubeconfig *kc, Context *c, KubeconfigPart parts, char **ret_error);

/* What a certificate says about itself. */
typedef struct CertInfo {
        char *subject;               /* one line, RFC 2253 order: "CN=system:node:a,O=system:nodes" */
        char *issuer;                /* likewise: "CN=kubernetes" */
        char *common_name;           /* the subject's (last) CN, or NULL */
        char **organizations;        /* the subject's O entries (strv), NULL when none */
        time_t not_before;
        time_t not_after;
} CertInfo;

CertInfo *cert_info_free(CertInfo *i);
DEFINE_TRIVIAL_CLEANUP_FUNC(CertInfo *, cert_info_free);

/*
 * The first CERTIFICATE block of pem (other blocks, such as a key, may come before or after).
 * -EBADMSG with "NAME: no certificate in it" or "NAME: invalid certificate: <openssl reason>".
 */
int cert_info_from_pem(const char *name, const char *pem, size_t size, CertInfo **ret, char **ret_error);

typedef enum CertValidity {
        CERT_VALID,
        CERT_EXPIRED,                /* now is after notAfter */
        CERT_NOT_YET_VALID,          /* now is before notBefore */
} CertValidity;

CertValidity cert_validity(const CertInfo *i, time_t now);
/* Seconds until notAfter (negative when expired): for "expires in N days". */
double cert_seconds_left(const CertInfo *i, time_t now);

/* "2026-10-18 00:34:24 UTC" (UTC, as kubeadm certs check-expiration, the kubelet and journalctl
 * --utc print): certificate dates and journal times in evidence. */
int format_utc(time_t t, char **ret);

/*
 * 1 when the first certificate in cert_pem and the first private key in key_pem are a pair,
 * 0 when they are not, -EBADMSG (with *ret_error "NAME: no private key in it", ...) when a block
 * is missing or invalid. key_name names key_pem in errors.
 */
int cert_matches_key(const char *cert_name, const char *cert_pem, size_t cert_size, const char *key_name, const char *key_pem,
                     size_t key_size, char **ret_error);

/*
 * 1 when the first certificate in cert_pem names ca's subject as its issuer and its signature
 * verifies with ca's public key, 0 when not, -EBADMSG when ca_pem holds no certificate.
 */
int cert_signed_by(const char *cert_name, const char *cert_pem, size_t cert_size, const char *ca_name, const char *ca_pem,
                   size_t ca_size, char **ret_error);

/* 1 when the first certificates of a and b are the same certificate (DER-identical), 0 when
 * not, -EBADMSG when either holds none. */
int cert_same(const char *a_name, const char *a_pem, size_t a_size, const char *b_name, const char *b_pem,
              size_t b_size, char **ret_error);
