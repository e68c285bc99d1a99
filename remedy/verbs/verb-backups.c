/* SPDX-License-Identifier: MIT */
/* remedy backups list | show ID | verify ID | prune --keep=N */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "verbs.h"
#include "remedy/log.h"
#include "remedy/report.h"
#include "remedy/secret-mask.h"
#include "remedy/strv.h"
#include "remedy/term-escape.h"

static json_object *manifest_summary_json(const Manifest *m) {
        json_object *o = json_object_new_object(), *pbs = json_object_new_array();
        json_object_object_add(o, "id", json_object_new_string(m->id));
        json_object_object_add(o, "state", json_object_new_string(txn_state_to_string(m->state)));
        json_object_object_add(o, "created", json_object_new_string(strempty(m->created)));
        json_object_object_add(o, "command", json_object_new_string(strempty(m->command)));
        for (size_t i = 0; i < m->n_playbooks; i++)
                json_object_array_add(pbs, json_object_new_string(m->playbooks[i].name));
        json_object_object_add(o, "playbooks", pbs);
        json_object_object_add(o, "files", json_object_new_int((int) m->n_entries));
        json_object_object_add(o, "reverts", m->reverts ? json_object_new_string(m->reverts) : NULL);
        json_object_object_add(o, "rolled_back_by", m->rolled_back_by ? json_object_new_string(m->rolled_back_by) : NULL);
        return o;
}

static int backups_list(BackupStore *store) {
        Manifest **l = NULL;
        size_t n = 0;
        int r = backup_store_list(store, &l, &n);
        if (r < 0)
                return report_error(EXIT_BAD_INPUT, "cannot list %s: %s", backup_store_path(store), strerror(-r));

        if (report_options.json) {
                json_object *a = json_object_new_array();
                for (size_t i = 0; i < n; i++)
                        json_object_array_add(a, manifest_summary_json(l[i]));
                json_object *o = json_object_new_object();
                json_object_object_add(o, "command", json_object_new_string("backups list"));
                json_object_object_add(o, "backups", a);
                report_print_json(o, stdout);
        } else {
                printf("%s%-30s %-12s %-20s %5s  %s%s\n", ansi_bold(), "ID", "STATE", "CREATED", "FILES", "PLAYBOOKS",
                       ansi_reset());
                for (size_t i = 0; i < n; i++) {
                        printf("%-30s %-12s %-20s %5zu  ", l[i]->id, txn_state_to_string(l[i]->state),
                               strempty(l[i]->created), l[i]->n_entries);
                        for (size_t j = 0; j < l[i]->n_playbooks; j++)
                                printf("%s%s", j ? "," : "", l[i]->playbooks[j].name);
                        if (l[i]->reverts)
                                printf("(rollback of %s)", l[i]->reverts);
                        printf("\n");
                }
                if (n == 0)
                        printf("(no backups in %s)\n", backup_store_path(store));
        }
        manifest_list_free(l, n);
        return 0;
}

