/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The engine runs playbooks against a node:
 *
 *   engine_plan()   plans every step of every job in order against one Context, so that each step
 *                   sees the state the earlier ones would leave. Writes nothing.
 *   engine_apply()  under the store's lock: refuses while an earlier transaction is unresolved,
 *                   plans, archives every path the plan touches (txn_create), applies the steps,
 *                   verifies, and on any failure rolls the transaction back by itself.
 *
 * Results stay in the Run for the report (report.h). Errors: -EINVAL with run->error set is bad
 * input (exit status 2: a bad parameter value, an unparseable node file); other negative values are
 * failures of the run itself.
 */

#include <stdbool.h>

#include "remedy/action.h"
#include "remedy/backup.h"
#include "remedy/context.h"
#include "remedy/playbook.h"

typedef struct StepResult {
        const Step *step;
        Change change;
        char *error;          /* why the step failed (apply), or NULL */
} StepResult;

typedef struct CheckResult {
        const Check *check;
        int passed;           /* 1 passed, 0 failed, -1 not run */
        char *evidence;
} CheckResult;

typedef struct Job {
        Playbook *playbook;   /* borrowed from the PlaybookSet */
        ParamValues *values;
        StepResult *steps;    /* n = playbook->n_steps */
        CheckResult *checks;  /* n = playbook->n_checks */
} Job;

typedef enum RunOutcome {
        RUN_PLANNED,          /* dry-run: nothing written */
        RUN_NOTHING_TO_DO,
        RUN_APPLIED,
        RUN_ROLLED_BACK,      /* a step or a check failed; the transaction was rolled back */
        RUN_ROLLBACK_FAILED,  /* and rolling back failed too: the transaction stays unresolved */
} RunOutcome;

typedef struct Run {
        Root *root;
        bool offline;
        Context *ctx;
        Job *jobs;
        size_t n_jobs;
        RunOutcome outcome;
        Manifest *txn;        /* the transaction made by apply, if any */
        char *error;          /* bad input or the failure that made apply roll back */
        char *rollback_error; /* why the automatic rollback failed */
        bool no_rollback;     /* --no-rollback: keep the changes when verification fails */

        /* Live: */
        SystemdBus *bus;      /* borrowed; NULL offline */
        uint64_t job_timeout_usec;
        bool reload_at_end;   /* plan: unit files change after the last unit step: daemon-reload at the end */
        char *journal_cursor; /* apply: the journal's newest entry when the transaction began */
        uint64_t since_usec;
} Run;

int run_new(Root *root, bool offline, Run **ret);
Run *run_free(Run *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(Run *, run_free);

/* Adds a playbook with its parameter values (ownership of values passes to the run). */
int run_add_job(Run *r, Playbook *p, ParamValues *values);

int engine_plan(Run *r);

/* Counts over all steps of the run. */
void run_count(const Run *r, unsigned *ret_change, unsigned *ret_ok, unsigned *ret_skipped, unsigned *ret_failed);

/*
 * Before changing a node (engine/node-guard.c). node_guard_lock() takes the node's lock and the
 * store's: -EBUSY while another remedy holds either; the node lock's fd goes to *ret_fd.
 * node_guard_unresolved() marks transactions that were prepared and never began abandoned (with
 * a notice) and then refuses with -EBUSY while one is left applying or failed, in this store or
 * any other that held one for this root. Both set *ret_error to a sentence for the operator.
 */
int node_guard_lock(Root *root, BackupStore *store, int *ret_fd, char **ret_error);
int node_guard_unresolved(Root *root, BackupStore *store, char **ret_error);
/* Whether store is ROOT/var/lib/remedy/backups, which every run looks in anyway. */
bool node_guard_store_is_default(const Root *root, const BackupStore *store);

typedef struct ApplyOptions {
        BackupStore *store;
        const char *command;  /* for the manifest */
} ApplyOptions;

/*
 * Plans and applies. Returns 0 when applied or nothing to do, 1 when a step or check failed and
 * the transaction was rolled back (run->outcome says which), negative errno on errors before
 * anything changed (-EINVAL with run->error for bad input, -EBUSY for an unresolved transaction).
 */
int engine_apply(Run *r, const ApplyOptions *o);

/*
 * For a plan with nothing to change: runs the checks that judge the node's configuration
 * (CheckType.state). 1 when one fails (r->error says so; outcome RUN_NOTHING_TO_DO), else 0.
 * engine_apply() does this itself.
 */
int engine_verify_unchanged(Run *r);

/* Checks that the node still has op->before (content, kind) right before applying: -ESTALE if
 * something else changed it since planning. */
int file_op_check_before(Root *root, const FileOp *op);
/* Carries a file operation out on the node. */
int file_op_apply(Root *root, const FileOp *op);
/* Checks and applies every file operation of a change in order; *ret_error says which path failed
 * and why. */
int change_apply_files(Root *root, const Change *c, char **ret_error);
