/* SPDX-License-Identifier: MIT */
/*
 * remedy rollback [ID | --last] [--cascade] [--force] [--dry-run]: puts back every file of a
 * transaction byte for byte with its metadata, removes what it created, then restores its units.
 * Without ID or --last it takes the transaction an interrupted apply left unresolved.
 *
 * Nothing is lost on the way. A path that is no longer as the transaction left it was changed
 * since: by a later transaction that is still applied (refused, naming it; --cascade rolls those
 * back first, newest first) or by hand (refused, showing the diff of what would be lost; --force
 * goes on). And a rollback is a transaction of its own: what it overwrites is archived first, so
 * `remedy rollback <the rollback's ID>` undoes it and the transaction it reverted is applied again.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "rollback-print.h"
#include "verbs.h"
#include "remedy/log.h"
#include "remedy/report.h"
#include "remedy/strv.h"
#include "remedy/term-escape.h"
#include "remedy/unit-restore.h"

typedef struct RollbackRun {
        Root *root;
        SystemdBus *bus;
        BackupStore *store;
        json_object *cascaded;   /* --json: the transactions rolled back first, in order */
        unsigned depth;
} RollbackRun;

static bool txn_is_active(const Manifest *m) {
        return m->state != TXN_ROLLED_BACK && m->state != TXN_ABANDONED;
}

/* The newest transaction that is not rolled back and not itself the record of a rollback:
 * --last unwinds the stack of applies one by one. 0 when there is none. */
static int find_last(BackupStore *store, Manifest **ret, char **ret_error) {
        Manifest **l = NULL;
        size_t n = 0;
        int r = backup_store_list_full(store, &l, &n, ret_error);

        if (r < 0)
                return r;
        *ret = NULL;
        /* A transaction prepared and never begun changed nothing: it is not on the stack (the
         * node guard marks it abandoned on the way). Found by a rollback that failed before it
         * began, whose --last retry rolled back nothing. */
        for (size_t i = n; i > 0 && !*ret; i--)
                if (txn_is_active(l[i - 1]) && l[i - 1]->state != TXN_PREPARED && !l[i - 1]->reverts)
                        *ret = TAKE_PTR(l[i - 1]);
        manifest_list_free(l, n);
        return *ret ? 1 : 0;
}

static bool manifest_covers(const Manifest *m, const char *path) {
        for (size_t i = 0; i < m->n_entries; i++)
                if (streq(m->entries[i].path, path))
                        return true;
        return false;
}

/*
 * The later transactions, still applied, that cover one of paths: the ones to roll back first,
 * newest first; *ret_path is a path the newest one covers. A rollback's record that reverted a
 * transaction newer than m cancels out with it and is not one of them.
 */
static int find_blockers(BackupStore *store, const Manifest *m, char * const *paths, char ***ret, char **ret_path) {
        _cleanup_strv_free_ char **ids = NULL;
        _cleanup_free_ char *first_path = NULL;
        Manifest **l = NULL;
        size_t n = 0;
        int r = backup_store_list(store, &l, &n);

        if (r < 0)
                return r;
        for (size_t i = n; i > 0 && r >= 0; i--) {
                const Manifest *y = l[i - 1];
                if (strcmp(y->id, m->id) <= 0 || !txn_is_active(y) || (y->reverts && strcmp(y->reverts, m->id) > 0))
                        continue;
                STRV_FOREACH(path, paths)
                        if (manifest_covers(y, *path)) {
                                r = strv_extend(&ids, y->id);
                                if (r >= 0 && !first_path && !(first_path = strdup(*path)))
                                        r = -ENOMEM;
                                break;
                        }
        }
        manifest_list_free(l, n);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(ids);
        *ret_path = TAKE_PTR(first_path);
        return 0;
}

static int collect_changed_since(const RestoreItem *item, void *userdata) {
        char ***changed = userdata;
        if (!item->changed_since)
                return 0;
        return strv_extend(changed, item->path);
}

/* The paths of m that are no longer as m left them (a dry run of the rollback). */
static int find_changed_since(RollbackRun *rr, Manifest *m, char ***ret, char **ret_error) {
        _cleanup_strv_free_ char **changed = NULL;
        int r = txn_rollback(rr->store, rr->root, m, &(RollbackOptions) { .dry_run = true }, collect_changed_since,
                             &changed, ret_error);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(changed);
        return 0;
}

