/* SPDX-License-Identifier: MIT */
/* remedy apply NAME... [--set KEY=VALUE]... [--dry-run] [--no-rollback]: one transaction — lock,
 * archive, change, verify — rolled back by itself when a step or a check fails. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "verbs.h"
#include "remedy/report.h"

static bool store_exists(const Root *root) {
        _cleanup_free_ char *dir = cli_backup_dir(root);
        struct stat st;
        return dir && lstat(dir, &st) == 0;
}

int verb_apply(int argc, char **argv) {
        _cleanup_(playbook_set_freep) PlaybookSet *set = NULL;
        _cleanup_(root_freep) Root *root = NULL;
        _cleanup_(systemd_bus_freep) SystemdBus *bus = NULL;
        _cleanup_(run_freep) Run *run = NULL;
        _cleanup_(backup_store_freep) BackupStore *store = NULL;
        _cleanup_free_ char *command = NULL;
        int r;

        if (arg_dry_run)
                return verb_plan(argc, argv);

        if ((r = cli_load_playbooks(&set)) != 0 || (r = cli_check_names(argv + 1)) != 0 ||
            (r = cli_open_node(&root, &bus)) != 0 || (r = cli_build_run(argv + 1, set, root, bus, &run)) != 0)
                return r;
        run->no_rollback = arg_no_rollback;

        /* Bad input must change nothing, not even create the backup store: plan once before
         * touching it. engine_apply() plans again under the lock. */
        r = engine_plan(run);
        if (r < 0)
                return cli_run_error(run, r, "apply");

        unsigned changes;
        run_count(run, &changes, NULL, NULL, NULL);
        if (changes == 0 && !store_exists(root)) {
                /* Nothing to change and no earlier transaction to worry about: no store needed. */
                r = engine_verify_unchanged(run);
                goto report;
        }

        if ((r = cli_open_store(root, true, &store)) != 0)
                return r;

        /* The command line as the manifest records it: what was run, for the operator reading
         * `backups show` later. */
        size_t len = strlen("apply");
        for (int i = 1; i < argc; i++)
                len += strlen(argv[i]) + 1;
        command = malloc(len + 1);
        if (!command)
                return report_error(EXIT_FAILED, "out of memory");
        strcpy(command, "apply");
        for (int i = 1; i < argc; i++) {
                strcat(command, " ");
                strcat(command, argv[i]);
        }

        ApplyOptions o = { .store = store, .command = command };
        r = engine_apply(run, &o);
        if (r < 0)
                return cli_run_error(run, r, "apply");

report:
        if (report_options.json)
                report_print_json(report_run_json(run, "apply", false), stdout);
        else
                report_run(run, "apply", false, stdout);
        return r > 0 ? EXIT_FAILED : 0;
}
