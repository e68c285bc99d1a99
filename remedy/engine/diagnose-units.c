/* SPDX-License-Identifier: MIT */
/*
 * Never silent: when no playbook matched, diagnose still looks at the two daemons a node lives
 * by, and a kubelet or containerd that is failed, crash-looping, stopped, not enabled, masked or
 * not installed is a finding of its own, with its state, restart count, result and exit status,
 * and the last error lines of its current or previous run. "No known failure" on a node whose
 * kubelet crash-loops is the worst answer a diagnosis can give.
 *
 * Quiet on a healthy node, and about the kubelet of a node that has not joined yet: the packages
 * enable kubelet.service and it crash-loops until `kubeadm join` writes its configuration
 * (FAILURES.md B.4, "awaiting join"). A masked or missing kubelet is reported even then: join
 * will trip over it.
 *
 * Live, the state comes from systemd over the bus. Offline (--root) only a masked unit can be
 * judged from the files; whether a daemon was failing when the node went down is for the journal
 * conditions of the playbooks.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "diagnose-internal.h"
#include "remedy/action.h"
#include "remedy/context.h"
#include "remedy/journal.h"
#include "remedy/kubeconfig.h"
#include "remedy/kubelet-cmdline.h"
#include "remedy/pattern.h"
#include "remedy/strv.h"
#include "remedy/unit-file.h"

/* A run younger than this after automatic restarts may be a crash loop caught between its start
 * and its exit, or a daemon a fix has just restarted (NRestarts is not reset by a restart job):
 * diagnose watches it until it is this old, and judges by whether systemd restarted it again.
 * The kubelet fails at start-up within a second or two. */
#define SETTLE_USEC (5 * USEC_PER_SEC)
#define ERROR_LINES_MAX 3
#define ERROR_SEARCH_MAX_ENTRIES 5000

typedef struct Daemon {
        const char *unit;
        const char *short_name;      /* for the finding's name: "kubelet-crash-looping" */
        const char *error_regex;     /* the lines that say why it failed */
} Daemon;

static const Daemon daemons[] = {
        /* klog: E or F, then MMDD ("E1206 10:05:25.123456 ...") */
        { "kubelet.service", "kubelet", "^[EF][0-9]{4} " },
        /* logrus' logfmt ("time=... level=error msg=...") */
        { "containerd.service", "containerd", "level=(error|fatal)" },
};

/* "status=1/FAILURE"-like words for how the main process ended: "exit status 1", "signal SEGV". */
static int exit_words(const UnitState *st, char **ret) {
        if (st->exec_main_code == CLD_EXITED)
                return asprintf(ret, "exit status %d", st->exec_main_status) < 0 ? -ENOMEM : 0;
        if (st->exec_main_code == CLD_KILLED || st->exec_main_code == CLD_DUMPED) {
                const char *sig = sigabbrev_np(st->exec_main_status);
                return asprintf(ret, "signal %s%s", sig ? sig : "?",
                                st->exec_main_code == CLD_DUMPED ? " (core dumped)" : "") < 0 ? -ENOMEM : 0;
        }
        *ret = NULL;
        return 0;
}

/* The newest ERROR_LINES_MAX lines of the judged run matching the daemon's error pattern, quoted
 * with their time, oldest first. */
