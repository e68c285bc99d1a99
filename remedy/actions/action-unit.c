/* SPDX-License-Identifier: MIT */
/*
 * unit: {name, enabled: bool, masked: bool, state: started|stopped|restarted|reloaded}
 *
 * Offline (--root) enable/disable/mask/unmask are the symlinks `systemctl --root` would create or
 * remove (unit-file.c computes them), planned as file operations so that they are diffed, backed
 * up and rolled back like any other file; `state` cannot be reached without a running systemd and
 * is reported as skipped. They run in systemctl's order: unmask, enable or disable, mask.
 *
 * Live, the same links are planned the same way (they are what the diff shows and what the
 * transaction archives), but apply asks systemd over the bus to make them (EnableUnitFiles, ...),
 * then runs the job (StartUnit, ...) and waits for it. plan reads the unit's state from systemd
 * (read-only calls) to say ok or change, and records it in the Change's UnitTouch: a rollback,
 * after restoring the files, puts the unit file state and the active state back
 * (unit-restore.c), so there is no per-step undo.
 *
 * A daemon-reload is due after unit files or drop-ins change (an earlier step, or this step's own
 * enable/disable/mask) and when systemd says the unit's files changed on disk (NeedDaemonReload);
 * it happens once, right before the job that needs it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/context.h"
#include "remedy/engine.h"
#include "remedy/strv.h"
#include "remedy/systemd-bus.h"
#include "remedy/unit-file.h"

typedef enum UnitWantedState {
        UNIT_WANTED_NONE,
        UNIT_WANTED_STARTED,
        UNIT_WANTED_STOPPED,
        UNIT_WANTED_RESTARTED,
        UNIT_WANTED_RELOADED,
        _UNIT_WANTED_MAX,
} UnitWantedState;

static const char * const wanted_state_names[_UNIT_WANTED_MAX] = {
        [UNIT_WANTED_STARTED] = "started",
        [UNIT_WANTED_STOPPED] = "stopped",
        [UNIT_WANTED_RESTARTED] = "restarted",
        [UNIT_WANTED_RELOADED] = "reloaded",
};

typedef struct UnitArgs {
        Template *name;
        int enabled;              /* -1: leave as is */
        int masked;               /* -1: leave as is */
        UnitWantedState state;
} UnitArgs;

static const UnitJobType wanted_state_jobs[_UNIT_WANTED_MAX] = {
        [UNIT_WANTED_STARTED] = UNIT_JOB_START,
        [UNIT_WANTED_STOPPED] = UNIT_JOB_STOP,
        [UNIT_WANTED_RESTARTED] = UNIT_JOB_RESTART,
        [UNIT_WANTED_RELOADED] = UNIT_JOB_RELOAD,
};

/* What plan decided, for apply and for reports. */
typedef struct UnitChangeData {
        char *name;                     /* full unit name ("kubelet.service") */
        bool file_state_known;          /* false when no unit file exists (in the planned state) */
        bool offline;
        /* Live: */
        bool file_ops[_UNIT_FILE_OP_MAX];   /* the bus calls to make, in enum order */
        bool run_job;
        UnitJobType job;
        bool reload_first;              /* systemd has stale unit files for this unit */
} UnitChangeData;

static void unit_change_data_free(void *p) {
        UnitChangeData *d = p;
        if (!d)
                return;
        free(d->name);
        free(d);
}

static void unit_free(void *p) {
        UnitArgs *a = p;
        if (!a)
                return;
        template_free(a->name);
        free(a);
}

static int parse_optional_bool(ParseContext *pc, const YamlNode *args, const char *key, int *ret) {
        bool b;
        int r = parse_bool(pc, args, key, false, &b);
        if (r > 0)
                *ret = b;
        return r;
}