/* Refuses over changes made since m by hand: shows each with the diff of what would be lost. */
static int refuse_changed_since(RollbackRun *rr, Manifest *m, char * const *changed) {
        _cleanup_(rollback_printer_done) RollbackPrinter p = { .root = rr->root, .only_changed_since = true };
        _cleanup_free_ char *error = NULL;

        if (!report_options.json && !report_options.quiet) {
                _cleanup_free_ char *command = term_escape(m->command);
                printf("%sNot rolling back%s %s (%s): %zu path%s changed since it was applied, by hand or by another "
                       "tool.\nRolling back would lose these changes:\n",
                       ansi_bold(), ansi_reset(), m->id, strempty(command), strv_length(changed),
                       strv_length(changed) == 1 ? " was" : "s were");
                (void) txn_rollback(rr->store, rr->root, m, &(RollbackOptions) { .dry_run = true }, rollback_print_item, &p,
                                    &error);
                rollback_printer_end_run(&p);
                printf("\n");
        }
        return report_error(EXIT_BAD_INPUT,
                            "refusing to roll back %s: %s was changed since (and %zu more); keep the change and leave "
                            "the transaction applied, or roll back anyway with --force (what it overwrites is kept "
                            "in the rollback's own backup)",
                            m->id, changed[0], strv_length(changed) - 1);
}