static int last_error_lines(Context *c, const Daemon *dm, char ***evidence) {
        _cleanup_(pattern_done) Pattern p = {};
        _cleanup_free_ char *invocation = NULL, *error = NULL, *cursor = NULL;
        _cleanup_strv_free_ char **lines = NULL;
        int r;

        if (regcomp(&p.regex, dm->error_regex, REG_EXTENDED | REG_NEWLINE | REG_NOSUB) != 0)
                return -EINVAL;
        p.compiled = true;
        r = journal_judged_run(c, dm->unit, &invocation, &error);
        if (r <= 0)
                return r == -ENOMEM ? r : 0;   /* no journal to read is no evidence, not a failure */

        for (;;) {
                _cleanup_(journal_hit_done) JournalHit hit = {};
                JournalSearch q = {
                        .unit = dm->unit,
                        .after_cursor = cursor,
                        .invocation_id = invocation,
                        .match = &p.regex,
                        .max_entries = ERROR_SEARCH_MAX_ENTRIES,
                };
                free(error);
                error = NULL;
                r = journal_search(NULL, &q, &hit, NULL, &error);
                if (r == -ENOMEM)
                        return r;
                if (r <= 0)
                        break;
                _cleanup_free_ char *at = NULL, *quoted = NULL, *line = NULL;
                if ((r = format_utc((time_t) (hit.realtime_usec / USEC_PER_SEC), &at)) < 0 ||
                    (r = evidence_quote(hit.message ? hit.message : "", &quoted)) < 0 ||
                    (r = evidence_printf(&line, "%s logged at %s: %s", dm->unit, at, quoted)) < 0 ||
                    (r = strv_consume(&lines, TAKE_PTR(line))) < 0)
                        return r;
                if (strv_length(lines) > ERROR_LINES_MAX) {
                        free(lines[0]);
                        memmove(lines, lines + 1, sizeof(char *) * strv_length(lines));
                }
                free(cursor);
                cursor = TAKE_PTR(hit.cursor);
        }
        STRV_FOREACH(l, lines)
                if ((r = strv_extend(evidence, *l)) < 0)
                        return r;
        return 0;
}

/*
 * Live: what is wrong with the daemon's unit, as a word for the finding's name and a phrase for
 * its summary; NULL when nothing is. Before join only a kubelet that join cannot start (masked,
 * missing) is wrong; with causes_only, only what no other failure explains (masked, missing, not
 * enabled).
 */
static void judge_live(const UnitState *st, bool restarted_while_watched, bool before_join, bool causes_only,
                       const char **ret_word, const char **ret_phrase) {
        *ret_word = *ret_phrase = NULL;
        if (streq(st->load_state, "not-found")) {
                *ret_word = "not-installed";
                *ret_phrase = "is not installed (systemd has no unit file for it)";
        } else if (streq(st->load_state, "masked") || startswith(st->unit_file_state, "masked")) {
                *ret_word = "masked";
                *ret_phrase = "is masked: systemd will not start it";
        } else if (before_join)
                return;
        else if (causes_only) {
                if (streq(st->unit_file_state, "disabled")) {
                        *ret_word = "not-enabled";
                        *ret_phrase = "is not enabled: it will not start at the next boot";
                }
        } else if (streq(st->sub_state, "auto-restart") || restarted_while_watched) {
                *ret_word = "crash-looping";
                *ret_phrase = "is crash-looping: it exits and systemd restarts it";
        } else if (streq(st->active_state, "failed")) {
                *ret_word = "failed";
                *ret_phrase = "has failed and is not running";
        } else if (streq(st->active_state, "inactive")) {
                *ret_word = "stopped";
                *ret_phrase = "is not running (stopped, or never started)";
        } else if (streq(st->unit_file_state, "disabled")) {
                *ret_word = "not-enabled";
                *ret_phrase = "is running but not enabled: it will not start at the next boot";
        }
}

static int judge_offline(Context *c, const Daemon *dm, const char **ret_word,
                         const char **ret_phrase, char **ret_state) {
        UnitFileState state;
        const NodeFS fs = ctx_node_fs(c);
        int r;

        *ret_word = *ret_phrase = NULL;
        *ret_state = NULL;
        r = unit_file_get_state(&fs, dm->unit, &state, NULL);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;   /* offline, no unit file is not proof of anything: a tree of configs only */
        if (!(*ret_state = strdup(unit_file_state_name(state))))
                return -ENOMEM;
        /* Not "disabled": offline, a unit without its [Install] links may still be enabled at the
         * first boot by a preset (Flatcar, Bottlerocket), which only the running systemd knows;
         * judged in the real-world corpus, that said "not enabled" of nodes that run. */
        if (state == UNIT_FILE_MASKED || state == UNIT_FILE_MASKED_RUNTIME) {
                *ret_word = "masked";
                *ret_phrase = "is masked: systemd will not start it";
        }
        return 0;
}

