/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * remedy diagnose: which of the known failures the node has. Every playbook with a `match:`
 * condition is asked, against the node as it is (live: with systemd over the bus and the journal
 * of each unit's current run; offline: the files and the node's journal under --root). A
 * playbook whose match holds is a finding, with the evidence its journal conditions saw.
 *
 * Nothing is written. A healthy node has no findings.
 */

#include <stdbool.h>

#include "remedy/fileio.h"
#include "remedy/kubelet-cmdline.h"
#include "remedy/playbook.h"
#include "remedy/systemd-bus.h"

/*
 * A failure found: by a playbook's match, or by diagnose itself where no playbook matched (a
 * crash-looping kubelet remedy has no playbook for), so that a failing node is never reported
 * healthy. The latter has no playbook, and name, summary and advice of its own.
 */
typedef struct Finding {
        const Playbook *playbook;  /* borrowed from the PlaybookSet; NULL for diagnose's own */
        char **evidence;           /* lines the match saw ("kubelet.service logged at ...: ..."), may be empty */
        char *name;                /* diagnose's own: "kubelet-failing" (NULL with a playbook) */
        char *summary;
        char *advice;
} Finding;

/* The playbook's or the finding's own. */
const char *finding_name(const Finding *f);
const char *finding_summary(const Finding *f);
const char *finding_advice(const Finding *f);

/* The kubelet's client certificate, as /etc/kubernetes/kubelet.conf uses it. */
typedef struct ClientCertificate {
        char *kubeconfig;          /* "/etc/kubernetes/kubelet.conf" */
        char *source;              /* the file it is in, or the kubeconfig when embedded */
        char *subject;             /* "CN=system:node:node01,O=system:nodes" */
        char *not_after;           /* "2027-11-22 00:00:00 UTC" */
        long days_left;            /* negative once expired */
        bool valid_now;
} ClientCertificate;

typedef struct Diagnosis {
        Finding *findings;
        size_t n_findings;
        size_t n_asked;            /* playbooks with a match: */
        ClientCertificate *certificate;  /* NULL when there is none to read (a node still joining) */
        /* The kubelet's effective command line, each word with where it came from and whether this
         * kubelet accepts it (-1 when its flag set is unknown); NULL with kubelet_error set when
         * systemd would not run it as written (two ExecStart=, a missing EnvironmentFile=), NULL
         * alone when there is no kubelet unit. */
        KubeletCommandLine *kubelet;
        char *kubelet_error;
        /* Why the kubelet's version could not be read on this node (no package, no version in its
         * binary: kubelet-node.h), NULL when it was. A finding's playbook with a kubelet_version
         * parameter then needs it from the operator: diagnose's fix line says so. */
        char *kubelet_version_unknown;
        /* "FILE:LINE:COLUMN: reason (cannot judge: PLAYBOOK, ...)" for each node file a match
         * could not read (it does not parse), with the playbooks it stopped: the other playbooks
         * are still asked, and each of these counts as a finding (something is wrong with the
         * node). */
        char **problems;
        /* "FILE:LINE: reason" for what the daemons skip in their files (a line libmount cannot
         * parse): worth knowing, not a finding. */
        char **notes;
        /* The kubelet's way to the API server, layer by layer (join-check.h); NULL when the
         * kubelet has no kubeconfig to judge. */
        char *join_kubeconfig;
        char **join_layers;
} Diagnosis;

void diagnosis_done(Diagnosis *d);

/*
 * Evaluates every playbook's match. bus is NULL offline. A node file a condition cannot parse
 * does not stop the diagnosis: it becomes one of problems, and the rest is still examined.
 * Errors: -ENOMEM and such (with *ret_error NULL), or a playbook parameter that cannot be filled
 * from the node (*ret_error set). api_server: diagnose --api-server=HOST:PORT (join-check.h), or
 * NULL.
 */
int diagnose_node(const PlaybookSet *set, Root *root, bool offline, SystemdBus *bus, const char *api_server,
                  Diagnosis *ret, char **ret_error);
