/* SPDX-License-Identifier: MIT */
/*
 * verify: - journal: {unit, absent: REGEX}
 *         - journal: {unit, contains: REGEX}
 *
 * absent: no line the unit logged since the transaction began, in its current run, matches REGEX:
 * "containerd no longer says `no network config found`". contains: some such line does: "the
 * restarted containerd loaded its CRI plugin", a line only a run since the change can have
 * logged, so that an old run's line does not pass the check. The transaction's journal cursor bounds
 * the search (and its start time, when the journal could not give a cursor), so the error lines
 * that made the operator run remedy do not count against the fix. Lines are selected as
 * `journalctl -u UNIT` selects them, and only those of the unit's current invocation: the old
 * process may still log between the first file change and its restart (containerd's CNI watcher
 * reacts to the new file as it is written; a crash-looping kubelet is restarted by systemd in the
 * meantime), and those lines say nothing about the fixed configuration.
 *
 * A check like this proves something only after the unit has had time to log: put it after a
 * `unit` check with a stable window, which also gives the restarted unit that time.
 *
 * Offline (--root) the check is not run.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "remedy/action.h"
#include "remedy/context.h"
#include "remedy/journal.h"
#include "remedy/kubeconfig.h"
#include "remedy/pattern.h"
#include "remedy/systemd-bus.h"
#include "remedy/unit-file.h"

/* Bounds the work on a unit that logs without pause (a crash-looping kubelet writes a lot). */
#define JOURNAL_CHECK_MAX_ENTRIES 200000

typedef struct JournalCheck {
        Template *unit;
        Pattern pattern;
        bool want_present;   /* contains: rather than absent: */
} JournalCheck;

static void journal_check_free(void *args) {
        JournalCheck *j = args;
        if (!j)
                return;
        template_free(j->unit);
        pattern_done(&j->pattern);
        free(j);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(JournalCheck *, journal_check_free);

static int journal_check_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "unit", "absent", "contains", NULL };
        _cleanup_(journal_check_freep) JournalCheck *j = NULL;
        int r;

        if ((r = parse_check_keys(pc, args, "the journal check", keys)) < 0)
                return r;
        j = calloc(1, sizeof(JournalCheck));
        if (!j)
                return -ENOMEM;
        if ((r = parse_template(pc, args, "unit", true, 0, "a unit name", &j->unit)) < 0)
                return r;
        bool has_absent = yaml_node_get(args, "absent") != NULL, has_contains = yaml_node_get(args, "contains") != NULL;
        if (has_absent == has_contains)
                return parse_error(pc, args, "the journal check needs one of absent: and contains: (a regular expression)");
        j->want_present = has_contains;
        if ((r = pattern_parse(pc, args, has_contains ? "contains" : "absent", &j->pattern)) < 0)
                return r;
        *ret = TAKE_PTR(j);
        return 0;
}

static int journal_check_run(Context *c, const void *args, char **ret_evidence) {
        const JournalCheck *j = args;
        _cleanup_(journal_hit_done) JournalHit hit = {};
        _cleanup_free_ char *unit = NULL, *error = NULL, *line = NULL;
        _cleanup_free_ char *since = NULL, *at = NULL;
        unsigned n_read = 0;
        int r;

        *ret_evidence = NULL;
        if ((r = ctx_render_unit_name(c, j->unit, &unit)) < 0)
                return r;
        if (c->offline) {
                r = evidence_printf(ret_evidence, "%s: journal not checked offline (--root)", unit);
                return r < 0 ? r : -EOPNOTSUPP;
        }

        /* The unit's current run, when systemd can say which it is. */
        _cleanup_(unit_state_done) UnitState st = {};
        _cleanup_free_ char *state_error = NULL;
        if (c->bus && systemd_bus_get_unit_state(c->bus, unit, &st, &state_error) >= 0 && st.invocation_id &&
            !*st.invocation_id)
                unit_state_done(&st);

        JournalSearch q = {
                .unit = unit,
                .invocation_id = st.invocation_id,
                .after_cursor = c->journal_cursor,
                .since_usec = c->since_usec,
                .match = &j->pattern.regex,
                .max_entries = JOURNAL_CHECK_MAX_ENTRIES,
        };
        int found = journal_search(NULL, &q, &hit, &n_read, &error);
        if (found < 0)
                return ctx_error(c, found, "journal of %s: %s", unit, error ? error : strerror(-found));

        if ((r = format_utc((time_t) (c->since_usec / USEC_PER_SEC), &since)) < 0)
                return r;
        if (found == 0) {
                r = evidence_printf(ret_evidence, "none of the %u lines %s logged since %s%s matches /%s/%s", n_read, unit,
                                    since, q.invocation_id ? " in its current run" : "", j->pattern.source,
                                    j->want_present ? ", which should be there" : "");
                return r < 0 ? r : !j->want_present;
        }
        if ((r = evidence_quote(hit.message ? hit.message : "", &line)) < 0)
                return r;
        if ((r = format_utc((time_t) (hit.realtime_usec / USEC_PER_SEC), &at)) < 0)
                return r;
        r = evidence_printf(ret_evidence, "%s logged at %s (pid %u), after the change: '%s' matches /%s/%s", unit, at,
                            hit.pid, line, j->pattern.source, j->want_present ? "" : ", which should be absent");
        return r < 0 ? r : j->want_present;
}

const CheckType check_journal = {
        .key = "journal",
        .parse = journal_check_parse,
        .run = journal_check_run,
        .free_args = journal_check_free,
};