static int unit_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "name", "enabled", "masked", "state", NULL };
        _cleanup_free_ char *state = NULL;
        UnitArgs *a = calloc(1, sizeof(UnitArgs));
        int r;

        if (!a)
                return -ENOMEM;
        a->enabled = a->masked = -1;
        if ((r = parse_check_keys(pc, args, "unit", keys)) < 0 ||
            (r = parse_template(pc, args, "name", true, 0, "a unit name", &a->name)) < 0 ||
            (r = parse_optional_bool(pc, args, "enabled", &a->enabled)) < 0 ||
            (r = parse_optional_bool(pc, args, "masked", &a->masked)) < 0 ||
            (r = parse_string(pc, args, "state", false, &state)) < 0)
                goto fail;

        if (state) {
                for (UnitWantedState s = UNIT_WANTED_STARTED; s < _UNIT_WANTED_MAX; s++)
                        if (streq(state, wanted_state_names[s]))
                                a->state = s;
                if (a->state == UNIT_WANTED_NONE) {
                        r = parse_error(pc, yaml_node_get(args, "state"),
                                        "state must be one of started, stopped, restarted, reloaded");
                        goto fail;
                }
        }
        if (a->enabled == 1 && a->masked == 1) {
                r = parse_error(pc, args, "enabled: true and masked: true contradict each other");
                goto fail;
        }
        if (a->enabled < 0 && a->masked < 0 && a->state == UNIT_WANTED_NONE) {
                r = parse_error(pc, args, "unit: nothing to do: set enabled, masked or state");
                goto fail;
        }
        /* A name without parameters can be checked now rather than on the node. */
        if (a->name->n_parts == 1 && a->name->parts[0].literal) {
                const char *n = a->name->parts[0].literal;
                if (!unit_name_is_valid(n) && (strchr(n, '.') || strchr(n, '/') || !*n)) {
                        r = parse_error(pc, yaml_node_get(args, "name"), "\"%s\" is not a valid unit name", n);
                        goto fail;
                }
        }
        *ret = a;
        return 0;
fail:
        unit_free(a);
        return r;
}

typedef int (*UnitPlanFn)(const NodeFS *fs, const char *name, UnitLinks *ret, char **ret_error);

static int plan_links(Context *c, Change *change, const char *verb, UnitPlanFn fn, const char *name, FILE *note) {
        _cleanup_(unit_links_done) UnitLinks links = {};
        _cleanup_free_ char *error = NULL;
        const NodeFS fs = ctx_node_fs(c);

        int r = fn(&fs, name, &links, &error);
        if (r < 0)
                return error ? ctx_error(c, r, "%s %s: %s", verb, name, error) : r;
        return ctx_want_unit_links(c, change, &links, verb, note);
}

/* Whether the wanted state needs a job, given the unit's ActiveState now. */
static bool job_needed(UnitWantedState wanted, const char *active_state) {
        switch (wanted) {
        case UNIT_WANTED_STARTED:
                return !streq(active_state, "active") && !streq(active_state, "reloading");
        case UNIT_WANTED_STOPPED:
                return !streq(active_state, "inactive") && !streq(active_state, "failed");
        case UNIT_WANTED_RESTARTED:
        case UNIT_WANTED_RELOADED:
                return true;
        default:
                return false;
        }
}

/* Live: what systemd says of the unit decides the job, and is what a rollback restores. */
static int plan_live(Context *c, const UnitArgs *a, UnitChangeData *data, Change *change, bool links_changed,
                     FILE *note) {
        _cleanup_(unit_state_done) UnitState st = {};
        _cleanup_free_ char *error = NULL;
        int r;

        if (!c->bus)
                return ctx_error(c, -ENOTCONN, "%s: no connection to systemd", data->name);
        r = systemd_bus_get_unit_state(c->bus, data->name, &st, &error);
        if (r < 0)
                return ctx_error(c, r, "%s: %s", data->name, error ? error : strerror(-r));

        /* A unit file an earlier step writes is not loaded yet: it counts as stopped. */
        bool not_loaded = streq(st.load_state, "not-found");
        if (not_loaded && !data->file_state_known)
                return ctx_error(c, -ENOENT, "%s: no such unit (systemd: not-found)", data->name);

        const char *active = not_loaded ? "inactive" : st.active_state;
        if (a->state != UNIT_WANTED_NONE && job_needed(a->state, active)) {
                data->run_job = true;
                data->job = wanted_state_jobs[a->state];
        }
        if (links_changed)
                c->units_dirty = true;   /* systemctl reloads after enable/disable/mask too */
        data->reload_first = data->run_job && (c->units_dirty || st.need_daemon_reload);

        if (data->run_job) {
                fprintf(note, "%s%s%s (now %s%s%s)", ftell(note) > 0 ? "; " : "",
                        data->reload_first ? "daemon-reload, then " : "", unit_job_type_name(data->job), active,
                        st.sub_state && *st.sub_state && !not_loaded ? "/" : "",
                        not_loaded ? "" : strempty(st.sub_state));
                c->units_dirty = false;
        } else if (a->state != UNIT_WANTED_NONE)
                fprintf(note, "%salready %s (%s/%s)", ftell(note) > 0 ? "; " : "", wanted_state_names[a->state],
                        active, strempty(st.sub_state));

        if (!data->run_job && !links_changed)
                return 0;
        change->status = CHANGE_PENDING;
        return change_add_unit(change, data->name, st.unit_file_state, st.active_state);
}

