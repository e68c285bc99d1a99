/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Private to backups/: pass 2 of txn_rollback(), the plan (restore-plan.c). The node is checked
 * (no symlink among the parents of anything to be written, nothing that became a directory) and
 * every entry gets its action, with what changed since the transaction marked; the plan is then
 * shown to the visitor. restore.c carries it out.
 */

#include "verify.h"

typedef struct PlanItem {
        RestoreAction action;
        bool changed_since;         /* not as the transaction left it: a later change is lost */
        const char *path;
        char *owned_path;           /* for leftovers found on the node */
        const char *kind;
        const Archived *archived;   /* RESTORE_FILE and unchanged entries */
        const ManifestDir *dir;     /* RESTORE_DIR_MTIME */
        ManifestDir kept;           /* RESTORE_DIR_MTIME without dir: an ancestor keeps its mtime */
} PlanItem;

typedef struct Plan {
        PlanItem *items;
        size_t n_items;
} Plan;

void plan_done(Plan *p);
/* Fills p from the node and rs->archived[] (pass 1's result), setting each Archived's action. */
int restore_make_plan(Restore *rs, Root *root, Plan *p);
/* Calls visitor (may be NULL) for every item in order; a negative return aborts. */
int restore_visit_plan(const Plan *p, RestoreVisitor visitor, void *userdata);
/* The items not as the transaction left them: rolling them back loses a later change. */
size_t plan_count_changed_since(const Plan *p);
