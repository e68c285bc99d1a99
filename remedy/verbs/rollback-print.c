/* SPDX-License-Identifier: MIT */
/*
 * What rollback shows of what it restores: see rollback-print.h.
 */
#include "rollback-print.h"

#include <stdio.h>
#include <string.h>

#include "remedy/diff.h"
#include "remedy/report.h"
#include "remedy/term-escape.h"

void rollback_printer_end_run(RollbackPrinter *p) {
        if (p->run_hidden > 0) {
                _cleanup_free_ char *dir = term_escape(p->run_dir);
                printf("  %s… and %u more file%s in %s (-v shows every one)%s\n", ansi_grey(), p->run_hidden,
                       p->run_hidden == 1 ? "" : "s", strempty(dir), ansi_reset());
        }
        p->run_dir = mfree(p->run_dir);
        p->run_length = p->run_hidden = 0;
}

void rollback_printer_done(RollbackPrinter *p) {
        free(p->run_dir);
}

/* Whether an item is shown, or only counted in its directory's run. */
static int printer_show(RollbackPrinter *p, const char *path) {
        const char *slash = strrchr(path, '/');
        size_t n = slash ? (size_t) (slash - path) : 0;

        if (!p->run_dir || strlen(p->run_dir) != n || strncmp(p->run_dir, path, n) != 0) {
                rollback_printer_end_run(p);
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

int rollback_print_item(const RestoreItem *item, void *userdata) {
        RollbackPrinter *p = userdata;
        _cleanup_free_ char *current = NULL, *diff = NULL;
        size_t size = 0;

        if (item->action == RESTORE_DIR_MTIME || (p->only_changed_since && !item->changed_since))
                return 0;
        if (item->action != RESTORE_UNCHANGED)
                p->n_changes++;

        /* A diff back to the archived file; for a file the transaction created and someone edited
         * since, the diff of its removal: what would be lost. */
        bool removes_edit = item->action == RESTORE_REMOVE && item->changed_since;
        bool is_file = (item->action == RESTORE_FILE && item->kind && streq(item->kind, "file")) || removes_edit;
        if (is_file && root_read_file(p->root, item->path, NODE_FILE_MAX, &current, &size) < 0)
                current = NULL;
        const char *to_data = removes_edit ? "" : item->archived_data;
        size_t to_size = removes_edit ? 0 : item->archived_size;

        if (p->items) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "action", json_object_new_string(restore_action_name(item->action)));
                json_object_object_add(o, "path", json_object_new_string(item->path));
                if (item->kind)
                        json_object_object_add(o, "kind", json_object_new_string(item->kind));
                json_object_object_add(o, "changed_since", json_object_new_boolean(item->changed_since));
                if (is_file && diff_unified_string(current ? current : "", current ? size : 0, to_data, to_size,
                                                   current ? item->path : "/dev/null",
                                                   removes_edit ? "/dev/null" : item->path, &diff) >= 0)
                        json_object_object_add(o, "diff", json_object_new_string(diff ? diff : ""));
                json_object_array_add(p->items, o);
                return 0;
        }

        if (report_options.quiet)
                return 0;
        int show = printer_show(p, item->path);
        if (show <= 0)
                return show;
        /* The paths and link targets are the node's. */
        _cleanup_free_ char *path = term_escape(item->path);
        if (item->action == RESTORE_UNCHANGED) {
                printf("  %sok%s       %s (already as archived)\n", ansi_green(), ansi_reset(), strempty(path));
                return 0;
        }
        printf("  %s%-8s%s %s", ansi_yellow(), restore_action_name(item->action), ansi_reset(), strempty(path));
        if (item->action == RESTORE_FILE && item->kind && streq(item->kind, "symlink")) {
                fputs(" → ", stdout);
                (void) term_write(stdout, item->archived_data, item->archived_size);
        }
        if (item->action == RESTORE_REMOVE)
                printf(" (created by the transaction)");
        if (item->changed_since)
                printf(" %s(changed since the transaction)%s", ansi_red(), ansi_reset());
        printf("\n");
        if (is_file) {
                DiffOptions d = { .color = report_options.color, .context = 3 };
                _cleanup_free_ char *label = NULL;
                if (asprintf(&label, "%s (%s)", item->path, removes_edit ? "removed" : "restored") < 0)
                        return -ENOMEM;
                fflush(stdout);
                (void) diff_unified(stdout, current ? current : "", current ? size : 0, to_data, to_size,
                                    current ? item->path : "/dev/null", label, &d);
        }
        return 0;
}

int rollback_print_unit_item(const UnitRestoreItem *item, void *userdata) {
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
        /* Unit names come from the node's files (an fstab line's device), states from systemd. */
        _cleanup_free_ char *unit = term_escape(item->unit), *before = term_escape(item->before),
                            *now = term_escape(item->now);
        if (streq(item->action, "unchanged")) {
                printf("  %sok%s       %s (%s, as before)\n", ansi_green(), ansi_reset(), strempty(unit), strempty(now));
                return 0;
        }
        printf("  %s%-8s%s %s (was %s, now %s)\n", ansi_yellow(), item->action, ansi_reset(), strempty(unit),
               strempty(before), strempty(now));
        return 0;
}

