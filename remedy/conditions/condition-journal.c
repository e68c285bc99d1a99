/* SPDX-License-Identifier: MIT */
/*
 * when: / match: {journal: {unit, contains: REGEX}}
 *
 * True when the unit's current run logged a line matching REGEX: what `remedy diagnose` reads a
 * failure from ("failed to parse kubelet flag: unknown flag"). Live, the run judged is:
 *   - the unit's current run (its InvocationID) once it has been active for SETTLED_USEC: after a
 *     fix has restarted the unit, its old error lines no longer count;
 *   - the current run too when it has ended (failed, or waiting to be restarted): it said why;
 *   - otherwise, while the current run is starting or young, the newest earlier run that logged
 *     anything of its own: a kubelet crash-looping under Restart= is briefly "active" between
 *     each start and exit, and that run has not said why yet (seen in the lab, where a diagnose
 *     run twice in a row gave two answers when the newest run alone was asked). Offline (--root) the node's journal
 * (ROOT/var/log/journal) is read as an OS tree, its newest lines only: there is no current run
 * to ask for, and the last lines are what the node said before it went down.
 *
 * The matching line, with its time, goes to the Context's evidence for diagnose to quote.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "remedy/action.h"
#include "remedy/context.h"
#include "remedy/journal.h"
#include "remedy/kubeconfig.h"
#include "remedy/pattern.h"
#include "remedy/strv.h"
#include "remedy/systemd-bus.h"
#include "remedy/unit-file.h"

/* How long a run must have been active to be judged by itself. A kubelet that fails at start-up
 * does so within a second or two. */
#define SETTLED_USEC (5 * USEC_PER_SEC)

/* Bounds the reading: a crash-looping kubelet logs a lot; the newest lines are the ones that tell. */
#define CONDITION_JOURNAL_MAX_ENTRIES 5000

typedef struct JournalCondition {
        Template *unit;
        Pattern contains;
} JournalCondition;

static void journal_condition_free(void *p) {
        JournalCondition *j = p;
        if (!j)
                return;
        template_free(j->unit);
        pattern_done(&j->contains);
        free(j);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(JournalCondition *, journal_condition_free);

static int journal_condition_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "unit", "contains", NULL };
        _cleanup_(journal_condition_freep) JournalCondition *j = calloc(1, sizeof(JournalCondition));
        int r;

        if (!j)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "the journal condition", keys)) < 0 ||
            (r = parse_template(pc, args, "unit", true, 0, "a unit name", &j->unit)) < 0 ||
            (r = pattern_parse(pc, args, "contains", &j->contains)) < 0)
                return r;
        if (r == 0)
                return parse_error(pc, args, "the journal condition needs contains: (a regular expression)");
        *ret = TAKE_PTR(j);
        return 0;
}

/* The invocation ID of the run to judge (see above): 1 with *ret set, 0 when there is none. */
int journal_judged_run(Context *c, const char *unit, char **ret, char **ret_error) {
        _cleanup_(unit_state_done) UnitState st = {};
        int r;

        *ret = NULL;
        if (c->bus) {
                if ((r = systemd_bus_get_unit_state(c->bus, unit, &st, ret_error)) < 0)
                        return r;
                /* "activating (auto-restart)" is a run that has ended, waiting for RestartSec. */
                bool running = (streq(st.active_state, "active") || streq(st.active_state, "activating") ||
                                streq(st.active_state, "reloading")) && !streq(st.sub_state, "auto-restart");
                bool settled = streq(st.active_state, "active") && st.active_enter_usec > 0 &&
                               now_realtime_usec() - st.active_enter_usec >= SETTLED_USEC;
                if (st.invocation_id && *st.invocation_id && (settled || !running)) {
                        *ret = TAKE_PTR(st.invocation_id);
                        return 1;
                }
                /* Starting or young: the newest earlier run that logged, else this one. */
                r = journal_last_invocation(NULL, unit, st.invocation_id, CONDITION_JOURNAL_MAX_ENTRIES, ret, ret_error);
                if (r != 0)
                        return r;
                if (st.invocation_id && *st.invocation_id) {
                        *ret = TAKE_PTR(st.invocation_id);
                        return 1;
                }
                return 0;
        }
        return journal_last_invocation(NULL, unit, NULL, CONDITION_JOURNAL_MAX_ENTRIES, ret, ret_error);
}

static int journal_condition_eval(Context *c, const void *args, char **ret_error) {
        const JournalCondition *j = args;
        _cleanup_free_ char *unit = NULL, *error = NULL, *line = NULL, *evidence = NULL;
        _cleanup_(journal_hit_done) JournalHit hit = {};
        int r;

        if ((r = ctx_render_unit_name(c, j->unit, &unit)) < 0)
                return r;

        JournalSearch q = {
                .unit = unit,
                .match = &j->contains.regex,
                .max_entries = CONDITION_JOURNAL_MAX_ENTRIES,
        };
        _cleanup_free_ char *invocation = NULL;
        if (!c->offline) {
                if ((r = journal_judged_run(c, unit, &invocation, &error)) < 0)
                        return ctx_error(c, r, "%s: %s", unit, error ? error : strerror(-r));
                /* A unit that never logged anything has nothing to show. */
                if (r == 0)
                        return 0;
                q.invocation_id = invocation;
        }

        r = journal_search(c->offline ? c->root->path : NULL, &q, &hit, NULL, &error);
        if (r == -ENOENT && c->offline)
                return 0;   /* a node disk without a persistent journal: nothing was logged there */
        if (r < 0)
                return ctx_error(c, r, "journal of %s: %s", unit, error ? error : strerror(-r));
        if (r == 0)
                return 0;

        _cleanup_free_ char *at = NULL;
        if ((r = format_utc((time_t) (hit.realtime_usec / USEC_PER_SEC), &at)) < 0)
                return r;
        /* A long line (containerd's logfmt) is quoted from a little before the match, so that what
         * matched is in the quote. */
        const char *text = hit.message ? hit.message : "";
        regmatch_t m;
        bool cut = false;
        if (regexec(&j->contains.regex, text, 1, &m, 0) == 0 && m.rm_so > EVIDENCE_LINE_MAX / 2) {
                text += m.rm_so - EVIDENCE_LINE_MAX / 4;
                cut = true;
        }
        _cleanup_free_ char *quoted = NULL;
        if ((r = evidence_quote(text, &quoted)) < 0 || (r = evidence_printf(&line, "%s%s", cut ? "..." : "", quoted)) < 0)
                return r;
        if ((r = evidence_printf(&evidence, "%s logged at %s: %s", unit, at, line)) < 0 ||
            (r = strv_extend(&c->evidence, evidence)) < 0)
                return r;
        return 1;
}

const ConditionType condition_journal = {
        .key = "journal",
        .parse = journal_condition_parse,
        .eval = journal_condition_eval,
        .free_args = journal_condition_free,
};