/* The units m recorded, in their state now: what rolling back the rollback puts back. */
static int record_units_now(RollbackRun *rr, Manifest *record, const Manifest *m, char **ret_error) {
        for (size_t i = 0; rr->bus && i < m->n_units; i++) {
                _cleanup_(unit_state_done) UnitState now = {};
                int r = systemd_bus_get_unit_state(rr->bus, m->units[i].name, &now, ret_error);
                if (r < 0)
                        return r;
                r = txn_add_unit(rr->store, record, m->units[i].name, now.unit_file_state, now.active_state);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The rollback's own transaction: every path of m archived as it is now, before it is restored. */
static int create_record(RollbackRun *rr, const Manifest *m, Manifest **ret, char **ret_error) {
        _cleanup_(manifest_freep) Manifest *record = NULL;
        _cleanup_strv_free_ char **paths = NULL;
        _cleanup_free_ char *command = NULL;
        size_t n_paths = 0;
        int r;

        for (size_t i = 0; i < m->n_entries; i++)
                if ((r = strv_extend_with_size(&paths, &n_paths, m->entries[i].path)) < 0)
                        return r;
        if (asprintf(&command, "rollback %s", m->id) < 0)
                return -ENOMEM;
        TxnInfo info = {
                .command = command,
                .root_path = rr->root->path,
                .remedy_version = REMEDY_VERSION,
        };
        r = txn_create(rr->store, rr->root, &info, paths, &record);
        if (r < 0)
                return r;
        record->reverts = strdup(m->id);
        if (!record->reverts)
                return -ENOMEM;
        if ((r = record_units_now(rr, record, m, ret_error)) < 0)
                return r;
        if ((r = txn_set_state(rr->store, record, TXN_APPLYING, NULL)) < 0)
                return r;
        *ret = TAKE_PTR(record);
        return 0;
}

/* m was itself a rollback's record: the transaction that rollback reverted is applied again. */
static void reinstate_reverted(RollbackRun *rr, const Manifest *m) {
        _cleanup_(manifest_freep) Manifest *reverted = NULL;

        if (!m->reverts || backup_store_load(rr->store, m->reverts, &reverted, NULL) < 0)
                return;   /* pruned since: nothing to mark */
        if (reverted->state == TXN_ROLLED_BACK && streq_ptr(reverted->rolled_back_by, m->id) &&
            txn_reinstate(rr->store, reverted) < 0)
                log_warning("Transaction %s is applied again, but could not be marked so.", reverted->id);
}

static int rollback_one(RollbackRun *rr, Manifest *m);

/* Rolls back the blockers, newest first (--cascade). */
static int cascade(RollbackRun *rr, char * const *blockers) {
        STRV_FOREACH(id, blockers) {
                _cleanup_(manifest_freep) Manifest *y = NULL;
                _cleanup_free_ char *error = NULL;
                int r = backup_store_load(rr->store, *id, &y, &error);
                if (r < 0)
                        return report_error(EXIT_BAD_INPUT, "%s", error ? error : strerror(-r));
                if (!txn_is_active(y))   /* rolled back by an earlier step of the cascade */
                        continue;
                if (!report_options.json && !report_options.quiet)
                        printf("%s--cascade: rolling back %s first%s\n", ansi_bold(), y->id, ansi_reset());
                rr->depth++;
                r = rollback_one(rr, y);
                rr->depth--;
                if (r != 0)
                        return r;
        }
        return 0;
}

/* Checks that nothing is lost: 0 to go on, or the exit status of a refusal. */
static int check_nothing_lost(RollbackRun *rr, Manifest *m) {
        for (unsigned round = 0;; round++) {
                _cleanup_strv_free_ char **changed = NULL, **suspects = NULL, **blockers = NULL;
                _cleanup_free_ char *error = NULL, *blocked_path = NULL;
                int r;

                r = find_changed_since(rr, m, &changed, &error);
                if (r < 0)
                        return report_error(r == -EBADMSG ? EXIT_BAD_INPUT : EXIT_FAILED, "rollback of %s: %s", m->id,
                                            error ? error : strerror(-r));
                /* Where m did not record what it left (it was interrupted), any later transaction on
                 * the path changed it since, as far as anyone can tell. */
                suspects = strv_copy(changed);
                if (changed && !suspects)
                        return log_oom();
                for (size_t i = 0; i < m->n_entries; i++)
                        if (!m->entries[i].after.known && strv_extend(&suspects, m->entries[i].path) < 0)
                                return log_oom();
                if ((r = find_blockers(rr->store, m, suspects, &blockers, &blocked_path)) < 0)
                        return report_error(EXIT_FAILED, "cannot read the backup store: %s", strerror(-r));
                if (!changed && !blockers)
                        return 0;

                if (arg_dry_run) {
                        /* The preview marks the paths; say what the real run would do about them. */
                        if (blockers)
                                log_notice("%s was changed since by transaction %s: rollback would %s.", blocked_path,
                                           blockers[0], arg_cascade ? "roll that back first (--cascade)" : "refuse");
                        else if (!arg_force)
                                log_notice("%s was changed since, by hand or by another tool: rollback would refuse "
                                           "without --force.", changed[0]);
                        return 0;
                }
                if (!blockers)
                        return arg_force ? 0 : refuse_changed_since(rr, m, changed);
                if (!arg_cascade || round > 0)
                        return report_error(EXIT_BAD_INPUT,
                                            "refusing to roll back %s: %s was changed since by transaction %s, which is "
                                            "still applied; roll it back first (remedy rollback %s), or roll back both "
                                            "with --cascade",
                                            m->id, blocked_path, blockers[0], blockers[0]);
                if ((r = cascade(rr, blockers)) != 0)
                        return r;
        }
}

static void print_done(RollbackRun *rr, Manifest *m, const Manifest *record, RollbackPrinter *p, UnitPrinter *up) {
        if (report_options.json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "command", json_object_new_string("rollback"));
                json_object_object_add(o, "id", json_object_new_string(m->id));
                json_object_object_add(o, "dry_run", json_object_new_boolean(arg_dry_run));
                json_object_object_add(o, "state", json_object_new_string(txn_state_to_string(m->state)));
                json_object_object_add(o, "record", record ? json_object_new_string(record->id) : NULL);
                json_object_object_add(o, "items", TAKE_PTR(p->items));
                json_object_object_add(o, "units", TAKE_PTR(up->items));
                if (rr->depth > 0)
                        json_object_array_add(rr->cascaded, o);
                else {
                        json_object_object_add(o, "cascaded", TAKE_PTR(rr->cascaded));
                        report_print_json(o, stdout);
                }
                return;
        }
        if (arg_dry_run)
                printf("%sRollback would make %u change%s. Nothing was changed (dry run).\n",
                       report_options.quiet ? "" : "\n", p->n_changes, p->n_changes == 1 ? "" : "s");
        else if (!record)
                printf("%sTransaction %s was prepared and never began: marked abandoned; nothing was changed.\n",
                       report_options.quiet ? "" : "\n", m->id);
        else
                printf("%sRolled back %s: %u change%s; the files%s are as they were before it. Undo this rollback "
                       "with: remedy rollback %s\n",
                       report_options.quiet ? "" : "\n", m->id, p->n_changes, p->n_changes == 1 ? "" : "s",
                       m->n_units > 0 && rr->bus ? " and units" : "", record->id);
}

/* After a failed restore, the node goes back to how it was before the rollback began. */
static void undo_record(RollbackRun *rr, Manifest *record) {
        _cleanup_free_ char *error = NULL;
        (void) txn_finish(rr->store, rr->root, record, TXN_FAILED, "the rollback failed");
        if (txn_rollback(rr->store, rr->root, record, &(RollbackOptions) { .force = true }, NULL, NULL, &error) < 0)
                log_error("The failed rollback could not be undone either (%s): run \"remedy rollback %s\" to resolve it.",
                          error ? error : "error", record->id);
}

static int rollback_one(RollbackRun *rr, Manifest *m) {
        _cleanup_(manifest_freep) Manifest *record = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        r = txn_verify(rr->store, m, &error);
        if (r < 0)
                return report_error(EXIT_BAD_INPUT, "refusing to roll back %s: %s", m->id, error ? error : strerror(-r));
        if ((r = check_nothing_lost(rr, m)) != 0)
                return r;

        _cleanup_(rollback_printer_done) RollbackPrinter p = {
                .root = rr->root,
                .items = report_options.json ? json_object_new_array() : NULL,
        };
        UnitPrinter up = { .items = report_options.json ? json_object_new_array() : NULL };
        if (!report_options.json && !report_options.quiet) {
                _cleanup_free_ char *command = term_escape(m->command);
                printf("%sRolling back%s %s (%s, %s)%s\n", ansi_bold(), ansi_reset(), m->id, strempty(command),
                       txn_state_to_string(m->state), arg_dry_run ? " — dry run" : "");
        }

        /* A transaction still "prepared" changed nothing, its units included: it has no record. */
        bool changed_anything = m->state != TXN_PREPARED;
        if (!arg_dry_run && changed_anything && (r = create_record(rr, m, &record, &error)) < 0)
                r = report_error(EXIT_FAILED, "cannot back up what rollback of %s overwrites (nothing was changed): %s",
                                 m->id, error ? error : strerror(-r));
        else {
                r = txn_rollback(rr->store, rr->root, m,
                                 &(RollbackOptions) { .dry_run = arg_dry_run, .force = arg_force,
                                                      .by = record ? record->id : NULL },
                                 rollback_print_item, &p, &error);
                if (r < 0) {
                        if (record)
                                undo_record(rr, record);
                        r = report_error(r == -EBADMSG || r == -EUCLEAN ? EXIT_BAD_INPUT : EXIT_FAILED,
                                         "rollback of %s failed: %s", m->id, error ? error : strerror(-r));
                } else if (rr->bus && changed_anything && manifest_needs_systemd(m)) {
                        /* Live: systemd reads the restored files, then the units get their state
                         * back. Offline the restored links are the whole of it. */
                        r = units_restore(rr->bus, m, arg_job_timeout_usec, arg_dry_run, rollback_print_unit_item, &up,
                                          &error);
                        if (r < 0)
                                r = report_error(EXIT_FAILED,
                                                 "rollback of %s: the files are restored, but not the units: %s", m->id,
                                                 error ? error : strerror(-r));
                }
                /* The running kernel's settings, only when this is its node (not --root, not a
                 * container's root): after the units, like an apply's own rollback. */
                if (r == 0 && rr->bus && changed_anything && m->n_kernel > 0 && root_is_host(rr->root)) {
                        free(error);
                        error = NULL;
                        r = kernel_restore(m, arg_dry_run, rollback_print_unit_item, &up, &error);
                        if (r < 0)
                                r = report_error(EXIT_FAILED,
                                                 "rollback of %s: the files are restored, but not the kernel's settings: %s",
                                                 m->id, error ? error : strerror(-r));
                }
        }
        if (r != 0) {
                json_object_put(p.items);
                json_object_put(up.items);
                return r;
        }

        if (record) {
                r = txn_finish(rr->store, rr->root, record, TXN_APPLIED, NULL);
                if (r < 0)
                        log_warning("Rolled back %s, but its record %s could not be marked applied: %s", m->id, record->id,
                                    strerror(-r));
                reinstate_reverted(rr, m);
        }
        p.n_changes += up.n_changes;
        rollback_printer_end_run(&p);
        print_done(rr, m, record, &p, &up);
        return 0;
}

/* The transaction named on the command line, --last, or the unresolved one. 0 and *ret NULL
 * when there is nothing to do (said so), an exit status on error. */
static int select_transaction(BackupStore *store, const char *id, Manifest **ret) {
        _cleanup_free_ char *error = NULL;
        int r;

        *ret = NULL;
        if (id) {
                r = backup_store_load(store, id, ret, &error);
                if (r == -ENOENT || r == -EINVAL)
                        return report_error(EXIT_BAD_INPUT, "no transaction %s (see remedy backups list)", id);
        } else if (arg_last) {
                r = find_last(store, ret, &error);
                if (r == 0) {
                        if (report_options.json) {
                                json_object *o = json_object_new_object();
                                json_object_object_add(o, "command", json_object_new_string("rollback"));
                                json_object_object_add(o, "id", NULL);
                                json_object_object_add(o, "nothing_to_do", json_object_new_boolean(true));
                                report_print_json(o, stdout);
                        } else
                                printf("Nothing to roll back: no transaction in %s is still applied.\n",
                                       backup_store_path(store));
                        return 0;
                }
        } else {
                r = backup_store_find_unresolved(store, ret);
                if (r == 0)
                        return report_error(EXIT_BAD_INPUT,
                                            "no interrupted transaction to resolve; say which to roll back: ID or --last");
        }
        if (r < 0)
                return report_error(EXIT_BAD_INPUT, "%s", error ? error : strerror(-r));
        return 0;
}

int verb_rollback(int argc, char **argv) {
        _cleanup_(root_freep) Root *root = NULL;
        _cleanup_(systemd_bus_freep) SystemdBus *bus = NULL;
        _cleanup_(backup_store_freep) BackupStore *store = NULL;
        _cleanup_(manifest_freep) Manifest *m = NULL;
        _cleanup_close_ int node_lock_fd = -EBADF;
        const char *id = argc > 1 ? argv[1] : NULL;
        int r;

        if (argc > 2 || (id && arg_last))
                return report_error(EXIT_BAD_INPUT, "rollback takes one transaction: ID or --last");
        if ((r = cli_open_node(&root, &bus)) != 0 || (r = cli_open_store(root, false, &store)) != 0)
                return r;

        /* --dry-run writes nothing, not even the lock files. */
        if (!arg_dry_run) {
                _cleanup_free_ char *error = NULL;
                r = node_guard_lock(root, store, &node_lock_fd, &error);
                if (r < 0)
                        return report_error(r == -EBUSY ? EXIT_BAD_INPUT : EXIT_FAILED, "%s", error);
        }

        if ((r = select_transaction(store, id, &m)) != 0 || !m)
                return r;
        if (m->state == TXN_ROLLED_BACK || m->state == TXN_ABANDONED) {
                if (report_options.json) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "command", json_object_new_string("rollback"));
                        json_object_object_add(o, "id", json_object_new_string(m->id));
                        json_object_object_add(o, "state", json_object_new_string(txn_state_to_string(m->state)));
                        json_object_object_add(o, "nothing_to_do", json_object_new_boolean(true));
                        report_print_json(o, stdout);
                } else
                        printf("Transaction %s was %s%s%s; nothing to do.\n", m->id,
                               m->state == TXN_ABANDONED ? "abandoned before it changed anything" : "already rolled back",
                               m->rolled_back_by ? " by " : "", strempty(m->rolled_back_by));
                return 0;
        }

        /* Like apply, nothing new while a transaction is left half-done: an interrupted rollback
         * is resolved first (rolling back its record puts the node back as it was before it). */
        if (!arg_dry_run && !txn_state_unresolved(m->state)) {
                _cleanup_free_ char *error = NULL;
                r = node_guard_unresolved(root, store, &error);
                if (r < 0)
                        return report_error(r == -EBUSY ? EXIT_BAD_INPUT : EXIT_FAILED, "%s", error);
        }

        RollbackRun rr = {
                .root = root,
                .bus = bus,
                .store = store,
                .cascaded = report_options.json ? json_object_new_array() : NULL,
        };
        r = rollback_one(&rr, m);
        json_object_put(rr.cascaded);
        return r;
}
