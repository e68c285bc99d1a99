/* SPDX-License-Identifier: MIT */
/*
 * daemon-reload: {}
 *
 * Makes systemd read its unit files again (Manager.Reload), as `systemctl daemon-reload`. remedy
 * reloads by itself before a unit job that needs it and at the end of an apply that changed unit
 * files or drop-ins; this step is for playbooks that want the reload at a point of their own
 * choosing. Offline there is no systemd to reload: the step is skipped (the node's systemd reads
 * the files when it boots).
 */
#include <errno.h>
#include <stdlib.h>

#include "remedy/context.h"

static int daemon_reload_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        if (!args || args->type != YAML_NODE_MAPPING || args->n_pairs > 0)
                return parse_error(pc, args, "daemon-reload takes no arguments: write daemon-reload: {}");
        *ret = NULL;
        return 0;
}

static int daemon_reload_plan(Context *c, const void *args, Change *change) {
        if (c->offline) {
                change->status = CHANGE_SKIPPED;
                return change_set_note(change, "offline (--root): the node's systemd reads the files when it boots");
        }
        change->status = CHANGE_PENDING;
        c->units_dirty = false;
        return 1;
}

static int daemon_reload_apply(Context *c, const void *args, Change *change) {
        return ctx_daemon_reload(c);
}

static void daemon_reload_free(void *args) {
}

const ActionType action_daemon_reload = {
        .key = "daemon-reload",
        .summary = "systemd reads its unit files again (live; remedy also reloads by itself when needed)",
        .parse = daemon_reload_parse,
        .plan = daemon_reload_plan,
        .apply = daemon_reload_apply,
        .free_args = daemon_reload_free,
};