/* A playbook's finding that names the unit in its evidence (kubelet-enable on a masked kubelet,
 * cri-endpoint on a stopped containerd) covers it: not named twice. */
static bool named_by_playbook(const Diagnosis *d, const char *unit) {
        for (size_t i = 0; i < d->n_findings; i++)
                if (d->findings[i].playbook)
                        STRV_FOREACH(e, d->findings[i].evidence)
                                if (strstr(*e, unit))
                                        return true;
        return false;
}

/* The unit's state, watched until a young run after automatic restarts has settled (see
 * SETTLE_USEC): *ret_restarted when systemd restarted it, or it ended, meanwhile. */
static int read_settled_state(SystemdBus *bus, const char *unit, UnitState *st, bool *ret_restarted, char **ret_error) {
        int r;

        *ret_restarted = false;
        if ((r = systemd_bus_get_unit_state(bus, unit, st, ret_error)) < 0)
                return r;
        uint64_t now = now_realtime_usec();
        bool running = streq(st->active_state, "active") || streq(st->active_state, "activating");
        if (!running || streq(st->sub_state, "auto-restart") || st->n_restarts == 0 || st->active_enter_usec == 0 ||
            now - st->active_enter_usec >= SETTLE_USEC)
                return 0;

        uint32_t n_restarts = st->n_restarts;
        _cleanup_free_ char *invocation = strdup(st->invocation_id);
        if (!invocation)
                return -ENOMEM;
        uint64_t wait = SETTLE_USEC - (now - st->active_enter_usec);
        (void) nanosleep(&(struct timespec) { .tv_sec = (time_t) (wait / USEC_PER_SEC),
                                              .tv_nsec = (long) (wait % USEC_PER_SEC) * 1000 }, NULL);
        unit_state_done(st);
        if ((r = systemd_bus_get_unit_state(bus, unit, st, ret_error)) < 0)
                return r;
        *ret_restarted = st->n_restarts > n_restarts || !streq(st->invocation_id, invocation) ||
                         streq(st->sub_state, "auto-restart") || streq(st->active_state, "failed");
        return 0;
}

/* diagnose_exec() with the unit's live state: 1 when it added a finding. */
static int check_exec(Context *c, bool offline, SystemdBus *bus, const Daemon *dm, Diagnosis *d) {
        _cleanup_(unit_state_done) UnitState st = {};
        _cleanup_free_ char *error = NULL;
        int r;

        if (offline || !bus)
                return diagnose_exec(c, dm->unit, dm->short_name, NULL, d);
        r = systemd_bus_get_unit_state(bus, dm->unit, &st, &error);
        if (r < 0)
                return r == -ENOMEM ? r : 0;   /* check_daemon() reports it */
        if (streq(st.load_state, "not-found") || streq(st.load_state, "masked"))
                return 0;
        return diagnose_exec(c, dm->unit, dm->short_name, &st, d);
}

