/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * remedy fix --unattended: what may be repaired with nobody watching (remedy-fix.timer), and
 * the limits that keep a repair from going round in circles.
 *
 * Only playbooks of safety class auto are applied; confirm and report findings are only
 * reported, --yes or not. Each auto playbook is held back by a cooldown (not again within
 * --cooldown of its last attempt) and a daily budget (at most --max-attempts attempts in the
 * last 24 hours). A fix that is rolled back (a step or its verification failed) opens the
 * circuit breaker: from then on unattended runs apply nothing at all, on any playbook, until an
 * operator runs `remedy fix --reset`. All of it, not just the playbook that failed: a rolled-back
 * fix means the node is in a state no playbook foresaw, and another playbook's change on top of
 * it is a guess; the operator who looks at the node decides.
 *
 * The state is one JSON file under the node's root, ROOT/var/lib/remedy/unattended.json,
 * root's, 0600, replaced atomically, opened without following a symlink anywhere on its path;
 * the directory is locked for the run (flock), so two unattended runs never interleave.
 *
 * Use: unattended_open() (locks and loads), unattended_decide() for each playbook diagnose
 * found, unattended_report_only() for what is never applied, then unattended_record() with the
 * exit status of the transaction, which saves the state. unattended_reset() closes the breaker.
 * Functions return 0 or negative errno; the state file's problems come back as one line in
 * *ret_error ("PATH:LINE: what").
 *
 * Every decision is one journal entry on a live node (not with --root: the journal is then the
 * rescue system's, not the node's), with one of these MESSAGE_IDs and the fields REMEDY_PLAYBOOK
 * and REMEDY_DECISION (journalctl MESSAGE_ID=...).
 */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "remedy/fileio.h"
#include "remedy/playbook.h"

/* Applied, and verified: the transaction stands. */
#define UNATTENDED_APPLIED_MESSAGE_ID "0ea7350bc92b4b4fa6f2020974e3fdb2"
/* Applied, failed and rolled back: the breaker opens. */
#define UNATTENDED_ROLLED_BACK_MESSAGE_ID "19784136103143569697ca43bc092f14"
/* Not applied: applied less than --cooldown ago. */
#define UNATTENDED_SKIPPED_COOLDOWN_MESSAGE_ID "b9268e6b941440c388a74fe5452e5d2b"
/* Not applied: --max-attempts attempts in the last 24 hours. */
#define UNATTENDED_SKIPPED_ATTEMPTS_MESSAGE_ID "4c4cc87ecb6848c68728b65427c93499"
/* Not applied: the breaker is open. */
#define UNATTENDED_BREAKER_OPEN_MESSAGE_ID "2efd7c78be0a4ad89e87805e6bc44724"
/* fix --reset closed the breaker and cleared the attempts. */
#define UNATTENDED_BREAKER_RESET_MESSAGE_ID "62fb6fbc86ce43159e4ec53a92fad03a"
/* Found, only reported: safety confirm or report, a parameter without a value, or diagnose's own. */
#define UNATTENDED_REPORTED_MESSAGE_ID "1d6c1677ea884c6c93f9ed3221875e3b"

#define UNATTENDED_STATE_PATH "/var/lib/remedy/unattended.json"
#define UNATTENDED_DAY_SECONDS (24 * 60 * 60)

typedef enum UnattendedDecision {
        UNATTENDED_APPLY,
        UNATTENDED_SKIP_COOLDOWN,
        UNATTENDED_SKIP_ATTEMPTS,
        UNATTENDED_SKIP_BREAKER,
        UNATTENDED_REPORT_ONLY,
        UNATTENDED_APPLIED,       /* outcomes, after the transaction */
        UNATTENDED_ROLLED_BACK,
        UNATTENDED_RESET,         /* fix --reset */
        _UNATTENDED_DECISION_MAX,
} UnattendedDecision;

const char *unattended_decision_to_string(UnattendedDecision d);

/* One playbook's attempts (seconds since the epoch, oldest first), those of the last day. */
typedef struct UnattendedPlaybook {
        char *name;
        int64_t *attempts;
        size_t n_attempts;
} UnattendedPlaybook;

typedef struct UnattendedState {
        bool breaker_open;
        int64_t breaker_since;
        char **breaker_playbooks;     /* the fix that was rolled back */
        UnattendedPlaybook *playbooks;
        size_t n_playbooks;
} UnattendedState;

void unattended_state_done(UnattendedState *s);
UnattendedPlaybook *unattended_state_playbook(UnattendedState *s, const char *name, bool create);
/* Parses the file's text; *ret_error says where it is wrong (display is the path to name). */
int unattended_state_parse(const char *text, const char *display, UnattendedState *ret, char **ret_error);
char *unattended_state_format(const UnattendedState *s);

typedef struct Unattended {
        Root *root;                  /* borrowed */
        int dir_fd;                  /* ROOT/var/lib/remedy, flocked */
        bool journal;                /* log decisions to the journal (live) */
        int64_t now;
        uint64_t cooldown_usec;
        unsigned max_attempts;
        UnattendedState state;
        char **applying;             /* the playbooks of this run's transaction */
        char **decided;              /* every playbook decided on, and how (for the metrics) */
        UnattendedDecision *decisions;
} Unattended;

int unattended_open(Root *root, bool journal, uint64_t cooldown_usec, unsigned max_attempts, Unattended **ret,
                    char **ret_error);
/* The same, without reading the state file: fix --reset over a file that does not parse. */
int unattended_open_fresh(Root *root, bool journal, uint64_t cooldown_usec, unsigned max_attempts, Unattended **ret,
                          char **ret_error);
Unattended *unattended_free(Unattended *u);
DEFINE_TRIVIAL_CLEANUP_FUNC(Unattended *, unattended_free);

/* Whether p goes into this run's transaction; the decision is logged and remembered. */
UnattendedDecision unattended_decide(Unattended *u, const Playbook *p);
/* A finding that is never applied unattended, and why. */
void unattended_report_only(Unattended *u, const char *name, const char *why);
/* The outcome of the transaction of the playbooks decided UNATTENDED_APPLY: the exit status of
 * apply (0 applied, 1 rolled back, 2 refused: nothing was tried). Saves the state. */
int unattended_record(Unattended *u, int apply_status, char **ret_error);
/* Closes the breaker and forgets the attempts; saves the state. */
int unattended_reset(Unattended *u, char **ret_error);
int unattended_save(Unattended *u, char **ret_error);

/* The journal entry of one decision (unattended-journal.c); text is the MESSAGE. */
void unattended_log(const Unattended *u, UnattendedDecision d, const char *playbook, const char *text);

/* The metrics of the state and this run's decisions, in the text exposition format. */
char *unattended_metrics_render(const Unattended *u);
