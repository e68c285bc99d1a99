/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * How rollback shows what it restores (verbs/rollback-print.c): one line per file with the diff
 * back, runs of more than REPORT_FILES_SHOWN in one directory counted, and for --json one object
 * per item. The refusal over changes made since a transaction shows only those paths, with the
 * diff of what rolling back would lose.
 */

#include <json-c/json.h>

#include "remedy/backup.h"
#include "remedy/fileio.h"
#include "remedy/unit-restore.h"

typedef struct RollbackPrinter {
        Root *root;
        json_object *items;   /* --json */
        bool only_changed_since;
        unsigned n_changes;
        /* Items come in the order they were archived, so a glob's matches arrive together: a run
         * of more than REPORT_FILES_SHOWN in one directory is shown in part and counted. */
        char *run_dir;
        unsigned run_length, run_hidden;
} RollbackPrinter;

void rollback_printer_end_run(RollbackPrinter *p);
void rollback_printer_done(RollbackPrinter *p);
/* A RestoreVisitor; userdata is a RollbackPrinter. */
int rollback_print_item(const RestoreItem *item, void *userdata);

typedef struct UnitPrinter {
        json_object *items;   /* --json */
        unsigned n_changes;
} UnitPrinter;

/* A UnitRestoreVisitor; userdata is a UnitPrinter. */
int rollback_print_unit_item(const UnitRestoreItem *item, void *userdata);