static int unit_plan(Context *c, const void *p, Change *change) {
        const UnitArgs *a = p;
        _cleanup_free_ char *note_text = NULL, *error = NULL;
        _cleanup_fclose_ FILE *note = NULL;
        size_t note_size = 0;
        UnitChangeData *data;
        int r;


        data = calloc(1, sizeof(UnitChangeData));
        if (!data)
                return -ENOMEM;
        change->data = data;
        change->free_data = unit_change_data_free;
        data->offline = c->offline;
        if ((r = ctx_render_unit_name(c, a->name, &data->name)) < 0)
                return r;

        const NodeFS fs = ctx_node_fs(c);
        UnitFileState file_state;
        r = unit_file_get_state(&fs, data->name, &file_state, &error);
        if (r < 0 && r != -ENOENT)
                return error ? ctx_error(c, r, "%s: %s", data->name, error) : r;
        data->file_state_known = r >= 0;

        note = open_memstream(&note_text, &note_size);
        if (!note)
                return -ENOMEM;
        /* systemctl's order: unmask, enable or disable, mask. */
        static const struct {
                UnitFileOp op;
                UnitPlanFn fn;
        } link_plans[] = {
                { UNIT_FILE_OP_UNMASK, unit_plan_unmask },
                { UNIT_FILE_OP_ENABLE, unit_plan_enable },
                { UNIT_FILE_OP_DISABLE, unit_plan_disable },
                { UNIT_FILE_OP_MASK, unit_plan_mask },
        };
        for (size_t i = 0; i < ELEMENTSOF(link_plans); i++) {
                UnitFileOp op = link_plans[i].op;
                bool wanted = (op == UNIT_FILE_OP_UNMASK && a->masked == 0) || (op == UNIT_FILE_OP_ENABLE && a->enabled == 1) ||
                              (op == UNIT_FILE_OP_DISABLE && a->enabled == 0) || (op == UNIT_FILE_OP_MASK && a->masked == 1);
                if (!wanted)
                        continue;
                r = plan_links(c, change, unit_file_op_name(op), link_plans[i].fn, data->name, note);
                if (r < 0)
                        return r;
                data->file_ops[op] = r > 0;
        }
        bool links_changed = change->n_ops > 0;

        if (!c->offline) {
                if ((r = plan_live(c, a, data, change, links_changed, note)) < 0)
                        return r;
        } else if (a->state != UNIT_WANTED_NONE) {
                fprintf(note, "%soffline (--root): not %s", ftell(note) > 0 ? "; " : "", wanted_state_names[a->state]);
                if (change->n_ops == 0)
                        change->status = CHANGE_SKIPPED;
        }
        if (fclose(note) != 0) {
                note = NULL;
                return -ENOMEM;
        }
        note = NULL;
        if (note_size > 0 && (r = change_set_note(change, "%s", note_text)) < 0)
                return r;
        return change->status == CHANGE_PENDING || change->n_ops > 0;
}

static int unit_apply(Context *c, const void *p, Change *change) {
        static const UnitFileOp order[] = { UNIT_FILE_OP_UNMASK, UNIT_FILE_OP_ENABLE, UNIT_FILE_OP_DISABLE, UNIT_FILE_OP_MASK };
        const UnitChangeData *data = change->data;
        _cleanup_free_ char *error = NULL;
        int r;

        /* Offline the links are the whole change. */
        if (data->offline) {
                r = change_apply_files(c->root, change, &error);
                return r < 0 ? ctx_error(c, r, "%s", error ? error : strerror(-r)) : 0;
        }

        for (size_t i = 0; i < ELEMENTSOF(order); i++) {
                if (!data->file_ops[order[i]])
                        continue;
                r = systemd_bus_unit_file_op(c->bus, order[i], data->name, NULL, &error);
                if (r < 0)
                        return ctx_error(c, r, "%s", error ? error : strerror(-r));
                c->units_dirty = true;
        }
        if (!data->run_job)
                return 0;
        if ((c->units_dirty || data->reload_first) && (r = ctx_daemon_reload(c)) < 0)
                return r;
        r = systemd_bus_run_job(c->bus, data->job, data->name, c->job_timeout_usec, NULL, &error);
        if (r < 0)
                return ctx_error(c, r, "%s", error ? error : strerror(-r));
        return 0;
}

const ActionType action_unit = {
        .key = "unit",
        .summary = "a systemd unit enabled, disabled, masked or unmasked (and started, stopped, ... live)",
        .parse = unit_parse,
        .plan = unit_plan,
        .apply = unit_apply,
        .free_args = unit_free,
};
