/* SPDX-License-Identifier: MIT */
/* remedy snapshot: the node's effective configuration as one YAML (or, with --json, JSON)
 * document, secrets masked, in an order that makes two snapshots diff (remedy/snapshot.h). */
#include <stdio.h>

#include "cli.h"
#include "verbs.h"
#include "remedy/report.h"
#include "remedy/snapshot.h"

int verb_snapshot(int argc, char **argv) {
        _cleanup_(systemd_bus_freep) SystemdBus *bus = NULL;
        _cleanup_(root_freep) Root *root = NULL;
        json_object *doc = NULL;
        int r;

        (void) argv;
        if (argc > 1)
                return report_error(EXIT_BAD_INPUT, "snapshot takes no arguments");
        if ((r = cli_open_node(&root, &bus)) != 0)
                return r;
        if ((r = snapshot_node(root, arg_root != NULL, bus, &doc)) < 0)
                return report_error(EXIT_FAILED, "snapshot: %s", strerror(-r));
        if (report_options.json) {
                report_print_json(doc, stdout);   /* masks again, and frees doc */
                return 0;
        }
        r = snapshot_write_yaml(doc, stdout);
        json_object_put(doc);
        if (r < 0)
                return report_error(EXIT_FAILED, "snapshot: cannot write the document: %s", strerror(-r));
        return 0;
}
