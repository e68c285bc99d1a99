/* SPDX-License-Identifier: MIT */
/*
 * `when:` conditions on a unit's state and on a parameter's value:
 *
 *   unit: {name, active: BOOL}    live: systemd's ActiveState is (not) "active";
 *                                 offline: the unit is (not) enabled, i.e. it would run at boot;
 *   unit: {name, enabled: BOOL}   the unit file state is (not) enabled, live from systemd, offline
 *                                 from the unit files as `systemctl --root is-enabled` reads them;
 *   param: {name, equals: VALUE}  the parameter's value equals VALUE, compared as its type
 *                                 compares ("0" and "0s" are the same duration);
 *   changed: BOOL                 an earlier step of this playbook changes something: a restart
 *                                 that only the changes call for (Ansible's handlers), so that
 *                                 running a playbook on a node it already fixed restarts nothing.
 *
 * They let one playbook fit the node it finds: the wait-online service of the network manager
 * that actually runs, a drop-in line left out when its parameter is 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/action.h"
#include "remedy/context.h"
#include "remedy/systemd-bus.h"
#include "remedy/unit-file.h"

typedef struct UnitCondition {
        Template *name;
        bool by_active;   /* active: rather than enabled: */
        bool want;
} UnitCondition;

static void unit_condition_free(void *p) {
        UnitCondition *u = p;
        if (!u)
                return;
        template_free(u->name);
        free(u);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(UnitCondition *, unit_condition_free);

static int unit_condition_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "name", "active", "enabled", NULL };
        _cleanup_(unit_condition_freep) UnitCondition *u = calloc(1, sizeof(UnitCondition));
        bool active = false, enabled = false;
        int r, has_active, has_enabled;

        if (!u)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "the unit condition", keys)) < 0 ||
            (r = parse_template(pc, args, "name", true, 0, "a unit name", &u->name)) < 0)
                return r;
        if ((has_active = parse_bool(pc, args, "active", false, &active)) < 0)
                return has_active;
        if ((has_enabled = parse_bool(pc, args, "enabled", false, &enabled)) < 0)
                return has_enabled;
        if (has_active == has_enabled)
                return parse_error(pc, args, "the unit condition takes one of active: or enabled:");
        u->by_active = has_active > 0;
        u->want = u->by_active ? active : enabled;
        *ret = TAKE_PTR(u);
        return 0;
}

/* Enabled in the planned state of the unit files (offline, or a unit an earlier step writes). */
static int unit_enabled_in_files(Context *c, const char *name, char **ret_error) {
        _cleanup_free_ char *error = NULL;
        const NodeFS fs = ctx_node_fs(c);
        UnitFileState state;
        int r = unit_file_get_state(&fs, name, &state, &error);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                if (ret_error && error && asprintf(ret_error, "%s: %s", name, error) < 0)
                        *ret_error = NULL;
                return r;
        }
        return state == UNIT_FILE_ENABLED || state == UNIT_FILE_ENABLED_RUNTIME;
}

static int unit_condition_eval(Context *c, const void *args, char **ret_error) {
        const UnitCondition *u = args;
        _cleanup_free_ char *name = NULL, *error = NULL;
        _cleanup_(unit_state_done) UnitState st = {};
        int r, is;

        if ((r = ctx_render_unit_name(c, u->name, &name)) < 0)
                return r;

        if (c->offline || !c->bus)
                is = unit_enabled_in_files(c, name, ret_error);
        else {
                r = systemd_bus_get_unit_state(c->bus, name, &st, &error);
                if (r < 0)
                        return ctx_error(c, r, "%s: %s", name, error ? error : strerror(-r));
                if (u->by_active)
                        is = streq(st.active_state, "active");
                else
                        is = streq(st.unit_file_state, "enabled") || streq(st.unit_file_state, "enabled-runtime");
        }
        if (is < 0)
                return is;
        return is == u->want;
}

const ConditionType condition_unit = {
        .key = "unit",
        .parse = unit_condition_parse,
        .eval = unit_condition_eval,
        .free_args = unit_condition_free,
};

typedef struct ParamCondition {
        const Param *param;
        char *equals;
} ParamCondition;

static void param_condition_free(void *p) {
        ParamCondition *pc = p;
        if (!pc)
                return;
        free(pc->equals);
        free(pc);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(ParamCondition *, param_condition_free);

static int param_condition_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "name", "equals", NULL };
        _cleanup_(param_condition_freep) ParamCondition *p = calloc(1, sizeof(ParamCondition));
        _cleanup_free_ char *name = NULL, *reason = NULL;
        int r;

        if (!p)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "the param condition", keys)) < 0 ||
            (r = parse_string(pc, args, "name", true, &name)) < 0 ||
            (r = parse_string(pc, args, "equals", true, &p->equals)) < 0)
                return r;
        for (size_t i = 0; i < pc->n_params && !p->param; i++)
                if (streq(pc->params[i].name, name))
                        p->param = &pc->params[i];
        if (!p->param)
                return parse_error(pc, yaml_node_get(args, "name"), "no parameter \"%s\" is declared", name);
        /* A value the parameter could never have makes the condition a typo, not false. */
        if ((r = param_check_value(p->param, p->equals, &reason)) < 0) {
                if (r == -ENOMEM)
                        return r;
                return parse_error(pc, yaml_node_get(args, "equals"), "\"%s\" is not a value of %s: %s", p->equals,
                                   name, reason ? reason : "invalid");
        }
        *ret = TAKE_PTR(p);
        return 0;
}

static int param_condition_eval(Context *c, const void *args, char **ret_error) {
        const ParamCondition *p = args;
        const char *value = param_values_get(c->values, p->param->name);

        if (!value)
                return 0;
        if (p->param->type == PARAM_DURATION) {
                uint64_t a, b;
                if (duration_parse(value, &a) < 0 || duration_parse(p->equals, &b) < 0)
                        return 0;
                return a == b;
        }
        return streq(value, p->equals);
}

const ConditionType condition_param = {
        .key = "param",
        .parse = param_condition_parse,
        .eval = param_condition_eval,
        .free_args = param_condition_free,
};

static int changed_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        bool *want = malloc(sizeof(bool));
        if (!want)
                return -ENOMEM;
        if (args->type != YAML_NODE_SCALAR || (!streq(args->scalar, "true") && !streq(args->scalar, "false"))) {
                free(want);
                return parse_error(pc, args, "changed: takes true or false");
        }
        *want = streq(args->scalar, "true");
        *ret = want;
        return 0;
}

static int changed_eval(Context *c, const void *args, char **ret_error) {
        const bool *want = args;
        return (c->changes > 0) == *want;
}

const ConditionType condition_changed = {
        .key = "changed",
        .parse = changed_parse,
        .eval = changed_eval,
        .free_args = free,
};
