/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The one interface every playbook action implements (remedy/actions/action-<key>.c):
 *
 *   parse  validates the step's arguments when the playbook loads (nothing on the node is read);
 *   plan   reads the node as the earlier steps would leave it (through the Context, never the disk
 *          directly) and fills a Change: the file operations that bring the node to the wanted
 *          state, or none when it is already so. plan never writes anything;
 *   apply  carries the change out. NULL means the change is only its file operations, which the
 *          engine applies itself; actions with effects beyond files (systemd units on the live
 *          bus) implement it;
 *   undo   restores what plan recorded as "before". NULL means restoring the files from the
 *          transaction's archive is the whole undo.
 *
 * Dry-run is the same code stopped before apply, so what it shows is what apply does.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "remedy/macro.h"
#include "remedy/node-fs.h"
#include "remedy/playbook.h"

typedef struct Context Context;

typedef enum FileOpType {
        FILE_OP_WRITE,       /* regular file with data, mode, owner */
        FILE_OP_SYMLINK,     /* symlink to data */
        FILE_OP_REMOVE,      /* remove a file or symlink */
} FileOpType;

typedef struct FileOp {
        FileOpType type;
        NodeFile *before;    /* the state this op starts from (kind FILE_ABSENT when new) */
        NodeFile *after;     /* the state it leaves (kind FILE_ABSENT for REMOVE) */
} FileOp;

typedef enum ChangeStatus {
        CHANGE_OK,           /* already as wanted */
        CHANGE_PENDING,      /* would change (plan) / changed (apply) */
        CHANGE_SKIPPED,      /* `when` false, or not possible offline */
        CHANGE_FAILED,
} ChangeStatus;

/*
 * A unit whose state a change alters on the live bus. The engine records it in the transaction
 * before applying, so that a rollback, after restoring the files, can put back its enablement,
 * masking and active state.
 */
typedef struct UnitTouch {
        char *name;
        char *unit_file_state;   /* before: "enabled", "disabled", "masked", ...; "" when there was no unit file */
        char *active_state;      /* before: "active", "inactive", "failed", "activating", ... */
} UnitTouch;

/*
 * A setting of the running kernel a change alters (live only): recorded in the transaction before
 * applying, like a unit, so that a rollback puts the value back after the files.
 */
typedef struct KernelTouch {
        char *kind;          /* "sysctl" or "module" */
        char *name;          /* "net.ipv4.ip_forward", "br_netfilter" */
        char *before;        /* sysctl: its value, "" when /proc/sys had no such file; module: "loaded" or "absent" */
} KernelTouch;

typedef struct Change {
        ChangeStatus status;
        char *note;          /* one line: why skipped, advice, what apply did beyond files */
        FileOp *ops;
        size_t n_ops;
        struct StrIndex *op_index;   /* path -> position in ops */
        UnitTouch *units;    /* live unit steps: the units and their state before */
        size_t n_units;
        KernelTouch *kernel; /* live kernel steps: the settings and their values before */
        size_t n_kernel;
        void *data;          /* action-private (e.g. unit states); freed with free_data */
        void (*free_data)(void *data);
} Change;

void change_done(Change *c);   /* frees the contents, not c */
/* Records a unit this change alters on the live bus, with its state before (copied). */
int change_add_unit(Change *c, const char *name, const char *unit_file_state, const char *active_state);
/* Records a kernel setting this change alters live, with its value before (copied). */
int change_add_kernel(Change *c, const char *kind, const char *name, const char *before);
/* Sets the note (printf-style); returns 0 or -ENOMEM. */
int change_set_note(Change *c, const char *fmt, ...) _printf_(2, 3);

typedef struct ActionType {
        const char *key;                  /* the YAML key: "file", "toml-set", ... */
        const char *summary;              /* one line, for --help and docs */
        int (*parse)(ParseContext *pc, const YamlNode *args, void **ret_args);
        int (*plan)(Context *c, const void *args, Change *change);
        int (*apply)(Context *c, const void *args, Change *change);
        int (*undo)(Context *c, const void *args, const Change *change);
        void (*free_args)(void *args);
} ActionType;

const ActionType *action_type_find(const char *key);
/* All action types, NULL-terminated. */
extern const ActionType * const action_types[];

/* The action types (remedy/actions/action-*.c). */
extern const ActionType action_file;
extern const ActionType action_dropin;
extern const ActionType action_remove;
extern const ActionType action_copy;
extern const ActionType action_yaml_set;
extern const ActionType action_kubelet_config_set;
extern const ActionType action_toml_set;
extern const ActionType action_kubelet_flags;
extern const ActionType action_kubelet_feature_gates;
extern const ActionType action_unit;
extern const ActionType action_daemon_reload;
extern const ActionType action_kubeconfig_install;
extern const ActionType action_swap_off;
extern const ActionType action_containerd_default_config;
extern const ActionType action_containerd_runtimes;
extern const ActionType action_sysctl;
extern const ActionType action_kernel_module;
extern const ActionType action_containerd_enable_cri;
extern const ActionType action_cri_endpoint;
extern const ActionType action_containerd_sandbox_image;

