/* SPDX-License-Identifier: MIT */
/*
 * `when:` conditions on a unit's state and on a parameter's value:
 *
 *   unit: {name, active: BOOL}    live: systemd's ActiveState is (not) "active";
 *                                 offline: the unit is (not) enabled, i.e. it would run at boot;
 *   unit: {name, enabled: BOOL}   the unit file state is (not) enabled, live from systemd, offline
 *                                 from the unit files as `systemctl --root is-enabled` reads them;
 *   unit: {name, installed: BOOL} the unit has a unit file (masked counts: the file is still
 *                                 there), live from systemd's UnitFileState, offline from the files;
 *   unit: {name, masked: BOOL}    the unit is masked (for good or until reboot): an operator's
 *                                 choice that a playbook may want to leave alone;
 *   unit: {name, stopped: BOOL}   live: inactive with Result "success", i.e. stopped on purpose
 *                                 (systemctl stop, or never started) rather than failed or waiting
 *                                 to be restarted; offline there is no run to judge: never true;
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
#include "remedy/strv.h"
#include "remedy/systemd-bus.h"
#include "remedy/unit-file.h"

typedef enum UnitConditionKind {
        UNIT_CONDITION_ACTIVE,
        UNIT_CONDITION_ENABLED,
        UNIT_CONDITION_INSTALLED,
        UNIT_CONDITION_MASKED,
        UNIT_CONDITION_STOPPED,
        _UNIT_CONDITION_MAX,
} UnitConditionKind;

static const char * const unit_condition_keys[_UNIT_CONDITION_MAX] = {
        [UNIT_CONDITION_ACTIVE] = "active",
        [UNIT_CONDITION_ENABLED] = "enabled",
        [UNIT_CONDITION_INSTALLED] = "installed",
        [UNIT_CONDITION_MASKED] = "masked",
        [UNIT_CONDITION_STOPPED] = "stopped",
};

typedef struct UnitCondition {
        Template *name;
        UnitConditionKind kind;
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
        static const char * const keys[] = { "name", "active", "enabled", "installed", "masked", "stopped", NULL };
        _cleanup_(unit_condition_freep) UnitCondition *u = calloc(1, sizeof(UnitCondition));
        unsigned n_given = 0;
        int r;

        if (!u)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "the unit condition", keys)) < 0 ||
            (r = parse_template(pc, args, "name", true, 0, "a unit name", &u->name)) < 0)
                return r;
        for (UnitConditionKind k = 0; k < _UNIT_CONDITION_MAX; k++) {
                bool b = false;
                if ((r = parse_bool(pc, args, unit_condition_keys[k], false, &b)) < 0)
                        return r;
                if (r > 0) {
                        u->kind = k;
                        u->want = b;
                        n_given++;
                }
        }
        if (n_given != 1)
                return parse_error(pc, args, "the unit condition takes one of active:, enabled:, installed:, masked: or stopped:");
        *ret = TAKE_PTR(u);
        return 0;
}

/* Enabled (or, for installed:, present at all) in the planned state of the unit files (offline,
 * or a unit an earlier step writes). */
static int unit_in_files(Context *c, const char *name, UnitConditionKind kind, char **ret_error) {
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
        if (kind == UNIT_CONDITION_INSTALLED)
                return 1;
        if (kind == UNIT_CONDITION_MASKED)
                return state == UNIT_FILE_MASKED || state == UNIT_FILE_MASKED_RUNTIME;
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
                is = u->kind == UNIT_CONDITION_STOPPED ? 0 : unit_in_files(c, name, u->kind, ret_error);
        else {
                r = systemd_bus_get_unit_state(c->bus, name, &st, &error);
                if (r < 0)
                        return ctx_error(c, r, "%s: %s", name, error ? error : strerror(-r));
                switch (u->kind) {
                case UNIT_CONDITION_ACTIVE:
                        is = streq(st.active_state, "active");
                        break;
                case UNIT_CONDITION_ENABLED:
                        is = streq(st.unit_file_state, "enabled") || streq(st.unit_file_state, "enabled-runtime");
                        break;
                case UNIT_CONDITION_INSTALLED:
                        is = !streq(st.load_state, "not-found") || *st.unit_file_state;
                        break;
                case UNIT_CONDITION_MASKED:
                        is = streq(st.unit_file_state, "masked") || streq(st.unit_file_state, "masked-runtime");
                        break;
                default:
                        /* a crash-looping unit waits in "activating (auto-restart)", a failed one
                         * is "failed" or has a Result other than success */
                        is = streq(st.active_state, "inactive") && streq(st.result, "success");
                        break;
                }
        }
        if (is < 0)
                return is;
        if (is != u->want)
                return 0;
        /* The two forms that state a problem say what they saw, for diagnose to quote. */
        if ((u->kind == UNIT_CONDITION_ENABLED && !u->want) || (u->kind == UNIT_CONDITION_STOPPED && u->want)) {
                _cleanup_free_ char *evidence = NULL;
                if (u->kind == UNIT_CONDITION_STOPPED)
                        r = asprintf(&evidence, "%s is %s (%s) with result %s: stopped, not failed; unit file %s", name,
                                     st.active_state, st.sub_state, st.result, st.unit_file_state);
                else if (c->offline || !c->bus)
                        r = asprintf(&evidence, "%s is not enabled in the node's unit files", name);
                else
                        r = asprintf(&evidence, "%s is %s (unit file state), %s (%s)", name,
                                     *st.unit_file_state ? st.unit_file_state : "not installed", st.active_state, st.sub_state);
                if (r < 0)
                        return -ENOMEM;
                if (strv_extend(&c->evidence, evidence) < 0)
                        return -ENOMEM;
        }
        return 1;
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
