/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Why a kubelet that starts cannot join or register: for `remedy diagnose`.
 *
 *     _cleanup_(join_check_done) JoinCheck j = {};
 *     r = join_check_files(c, &j);                 // offline and live: the kubeconfig and its credentials
 *     if (!c->offline) r = join_check_network(c, &j, bus);   // live: DNS, TCP, TLS, HTTP, clock
 *
 * The kubeconfig judged is the one the kubelet uses, by its effective command line: --kubeconfig,
 * or --bootstrap-kubeconfig while the former does not exist yet (the node has not joined). The
 * checks run layer by layer and stop at the first that fails (a later layer cannot be judged
 * through a broken one), each layer leaving one line in layers ("tls: the server's certificate
 * verifies against the kubeconfig's CA"). The layer that fails is a finding of kind
 * "advice-only": no playbook fixes it from the node, and its advice is the command to run where
 * it can be fixed (on the control plane, mostly). Findings a shipped playbook covers (an expired
 * client certificate: kubelet-rotate-kubeconfig) stop the layers without an advice finding.
 *
 * Strings in findings and layers come from the node's files and from the API server: print them
 * masked and escaped (secret-mask.h, term-escape.h).
 *
 * Errors: only -ENOMEM and such; whatever is wrong with the node is a finding.
 */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "remedy/macro.h"

typedef struct Context Context;
typedef struct SystemdBus SystemdBus;
typedef struct Kubeconfig Kubeconfig;

/* A finding no playbook fixes: kind "advice-only" in diagnose's report. */
typedef struct AdviceFinding {
        char *name;            /* "join-ca-mismatch" */
        char *summary;         /* one line: what is wrong */
        char **evidence;       /* where it shows: file and field, what the server answered */
        char *advice;          /* what to run, and where */
} AdviceFinding;

typedef struct JoinCheck {
        char *kubeconfig;      /* the kubeconfig judged; NULL when the kubelet has none (nothing judged) */
        bool bootstrap;        /* it is the bootstrap kubeconfig: the node has not joined */
        char **layers;         /* "LAYER: what was seen", in order, up to the first that failed */
        bool failed;           /* a layer failed: the later ones were not run */
        AdviceFinding *findings;
        size_t n_findings;
        /* What the network layers need, from the file layer: */
        Kubeconfig *kc;        /* parsed, with CA and credentials loaded; NULL when a file layer failed */
        char *host;            /* the server URL's host (an IPv6 address without brackets) */
        char *port;            /* "6443" */
        char *node_name;       /* the name the kubelet registers */
        char *token;           /* the bearer token (token or tokenFile), NULL for a certificate */
        /* From the network layers: the API server's Date header and this node's clock then. */
        time_t server_date;    /* 0 when none was read */
        time_t local_date;
        /* Set by the caller before join_check_files(): a shipped playbook already reports an
         * expired or not yet valid client certificate of the kubelet's kubeconfig. */
        bool certificate_validity_reported;
        /* Set by the caller before join_check_files(): diagnose --api-server=HOST:PORT, the API
         * server kubeadm join is given. It replaces the kubeconfig's server; with no kubeconfig
         * (a node before `kubeadm join`) it is judged alone: resolve, connect, TLS against
         * /etc/kubernetes/pki/ca.crt when the node has it (else the certificate is shown, not
         * verified), GET /version without credentials, the clock. NULL when not given. */
        const char *api_server;
        /* Where host and port come from, for evidence: the kubeconfig's path or "--api-server". */
        const char *server_from;
        /* Where the CA comes from, for evidence: "the kubeconfig PATH", "/etc/kubernetes/pki/ca.crt",
         * or NULL: no CA (the server's certificate cannot be verified). */
        char *ca_from;
} JoinCheck;

void join_check_done(JoinCheck *j);
void advice_finding_done(AdviceFinding *f);

/* The file layers; with c->offline, adds the line saying the network layers were not run. */
int join_check_files(Context *c, JoinCheck *j);

/* The network layers, live only, after join_check_files() passed (no-op otherwise). bus may be
 * NULL: the NTP state is then not read. */
int join_check_network(Context *c, JoinCheck *j, SystemdBus *bus);

/* For the layers: adds a line, or a failing layer with its finding (evidence taken from *evidence,
 * which may be NULL). */
int join_layer(JoinCheck *j, const char *fmt, ...) _printf_(2, 3);
int join_fail(JoinCheck *j, const char *name, char ***evidence, const char *advice, const char *fmt, ...) _printf_(5, 6);

/* 1 when token has a bootstrap token's form, [a-z0-9]{6}.[a-z0-9]{16}, else 0. */
int bootstrap_token_valid_format(const char *token);

/* Splits kubeadm join's API server argument, HOST:PORT ("[ADDR]:PORT" for IPv6; the port is
 * required, as kubeadm's net.SplitHostPort requires it): 0, or -EINVAL with *ret_error. */
int join_parse_api_server(const char *value, char **ret_host, char **ret_port, char **ret_error);

/* Splits an https URL into host and port (default 443); -EINVAL with *ret_error otherwise. */
int join_parse_server(const char *url, char **ret_host, char **ret_port, char **ret_error);
