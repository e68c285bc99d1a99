/* SPDX-License-Identifier: MIT */
/*
 * remedy rollback [ID | --last] [--dry-run]: puts back every file of a transaction byte for byte
 * with its metadata and removes what it created. Without ID or --last it takes the transaction an
 * interrupted apply left unresolved, if there is one.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "verbs.h"
#include "remedy/diff.h"
#include "remedy/log.h"
#include "remedy/report.h"
#include "remedy/unit-restore.h"

typedef struct RollbackPrinter {
        Root *root;
        json_object *items;   /* --json */
        unsigned n_changes;
        /* Items come in the order they were archived, so a glob's matches arrive together: a run
         * of more than REPORT_FILES_SHOWN in one directory is shown in part and counted. */
        char *run_dir;
        unsigned run_length, run_hidden;
} RollbackPrinter;

static void printer_end_run(RollbackPrinter *p) {
        if (p->run_hidden > 0)
                printf("  %s… and %u more file%s in %s (-v shows every one)%s\n", ansi_grey(), p->run_hidden,
                       p->run_hidden == 1 ? "" : "s", p->run_dir, ansi_reset());
        p->run_dir = mfree(p->run_dir);
        p->run_length = p->run_hidden = 0;
}

static void printer_free_run(RollbackPrinter *p) {
        free(p->run_dir);
}

/* Whether an item is shown, or only counted in its directory's run. */
static int printer_show(RollbackPrinter *p, const char *path) {
        const char *slash = strrchr(path, '/');
        size_t n = slash ? (size_t) (slash - path) : 0;

        if (!p->run_dir || strlen(p->run_dir) != n || strncmp(p->run_dir, path, n) != 0) {
                printer_end_run(p);
                p->run_dir = strndup(path, n);
                if (!p->run_dir)
                        return -ENOMEM;
        }
        if (++p->run_length > REPORT_FILES_SHOWN && !report_options.verbose) {
                p->run_hidden++;
                return 0;
        }
        return 1;
}

static const char *restore_action_name(RestoreAction a) {
        switch (a) {
        case RESTORE_UNCHANGED:
                return "unchanged";
        case RESTORE_FILE:
                return "restore";
        case RESTORE_REMOVE:
                return "remove";
        case RESTORE_RMDIR:
                return "remove-directory";
        case RESTORE_DIR_MTIME:
                return "restore-mtime";
        }
        return "unknown";
}

static int print_item(const RestoreItem *item, void *userdata) {
        RollbackPrinter *p = userdata;
        _cleanup_free_ char *current = NULL, *diff = NULL;
        size_t size = 0;

        if (item->action == RESTORE_DIR_MTIME)
                return 0;
        if (item->action != RESTORE_UNCHANGED)
                p->n_changes++;

        bool is_file = item->action == RESTORE_FILE && item->kind && streq(item->kind, "file");
        if (is_file && root_read_file(p->root, item->path, NODE_FILE_MAX, &current, &size) < 0)
                current = NULL;

        if (p->items) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "action", json_object_new_string(restore_action_name(item->action)));
                json_object_object_add(o, "path", json_object_new_string(item->path));
                if (item->kind)
                        json_object_object_add(o, "kind", json_object_new_string(item->kind));
                if (is_file && diff_unified_string(current ? current : "", current ? size : 0, item->archived_data,
                                                   item->archived_size, current ? item->path : "/dev/null",
                                                   item->path, &diff) >= 0)
                        json_object_object_add(o, "diff", json_object_new_string(diff ? diff : ""));
                json_object_array_add(p->items, o);
                return 0;
        }

        if (report_options.quiet)
                return 0;
        int show = printer_show(p, item->path);
        if (show <= 0)
                return show;
        if (item->action == RESTORE_UNCHANGED) {
                printf("  %sok%s       %s (already as archived)\n", ansi_green(), ansi_reset(), item->path);
                return 0;
        }
        printf("  %s%-9s%s%s", ansi_yellow(), restore_action_name(item->action), ansi_reset(), item->path);
        if (item->action == RESTORE_FILE && item->kind && streq(item->kind, "symlink"))
                printf(" → %.*s", (int) item->archived_size, item->archived_data);
        if (item->action == RESTORE_REMOVE)
                printf(" (created by the transaction)");
        printf("\n");
        if (is_file) {
                DiffOptions d = { .color = report_options.color, .context = 3 };
                _cleanup_free_ char *label = NULL;
                if (asprintf(&label, "%s (restored)", item->path) < 0)
                        return -ENOMEM;
                fflush(stdout);
                (void) diff_unified(stdout, current ? current : "", current ? size : 0, item->archived_data,
                                    item->archived_size, current ? item->path : "/dev/null", label, &d);
        }
        return 0;
}

typedef struct UnitPrinter {
        json_object *items;   /* --json */
        unsigned n_changes;
} UnitPrinter;

static int print_unit_item(const UnitRestoreItem *item, void *userdata) {
        UnitPrinter *p = userdata;

        if (!streq(item->action, "unchanged") && !streq(item->action, "daemon-reload"))
                p->n_changes++;
        if (p->items) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "action", json_object_new_string(item->action));
                if (item->unit)
                        json_object_object_add(o, "unit", json_object_new_string(item->unit));
                if (item->before)
                        json_object_object_add(o, "before", json_object_new_string(item->before));
                if (item->now)
                        json_object_object_add(o, "now", json_object_new_string(item->now));
                json_object_array_add(p->items, o);
                return 0;
        }
        if (report_options.quiet)
                return 0;
        if (!item->unit) {
                printf("  %s%s%s (systemd reads the restored files)\n", ansi_yellow(), item->action, ansi_reset());
                return 0;
        }
        if (streq(item->action, "unchanged")) {
                printf("  %sok%s       %s (%s, as before)\n", ansi_green(), ansi_reset(), item->unit, item->now);
                return 0;
        }
        printf("  %s%-9s%s%s (was %s, now %s)\n", ansi_yellow(), item->action, ansi_reset(), item->unit, item->before,
               item->now);
        return 0;
}

