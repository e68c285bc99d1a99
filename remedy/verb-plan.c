/* SPDX-License-Identifier: MIT */
/* remedy plan NAME... [--set KEY=VALUE]... [--exit-code]: what apply would do, writing nothing at
 * all (no backup, no lock file, no temporary file). */
#include <stdio.h>

#include "cli.h"
#include "remedy/report.h"

int verb_plan(int argc, char **argv) {
        _cleanup_(playbook_set_freep) PlaybookSet *set = NULL;
        _cleanup_(root_freep) Root *root = NULL;
        _cleanup_(run_freep) Run *run = NULL;
        int r;

        if ((r = cli_load_playbooks(&set)) != 0 || (r = cli_open_root(&root)) != 0 ||
            (r = cli_build_run(argv + 1, set, root, &run)) != 0)
                return r;

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
