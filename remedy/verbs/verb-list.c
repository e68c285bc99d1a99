/* SPDX-License-Identifier: MIT */
/* remedy list: the playbooks found, valid ones with their summary, broken ones with their error. */
#include <stdio.h>

#include "cli.h"
#include "verbs.h"
#include "remedy/log.h"
#include "remedy/report.h"
#include "remedy/term-escape.h"

int verb_list(int argc, char **argv) {
        _cleanup_(playbook_set_freep) PlaybookSet *set = NULL;
        int r;

        if (argc > 1)
                return report_error(EXIT_BAD_INPUT, "list takes no arguments");
        if ((r = cli_load_playbooks(&set)) != 0)
                return r;

        if (report_options.json) {
                json_object *o = json_object_new_object(), *a = json_object_new_array(), *e = json_object_new_array();
                for (size_t i = 0; i < set->n_items; i++) {
                        json_object *p = json_object_new_object();
                        json_object_object_add(p, "name", json_object_new_string(set->items[i]->name));
                        json_object_object_add(p, "summary", json_object_new_string(strempty(set->items[i]->summary)));
                        json_object_object_add(p, "safety",
                                               json_object_new_string(playbook_safety_to_string(set->items[i]->safety)));
                        json_object_object_add(p, "path", json_object_new_string(set->items[i]->path));
                        json_object_array_add(a, p);
                }
                for (size_t i = 0; i < set->n_errors; i++) {
                        json_object *p = json_object_new_object();
                        json_object_object_add(p, "name", json_object_new_string(set->errors[i].name));
                        json_object_object_add(p, "path", json_object_new_string(set->errors[i].path));
                        json_object_object_add(p, "error", json_object_new_string(set->errors[i].error));
                        json_object_array_add(e, p);
                }
                json_object_object_add(o, "command", json_object_new_string("list"));
                json_object_object_add(o, "playbooks", a);
                json_object_object_add(o, "invalid", e);
                report_print_json(o, stdout);
        } else {
                for (size_t i = 0; i < set->n_items; i++)
                        printf("%s%-28s%s %-8s %s\n", ansi_bold(), set->items[i]->name, ansi_reset(),
                               playbook_safety_to_string(set->items[i]->safety), strempty(set->items[i]->summary));
                for (size_t i = 0; i < set->n_errors; i++) {
                        printf("%s%-28s%s %sinvalid:%s ", ansi_bold(), set->errors[i].name, ansi_reset(), ansi_red(),
                               ansi_reset());
                        (void) term_puts(set->errors[i].error, stdout);
                        putchar('\n');
                }
                if (set->n_items + set->n_errors == 0)
                        printf("(no playbooks found)\n");
        }
        /* Broken playbooks are bad input: say so in the exit status, as systemd-analyze verify does. */
        for (size_t i = 0; i < set->n_errors; i++)
                log_error("%s", set->errors[i].error);
        return set->n_errors > 0 ? EXIT_BAD_INPUT : 0;
}
