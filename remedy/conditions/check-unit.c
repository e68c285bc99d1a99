/* SPDX-License-Identifier: MIT */
/*
 * verify: - unit: {name, active: true, stable: DURATION}
 *
 * The unit is active now and, over the stable window, stays active with the same invocation and
 * NRestarts unchanged. The window matters for kubelet: with Restart=always a kubelet that exits
 * at once on a bad flag is restarted every RestartSec and spends most of its time "activating
 * (auto-restart)" or even "active" for a moment; only watching it for a while tells a running
 * kubelet from a crash loop. `active: false` wants it stopped (inactive or failed).
 *
 * Read-only bus calls. Offline (--root) there is nothing to ask: the check is not run.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "remedy/action.h"
#include "remedy/context.h"
#include "remedy/pattern.h"
#include "remedy/systemd-bus.h"
#include "remedy/unit-file.h"

/* How often the window is sampled: often enough to see a restart with RestartSec=100ms between
 * samples' NRestarts, cheap enough for the bus. */
#define STABLE_POLL_USEC (200 * USEC_PER_MSEC)

typedef struct UnitCheck {
        Template *name;
        bool active;
        uint64_t stable_usec;
        char *stable_text;        /* as written, for evidence */
} UnitCheck;

static void unit_check_free(void *args) {
        UnitCheck *u = args;
        if (!u)
                return;
        template_free(u->name);
        free(u->stable_text);
        free(u);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(UnitCheck *, unit_check_free);

static int unit_check_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "name", "active", "stable", NULL };
        _cleanup_(unit_check_freep) UnitCheck *u = NULL;
        int r;

        if ((r = parse_check_keys(pc, args, "the unit check", keys)) < 0)
                return r;
        u = calloc(1, sizeof(UnitCheck));
        if (!u)
                return -ENOMEM;
        u->active = true;
        if ((r = parse_template(pc, args, "name", true, 0, "a unit name", &u->name)) < 0 ||
            (r = parse_bool(pc, args, "active", false, &u->active)) < 0 ||
            (r = parse_string(pc, args, "stable", false, &u->stable_text)) < 0)
                return r;
        if (u->stable_text) {
                if (!u->active)
                        return parse_error(pc, yaml_node_get(args, "stable"), "stable: applies to active: true only");
                if (duration_parse(u->stable_text, &u->stable_usec) < 0 || u->stable_usec == UINT64_MAX)
                        return parse_error(pc, yaml_node_get(args, "stable"),
                                           "stable: \"%s\" is not a time span such as 10s or 1min", u->stable_text);
        }
        *ret = TAKE_PTR(u);
        return 0;
}

static bool is_stopped(const char *active_state) {
        return streq(active_state, "inactive") || streq(active_state, "failed");
}

static void sleep_usec(uint64_t usec) {
        struct timespec ts = { (time_t) (usec / USEC_PER_SEC), (long) (usec % USEC_PER_SEC) * 1000 };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* Watches the unit for the window: 1 when it stayed up, 0 (with evidence) when it did not. */
static int watch_stable(Context *c, const UnitCheck *u, const char *name, const UnitState *first, char **ret_evidence) {
        uint64_t start = now_monotonic_usec(), elapsed = 0;
        int r;

        while (elapsed < u->stable_usec) {
                _cleanup_(unit_state_done) UnitState now = {};
                _cleanup_free_ char *error = NULL;

                sleep_usec(MIN(STABLE_POLL_USEC, u->stable_usec - elapsed));
                elapsed = now_monotonic_usec() - start;
                if ((r = systemd_bus_get_unit_state(c->bus, name, &now, &error)) < 0)
                        return ctx_error(c, r, "%s: %s", name, error ? error : strerror(-r));

                bool restarted = now.n_restarts != first->n_restarts || !streq(now.invocation_id, first->invocation_id);
                if (!streq(now.active_state, "active") || restarted) {
                        r = evidence_printf(ret_evidence, "%s did not stay up: after %.1fs it was %s (%s), NRestarts %u → %u%s", name,
                                     (double) elapsed / USEC_PER_SEC, now.active_state, now.sub_state, first->n_restarts,
                                     now.n_restarts, restarted ? " (it was restarted)" : "");
                        return r < 0 ? r : 0;
                }
        }
        return 1;
}

static int unit_check_run(Context *c, const void *args, char **ret_evidence) {
        const UnitCheck *u = args;
        _cleanup_(unit_state_done) UnitState st = {};
        _cleanup_free_ char *name = NULL, *error = NULL;
        int r;

        *ret_evidence = NULL;
        if ((r = ctx_render_unit_name(c, u->name, &name)) < 0)
                return r;
        if (c->offline || !c->bus) {
                r = evidence_printf(ret_evidence, "%s: not checked offline (--root): it takes the node's running systemd", name);
                return r < 0 ? r : -EOPNOTSUPP;
        }
        if ((r = systemd_bus_get_unit_state(c->bus, name, &st, &error)) < 0)
                return ctx_error(c, r, "%s: %s", name, error ? error : strerror(-r));

        if (!u->active) {
                r = evidence_printf(ret_evidence, "%s is %s (%s)", name, st.active_state, st.sub_state);
                return r < 0 ? r : is_stopped(st.active_state);
        }
        if (!streq(st.active_state, "active")) {
                r = evidence_printf(ret_evidence, "%s is %s (%s), not active; NRestarts %u", name, st.active_state, st.sub_state,
                             st.n_restarts);
                return r < 0 ? r : 0;
        }
        if (u->stable_usec > 0 && (r = watch_stable(c, u, name, &st, ret_evidence)) <= 0)
                return r;

        if (u->stable_usec > 0)
                r = evidence_printf(ret_evidence, "%s active (%s) and stable for %s: NRestarts %u unchanged, main PID %u", name,
                             st.sub_state, u->stable_text, st.n_restarts, st.main_pid);
        else
                r = evidence_printf(ret_evidence, "%s active (%s), main PID %u", name, st.sub_state, st.main_pid);
        return r < 0 ? r : 1;
}

const CheckType check_unit = {
        .key = "unit",
        .parse = unit_check_parse,
        .run = unit_check_run,
        .free_args = unit_check_free,
};