/*
 * Conditions (`when:`) and verification checks (`verify:`) have the same shape: parsed at load,
 * evaluated against the Context.
 */
typedef struct ConditionType {
        const char *key;
        int (*parse)(ParseContext *pc, const YamlNode *args, void **ret_args);
        /* >0 true, 0 false, <0 error (with *ret_error set for bad node files) */
        int (*eval)(Context *c, const void *args, char **ret_error);
        void (*free_args)(void *args);
} ConditionType;

struct Condition {
        const ConditionType *type;
        void *args;
        Mark mark;
};

int condition_parse(ParseContext *pc, const YamlNode *node, Condition **ret);
Condition *condition_free(Condition *c);
int condition_eval(Context *c, const Condition *cond, char **ret_error);

/*
 * The run of a unit whose journal lines count (condition-journal.c): live, the current run once it
 * has settled or ended, else the newest earlier run that logged (a crash loop's last failed run);
 * offline, the newest run in the node's journal. 1 with *ret its invocation ID, 0 when none.
 */
int journal_judged_run(Context *c, const char *unit, char **ret, char **ret_error);

/* condition-join.c: 1 while none of the files `kubeadm join` writes exists (FAILURES.md B.4). */
int kubeadm_join_pending(Context *c);

extern const ConditionType condition_unit;    /* condition-node.c */
extern const ConditionType condition_param;
extern const ConditionType condition_changed;
extern const ConditionType condition_journal; /* condition-journal.c */
extern const ConditionType condition_client_certificate; /* condition-certificate.c */
extern const ConditionType condition_swap;   /* condition-swap.c */
extern const ConditionType condition_ntp;    /* condition-ntp.c */
extern const ConditionType condition_containerd_config; /* condition-effective.c */
extern const ConditionType condition_kubelet_config;
extern const ConditionType condition_kubelet_flags; /* condition-kubelet-flags.c */
extern const ConditionType condition_kubelet_feature_gates; /* condition-kubelet-feature-gates.c */
extern const ConditionType condition_kubelet_config_valid; /* condition-kubelet-config-valid.c */
extern const ConditionType condition_kubelet_cgroup_v1; /* condition-kubelet-cgroup-v1.c */
extern const ConditionType condition_kubelet_node_ip; /* condition-kubelet-node-ip.c */
extern const ConditionType condition_kubeadm_join; /* condition-join.c */
extern const ConditionType condition_sysctl; /* condition-kernel.c */
extern const ConditionType condition_kernel_module;
extern const ConditionType condition_cri_endpoint; /* condition-cri-endpoint.c */
extern const ConditionType condition_sandbox_image; /* condition-sandbox-image.c */
extern const ConditionType condition_kubelet_resolv_conf; /* condition-kubelet-resolv-conf.c */

struct CheckType {
        const char *key;
        int (*parse)(ParseContext *pc, const YamlNode *args, void **ret_args);
        /* >0 passed, 0 failed (with *ret_evidence saying what was seen), <0 error; -EOPNOTSUPP
         * (with *ret_evidence saying why) when the check cannot run here, e.g. offline: it is
         * reported as not run, neither passed nor failed. */
        int (*run)(Context *c, const void *args, char **ret_evidence);
        void (*free_args)(void *args);
        /* It judges the node's configuration rather than the effect of a change (a unit's stability,
         * new journal lines): it also runs when a playbook has nothing to change, so that "nothing
         * to do" is not claimed for a node that is still not as the playbook wants it. */
        bool state;
};

const CheckType *check_type_find(const char *key);
extern const CheckType * const check_types[];

extern const CheckType check_unit;      /* check-unit.c */
extern const CheckType check_journal;   /* check-journal.c */
extern const CheckType check_swap;      /* condition-swap.c */
extern const CheckType check_ntp;       /* condition-ntp.c */
extern const CheckType check_cni_plugins; /* check-cni.c */
extern const CheckType check_containerd_config; /* condition-effective.c */
extern const CheckType check_kubelet_config;
extern const CheckType check_kubelet_flags; /* condition-kubelet-flags.c */
extern const CheckType check_sysctl; /* condition-kernel.c */
extern const CheckType check_kernel_module;
extern const CheckType check_kubelet_feature_gates; /* condition-kubelet-feature-gates.c */
extern const CheckType check_kubelet_config_valid; /* condition-kubelet-config-valid.c */
extern const CheckType check_cri_endpoint; /* condition-cri-endpoint.c */
extern const CheckType check_sandbox_image; /* condition-sandbox-image.c */
extern const CheckType check_kubelet_resolv_conf; /* condition-kubelet-resolv-conf.c */
