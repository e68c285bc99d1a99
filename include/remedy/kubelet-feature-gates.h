/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The kubelet's feature gates: where its effective configuration sets them (--feature-gates words
 * of kubelet.service's command line, featureGates: of its --config file and --config-dir
 * drop-ins), which of them the node's kubelet no longer recognizes, and removing one from an
 * environment file's --feature-gates word, every other byte kept.
 *
 * The kubelet stops at start-up on a gate it does not know: SetFromMap() in
 * component-base/featuregate/feature_gate.go returns "unrecognized feature gate: NAME", which
 * cmd/kubelet/app/server.go wraps in "failed to set feature gates from initial flags-based
 * config". Which gates a kubelet rejects comes from the shipped list (data/kubelet-feature-gates.tsv:
 * the minor version that removed each) for the node's kubelet version, and from the kubelet's own
 * journal line, which names the gate whatever the list knows.
 *
 *     _cleanup_(kubelet_gate_uses_freep) KubeletGateUses *uses = NULL;
 *     r = kubelet_feature_gates_collect(c, &uses);              // through ctx_error
 *     _cleanup_strv_free_ char **rejected = NULL;
 *     r = kubelet_feature_gates_rejected(c, version, uses, &rejected, &note);
 */
#include <stdbool.h>
#include <stddef.h>

#include "remedy/macro.h"

typedef struct Context Context;

/* The first minor version that rejects gate by the shipped list: 1 with *ret_minor, 0 when the
 * list does not have it. */
int kubelet_feature_gate_removed_in(const char *gate, unsigned *ret_minor);

/* The gate names of a --feature-gates value ("A=true, B=false"), as cliflag's MapStringBool
 * splits it: at commas, spaces trimmed, empty pairs skipped. */
int kubelet_feature_gates_split(const char *value, char ***ret);

typedef struct KubeletGateUse {
        char *gate;
        char *file;          /* the environment file or config file that sets it */
        char *variable;      /* the variable of its --feature-gates word; NULL for a config file */
        char *source;        /* "FILE:LINE" of the word, or the config file */
        bool literal;        /* on ExecStart= itself or in a unit file's Environment=: not edited */
} KubeletGateUse;

typedef struct KubeletGateUses {
        KubeletGateUse *uses;
        size_t n;
} KubeletGateUses;

KubeletGateUses *kubelet_gate_uses_free(KubeletGateUses *u);
DEFINE_TRIVIAL_CLEANUP_FUNC(KubeletGateUses *, kubelet_gate_uses_free);

/* Every gate the kubelet's effective configuration sets. A node without kubelet.service has none;
 * a unit or config file that cannot be read is an error through ctx_error. */
int kubelet_feature_gates_collect(Context *c, KubeletGateUses **ret);

/* The gates of uses that the node's kubelet rejects: those the shipped list says its minor
 * version (version, or the node's: kubelet-node.h) no longer has, and those its own journal names
 * (the newest run that logged). *ret_note (may be NULL) says when the version cannot be told. */
int kubelet_feature_gates_rejected(Context *c, const char *version, const KubeletGateUses *uses, char ***ret,
                                   char **ret_note);

/* Removes the gates named from every --feature-gates word of variable in an environment file: the
 * "NAME=BOOL" and one comma, or the whole flag when no gate is left in it. 0 when none is there,
 * 1 with the new file; -EBADMSG with "LINE:COLUMN: reason" when the file, read again, would say
 * anything else than meant (quoting that a cut cannot keep). */
int kubelet_feature_gates_edit_env(const char *data, size_t size, const char *variable, char * const *gates,
                                   char **ret_data, size_t *ret_size, char **ret_error);