int verb_rollback(int argc, char **argv) {
        _cleanup_(root_freep) Root *root = NULL;
        _cleanup_(systemd_bus_freep) SystemdBus *bus = NULL;
        _cleanup_(backup_store_freep) BackupStore *store = NULL;
        _cleanup_(manifest_freep) Manifest *m = NULL;
        _cleanup_free_ char *error = NULL;
        const char *id = argc > 1 ? argv[1] : NULL;
        int r;

        if (argc > 2 || (id && arg_last))
                return report_error(EXIT_BAD_INPUT, "rollback takes one transaction: ID or --last");
        if ((r = cli_open_node(&root, &bus)) != 0 || (r = cli_open_store(root, false, &store)) != 0)
                return r;

        /* --dry-run writes nothing, not even the lock file. */
        if (!arg_dry_run) {
                pid_t holder = 0;
                r = backup_store_lock(store, &holder);
                if (r == -EBUSY)
                        return report_error(EXIT_BAD_INPUT, "another remedy (pid %d) is working on this node", (int) holder);
                if (r < 0)
                        return report_error(EXIT_FAILED, "cannot lock the backup store: %s", strerror(-r));
        }

        if (id || arg_last) {
                r = backup_store_load(store, id, &m, &error);
                if (r == -ENOENT)
                        return report_error(EXIT_BAD_INPUT, id ? "no transaction %s (see remedy backups list)"
                                                               : "no transactions%s in the backup store",
                                            id ? id : "");
                if (r < 0)
                        return report_error(EXIT_BAD_INPUT, "%s", error ? error : strerror(-r));
        } else {
                r = backup_store_find_unresolved(store, &m);
                if (r < 0)
                        return report_error(EXIT_FAILED, "cannot read the backup store: %s", strerror(-r));
                if (r == 0)
                        return report_error(EXIT_BAD_INPUT,
                                            "no interrupted transaction to resolve; say which to roll back: ID or --last");
        }

        if (m->state == TXN_ROLLED_BACK)
                log_warning("Transaction %s was already rolled back; restoring its files again.", m->id);

        r = txn_verify(store, m, &error);
        if (r < 0)
                return report_error(EXIT_BAD_INPUT, "refusing to roll back %s: %s", m->id, error ? error : strerror(-r));

        _cleanup_(printer_free_run) RollbackPrinter p = { .root = root, .items = report_options.json ? json_object_new_array() : NULL };
        if (!report_options.json && !report_options.quiet)
                printf("%sRolling back%s %s (%s, %s)%s\n", ansi_bold(), ansi_reset(), m->id, strempty(m->command),
                       txn_state_to_string(m->state), arg_dry_run ? " — dry run" : "");

        /* A transaction still "prepared" changed nothing, its units included. */
        bool changed_units = m->state != TXN_PREPARED;
        r = txn_rollback(store, root, m, arg_dry_run, print_item, &p, &error);
        if (r < 0) {
                if (p.items)
                        json_object_put(p.items);
                return report_error(r == -EBADMSG ? EXIT_BAD_INPUT : EXIT_FAILED, "rollback of %s failed: %s", m->id,
                                    error ? error : strerror(-r));
        }

        /* Live: systemd reads the restored files, then the units get their state back. Offline
         * the restored links are the whole of it; the node's systemd reads them when it boots. */
        UnitPrinter up = { .items = report_options.json ? json_object_new_array() : NULL };
        if (bus && changed_units && manifest_needs_systemd(m)) {
                r = units_restore(bus, m, arg_job_timeout_usec, arg_dry_run, print_unit_item, &up, &error);
                if (r < 0) {
                        if (p.items)
                                json_object_put(p.items);
                        if (up.items)
                                json_object_put(up.items);
                        return report_error(EXIT_FAILED, "rollback of %s: the files are restored, but not the units: %s",
                                            m->id, error ? error : strerror(-r));
                }
        }
        p.n_changes += up.n_changes;
        printer_end_run(&p);

        if (report_options.json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "command", json_object_new_string("rollback"));
                json_object_object_add(o, "id", json_object_new_string(m->id));
                json_object_object_add(o, "dry_run", json_object_new_boolean(arg_dry_run));
                json_object_object_add(o, "state", json_object_new_string(txn_state_to_string(m->state)));
                json_object_object_add(o, "items", p.items);
                json_object_object_add(o, "units", up.items);
                report_print_json(o, stdout);
        } else if (arg_dry_run)
                printf("%sRollback would make %u change%s. Nothing was changed (dry run).\n",
                       report_options.quiet ? "" : "\n", p.n_changes,
                       p.n_changes == 1 ? "" : "s");
        else
                printf("%sRolled back %s: %u change%s; the files%s are as they were before it.\n",
                       report_options.quiet ? "" : "\n", m->id, p.n_changes,
                       p.n_changes == 1 ? "" : "s", m->n_units > 0 && bus ? " and units" : "");
        return 0;
}