static int backups_show(BackupStore *store, const char *id) {
        _cleanup_(manifest_freep) Manifest *m = NULL;
        _cleanup_free_ char *error = NULL, *json = NULL;
        int r = backup_store_load(store, id, &m, &error);
        if (r < 0)
                return report_error(EXIT_BAD_INPUT, "%s", error ? error : r == -ENOENT ? "no such transaction" : strerror(-r));

        if (report_options.json) {
                /* The manifest as it is stored, but masked like every other document: parameters
                 * may be passwords (the store keeps them, 0600, to show what was run). */
                if (manifest_to_json(m, &json) < 0)
                        return report_error(EXIT_FAILED, "out of memory");
                json_object *o = json_tokener_parse(json);
                if (!o)
                        return report_error(EXIT_FAILED, "out of memory");
                secret_mask_json(o);
                (void) json_text_write(stdout, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
                putchar('\n');
                json_object_put(o);
                return 0;
        }
        /* The host name, the root, the command line, errors and paths were the node's: the
         * command line and the error masked, then everything escaped. */
        _cleanup_free_ char *masked_command = secret_mask(m->command), *masked_error = secret_mask(m->error);
        _cleanup_free_ char *host = term_escape(m->host), *root = term_escape(m->root), *command = term_escape(masked_command),
                            *archive = term_escape(m->archive);
        printf("%sTransaction %s%s\n  state:    %s\n  created:  %s\n  updated:  %s\n  host:     %s\n  root:     %s\n"
               "  command:  %s\n  remedy:   %s\n  archive:  %s (%llu bytes, sha256 %s)\n",
               ansi_bold(), m->id, ansi_reset(), txn_state_to_string(m->state), strempty(m->created),
               strempty(m->updated), strempty(host), strempty(root), strempty(command),
               strempty(m->remedy_version), strempty(archive), (unsigned long long) m->archive_size,
               m->archive_sha256);
        if (m->error) {
                fputs("  error:    ", stdout);
                (void) term_puts(masked_error, stdout);
                putchar('\n');
        }
        if (m->reverts)
                printf("  reverts:  %s (this is the record of its rollback; rolling it back applies %s again)\n",
                       m->reverts, m->reverts);
        if (m->rolled_back_by)
                printf("  rolled back by: %s\n", m->rolled_back_by);
        for (size_t i = 0; i < m->n_playbooks; i++) {
                printf("  playbook: %s (%s, sha256 %.16s…)\n", m->playbooks[i].name, strempty(m->playbooks[i].path),
                       m->playbooks[i].sha256);
                for (size_t j = 0; m->playbooks[i].param_names && m->playbooks[i].param_names[j]; j++) {
                        /* Masked as NAME=VALUE: the name says whether the value is a password. */
                        _cleanup_free_ char *param = NULL, *masked = NULL;
                        if (asprintf(&param, "%s=%s", m->playbooks[i].param_names[j], m->playbooks[i].param_values[j]) < 0 ||
                            !(masked = secret_mask(param)))
                                return report_error(EXIT_FAILED, "out of memory");
                        fputs("            ", stdout);
                        (void) term_puts(masked, stdout);
                        putchar('\n');
                }
        }
        for (size_t i = 0; i < m->n_entries; i++) {
                printf("  %-8s  ", m->entries[i].existed ? m->entries[i].kind : "created");
                (void) term_puts(m->entries[i].path, stdout);
                printf("%s\n", m->entries[i].existed ? "" : " (removed on rollback)");
        }
        for (size_t i = 0; i < m->n_dirs; i++)
                if (!m->dirs[i].existed) {
                        printf("  %-8s  ", "created");
                        (void) term_puts(m->dirs[i].path, stdout);
                        fputs("/ (removed on rollback if empty)\n", stdout);
                }
        return 0;
}

static int backups_verify(BackupStore *store, const char *id) {
        _cleanup_(manifest_freep) Manifest *m = NULL;
        _cleanup_free_ char *error = NULL;
        int r = backup_store_load(store, id, &m, &error);
        if (r < 0)
                return report_error(EXIT_BAD_INPUT, "%s", error ? error : r == -ENOENT ? "no such transaction" : strerror(-r));
        r = txn_verify(store, m, &error);
        if (report_options.json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "command", json_object_new_string("backups verify"));
                json_object_object_add(o, "id", json_object_new_string(m->id));
                json_object_object_add(o, "ok", json_object_new_boolean(r >= 0));
                if (r < 0)
                        json_object_object_add(o, "error", json_object_new_string(error ? error : strerror(-r)));
                report_print_json(o, stdout);
        } else if (r >= 0)
                printf("%s: archive matches its manifest (%zu files, sha256 %s)\n", m->id, m->n_entries, m->archive_sha256);
        if (r < 0) {
                if (!report_options.json)
                        log_error("%s: %s", m->id, error ? error : strerror(-r));
                return EXIT_BAD_INPUT;
        }
        return 0;
}

static int backups_prune(BackupStore *store) {
        _cleanup_strv_free_ char **removed = NULL;
        if (!arg_keep_set)
                return report_error(EXIT_BAD_INPUT, "backups prune needs --keep=N");
        pid_t holder = 0;
        int r = backup_store_lock(store, &holder);
        if (r == -EBUSY)
                return report_error(EXIT_BAD_INPUT, "another remedy (pid %d) is working on this node", (int) holder);
        if (r < 0)
                return report_error(EXIT_FAILED, "cannot lock the backup store: %s", strerror(-r));
        r = backup_store_prune(store, arg_keep, &removed);
        if (r < 0)
                return report_error(EXIT_FAILED, "prune failed: %s", strerror(-r));
        if (report_options.json) {
                json_object *o = json_object_new_object(), *a = json_object_new_array();
                STRV_FOREACH(s, removed)
                        json_object_array_add(a, json_object_new_string(*s));
                json_object_object_add(o, "command", json_object_new_string("backups prune"));
                json_object_object_add(o, "removed", a);
                report_print_json(o, stdout);
        } else {
                STRV_FOREACH(s, removed)
                        printf("removed %s\n", *s);
                printf("%d backup%s removed, newest %u kept (unresolved transactions are always kept).\n", r,
                       r == 1 ? "" : "s", arg_keep);
        }
        return 0;
}

int verb_backups(int argc, char **argv) {
        _cleanup_(root_freep) Root *root = NULL;
        _cleanup_(backup_store_freep) BackupStore *store = NULL;
        const char *sub = argc > 1 ? argv[1] : "list";
        bool needs_id = streq(sub, "show") || streq(sub, "verify");
        int r;

        if (!streq(sub, "list") && !needs_id && !streq(sub, "prune"))
                return report_error(EXIT_BAD_INPUT, "backups: unknown subcommand \"%s\" (list, show, verify, prune)", sub);
        if (needs_id && argc != 3)
                return report_error(EXIT_BAD_INPUT, "backups %s takes one transaction ID", sub);
        if (!needs_id && argc > 2)
                return report_error(EXIT_BAD_INPUT, "backups %s takes no arguments", sub);

        if ((r = cli_open_root(&root)) != 0 || (r = cli_open_store(root, false, &store)) != 0)
                return r;
        if (streq(sub, "list"))
                return backups_list(store);
        if (streq(sub, "show"))
                return backups_show(store, argv[2]);
        if (streq(sub, "verify"))
                return backups_verify(store, argv[2]);
        return backups_prune(store);
}