static int check_daemon(Context *c, bool offline, SystemdBus *bus, const Daemon *dm, bool before_join,
                        bool crio_installed, bool causes_only, Diagnosis *d) {
        _cleanup_(unit_state_done) UnitState st = {};
        _cleanup_strv_free_ char **evidence = NULL;
        _cleanup_free_ char *name = NULL, *summary = NULL, *advice = NULL, *state_line = NULL, *file_state = NULL,
                            *how = NULL, *error = NULL;
        const char *word, *phrase;
        int r;

        /* A binary systemd cannot execute is a cause: named whatever else was found, even when a
         * playbook names the unit (cri-endpoint would start a containerd that cannot start). */
        if ((r = check_exec(c, offline, bus, dm, d)) != 0)
                return r < 0 ? r : 0;
        if (named_by_playbook(d, dm->unit))
                return 0;
        if (offline || !bus) {
                if ((r = judge_offline(c, dm, &word, &phrase, &file_state)) < 0)
                        return r;
                if (!word)
                        return 0;
                if (asprintf(&state_line, "%s: unit file %s (offline: its running state is not known)", dm->unit,
                             file_state) < 0)
                        return -ENOMEM;
        } else {
                bool restarted = false;
                /* Before join the kubelet's crash loop is expected: not worth waiting for. */
                r = before_join ? systemd_bus_get_unit_state(bus, dm->unit, &st, &error)
                                : read_settled_state(bus, dm->unit, &st, &restarted, &error);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        char *problem = NULL;
                        if (asprintf(&problem, "%s: %s", dm->unit, error ? error : strerror(-r)) < 0)
                                return -ENOMEM;
                        return strv_consume(&d->problems, problem);
                }
                judge_live(&st, restarted, before_join, causes_only, &word, &phrase);
                /* A CRI-O node has no containerd to run. */
                if (word && streq(word, "not-installed") && streq(dm->short_name, "containerd") && crio_installed)
                        return 0;
                if (!word)
                        return 0;
                if ((r = exit_words(&st, &how)) < 0)
                        return r;
                if (asprintf(&state_line, "%s: %s (%s), unit file %s, restarted %u time%s, result %s%s%s", dm->unit,
                             st.active_state, st.sub_state, *st.unit_file_state ? st.unit_file_state : "none",
                             st.n_restarts, st.n_restarts == 1 ? "" : "s", *st.result ? st.result : "unknown",
                             how ? ", last exit: " : "", strempty(how)) < 0)
                        return -ENOMEM;
        }
        if ((r = strv_consume(&evidence, TAKE_PTR(state_line))) < 0)
                return r;
        if (!offline && bus && (r = last_error_lines(c, dm, &evidence)) < 0)
                return r;

        if (asprintf(&name, "%s-%s", dm->short_name, word) < 0 ||
            asprintf(&summary, "%s %s; no shipped playbook matches this failure", dm->unit, phrase) < 0 ||
            asprintf(&advice, "read why in its journal (journalctl -u %s -b) and its unit (systemctl status %s, "
                     "systemctl cat %s); remedy has no playbook for it", dm->unit, dm->unit, dm->unit) < 0)
                return -ENOMEM;
        return diagnosis_add_own_finding(d, &name, &summary, &evidence, &advice);
}

int diagnose_units(Root *root, bool offline, SystemdBus *bus, Diagnosis *d) {
        _cleanup_(context_freep) Context *c = NULL;
        UnitFileState crio_state;
        int r, before_join;

        /* A playbook finding names the cause already: a failed or crash-looping unit is its
         * consequence and not named again. A masked, missing or disabled unit is a cause of its own,
         * always named. A problem (a file no playbook could judge) names nothing. */
        bool causes_only = d->n_findings > 0;
        if ((r = context_new(root, offline, &c)) < 0)
                return r;
        c->bus = bus;
        /* Before `kubeadm join` (FAILURES.md B.4). */
        if ((before_join = kubeadm_join_pending(c)) < 0)
                return before_join;
        const NodeFS fs = ctx_node_fs(c);
        r = unit_file_get_state(&fs, "crio.service", &crio_state, NULL);
        if (r == -ENOMEM)
                return r;
        bool crio_installed = r >= 0;

        for (size_t i = 0; i < ELEMENTSOF(daemons); i++)
                if ((r = check_daemon(c, offline, bus, &daemons[i], before_join && i == 0, crio_installed, causes_only,
                                      d)) < 0)
                        return r;
        return 0;
}
