/* SPDX-License-Identifier: MIT */
/* remedy plan NAME... [--set KEY=VALUE]... [--exit-code]: what apply would do, writing nothing at
 * all (no backup, no lock file, no temporary file). */
#include <stdio.h>

#include "cli.h"
#include "verbs.h"
#include "remedy/log.h"
#include "remedy/report.h"

/* Every run finds a transaction an interrupted apply left behind; plan only reads, so it warns. */
static void warn_unresolved(const Root *root) {
        _cleanup_(backup_store_freep) BackupStore *store = NULL;
        _cleanup_(manifest_freep) Manifest *m = NULL;
        _cleanup_free_ char *dir = cli_backup_dir(root);

        if (!dir || backup_store_open(dir, false, &store) < 0)
                return;
        if (backup_store_find_unresolved(store, &m) > 0)
                log_warning("Transaction %s was left %s: the node may be half-changed. apply refuses until "
                            "\"remedy rollback %s\" resolves it.",
                            m->id, txn_state_to_string(m->state), m->id);
}

int verb_plan(int argc, char **argv) {
        _cleanup_(playbook_set_freep) PlaybookSet *set = NULL;
        _cleanup_(root_freep) Root *root = NULL;
        _cleanup_(systemd_bus_freep) SystemdBus *bus = NULL;
        _cleanup_(run_freep) Run *run = NULL;
        int r;

        if ((r = cli_load_playbooks(&set)) != 0 || (r = cli_check_names(argv + 1)) != 0 ||
            (r = cli_open_node(&root, &bus)) != 0 || (r = cli_build_run(argv + 1, set, root, bus, &run)) != 0)
                return r;

        warn_unresolved(root);

        r = engine_plan(run);
        if (r < 0)
                return cli_run_error(run, r, "plan");

        if (report_options.json)
                report_print_json(report_run_json(run, "plan", true), stdout);
        else
                report_run(run, "plan", true, stdout);

        unsigned changes;
        run_count(run, &changes, NULL, NULL, NULL);
        return arg_exit_code && changes > 0 ? EXIT_FAILED : 0;
}
