/* SPDX-License-Identifier: MIT */
/*
 * unit: {name, enabled: bool, masked: bool, state: started|stopped|restarted|reloaded}
 *
 * Offline (--root) enable/disable/mask/unmask are the symlinks `systemctl --root` would create or
 * remove (unit-file.c computes them), planned as file operations so that they are diffed, backed
 * up and rolled back like any other file; `state` cannot be reached without a running systemd and
 * is reported as skipped. They run in systemctl's order: unmask, enable or disable, mask.
 *
 * Live, the same step will go through the systemd bus (EnableUnitFiles, StartUnit, ...): plan
 * records in the Change's data what undo needs to put back (the unit file state and active state
 * before), so apply/undo can be added without changing the arguments or the plan.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/context.h"
#include "remedy/strv.h"
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

/* What plan saw, for the live apply and undo (next issue) and for reports. */
typedef struct UnitChangeData {
        char *name;                     /* full unit name ("kubelet.service") */
        bool file_state_known;          /* false when the unit file does not exist */
        UnitFileState file_state_before;
        char *active_state_before;      /* ActiveState from the bus; NULL offline */
        UnitWantedState state;          /* the job apply must run; NONE when none */
        bool offline;
} UnitChangeData;

static void unit_change_data_free(void *p) {
        UnitChangeData *d = p;
        if (!d)
                return;
        free(d->name);
        free(d->active_state_before);
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

static int ctx_unit_read(void *userdata, const char *path, bool follow, const NodeFile **ret) {
        return ctx_read(userdata, path, follow, ret);
}

static int ctx_unit_glob(void *userdata, const char *pattern, char ***ret_paths) {
        return ctx_glob(userdata, pattern, ret_paths);
}

/* As systemctl does, "kubelet" means "kubelet.service". */
static int unit_name_mangle(Context *c, const char *name, char **ret) {
        char *n;
        if (!strchr(name, '.') && !strchr(name, '/') && *name) {
                if (asprintf(&n, "%s.service", name) < 0)
                        return -ENOMEM;
        } else if (!(n = strdup(name)))
                return -ENOMEM;
        if (!unit_name_is_valid(n)) {
                int r = ctx_error(c, -EINVAL, "\"%s\" is not a valid unit name", name);
                free(n);
                return r;
        }
        *ret = n;
        return 0;
}

/* Turns the planned links into file operations and a note ("enable: A → B, C → D"). */
static int apply_links(Context *c, Change *change, const char *verb, const UnitLinks *links, FILE *note) {
        bool first = true;
        for (size_t i = 0; i < links->n_items; i++) {
                const UnitLink *l = &links->items[i];
                int r = l->target ? ctx_want_symlink(c, change, l->path, l->target) : ctx_want_absent(c, change, l->path);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                if (first)
                        fprintf(note, "%s%s: ", ftell(note) > 0 ? "; " : "", verb);
                else
                        fputs(", ", note);
                if (l->target)
                        fprintf(note, "%s → %s", l->path, l->target);
                else
                        fprintf(note, "removes %s", l->path);
                first = false;
        }
        return 0;
}

typedef int (*UnitPlanFn)(const UnitFS *fs, const char *name, UnitLinks *ret, char **ret_error);

static int plan_links(Context *c, Change *change, const char *verb, UnitPlanFn fn, const char *name, FILE *note) {
        _cleanup_(unit_links_done) UnitLinks links = {};
        _cleanup_free_ char *error = NULL;
        const UnitFS fs = { ctx_unit_read, ctx_unit_glob, c };

        int r = fn(&fs, name, &links, &error);
        if (r < 0)
                return error ? ctx_error(c, r, "%s %s: %s", verb, name, error) : r;
        return apply_links(c, change, verb, &links, note);
}

static int unit_plan(Context *c, const void *p, Change *change) {
        const UnitArgs *a = p;
        _cleanup_free_ char *rendered = NULL, *note_text = NULL, *error = NULL;
        _cleanup_fclose_ FILE *note = NULL;
        size_t note_size = 0;
        UnitChangeData *data;
        int r;

        if (!c->offline)
                return ctx_error(c, -EOPNOTSUPP, "unit steps need the live systemd bus (next issue)");

        if ((r = ctx_render(c, a->name, &rendered)) < 0)
                return r;
        data = calloc(1, sizeof(UnitChangeData));
        if (!data)
                return -ENOMEM;
        change->data = data;
        change->free_data = unit_change_data_free;
        data->offline = c->offline;
        data->state = a->state;
        if ((r = unit_name_mangle(c, rendered, &data->name)) < 0)
                return r;

        const UnitFS fs = { ctx_unit_read, ctx_unit_glob, c };
        r = unit_file_get_state(&fs, data->name, &data->file_state_before, &error);
        if (r < 0 && r != -ENOENT)
                return error ? ctx_error(c, r, "%s: %s", data->name, error) : r;
        data->file_state_known = r >= 0;

        note = open_memstream(&note_text, &note_size);
        if (!note)
                return -ENOMEM;
        if (a->masked == 0 && (r = plan_links(c, change, "unmask", unit_plan_unmask, data->name, note)) < 0)
                return r;
        if (a->enabled == 1 && (r = plan_links(c, change, "enable", unit_plan_enable, data->name, note)) < 0)
                return r;
        if (a->enabled == 0 && (r = plan_links(c, change, "disable", unit_plan_disable, data->name, note)) < 0)
                return r;
        if (a->masked == 1 && (r = plan_links(c, change, "mask", unit_plan_mask, data->name, note)) < 0)
                return r;

        if (a->state != UNIT_WANTED_NONE) {
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
        return change->n_ops > 0;
}

const ActionType action_unit = {
        .key = "unit",
        .summary = "a systemd unit enabled, disabled, masked or unmasked (and started, stopped, ... live)",
        .parse = unit_parse,
        .plan = unit_plan,
        .free_args = unit_free,
};
