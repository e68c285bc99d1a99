/* SPDX-License-Identifier: MIT */
/*
 * The unattended state and this run's decisions as node_exporter textfile metrics, appended to
 * --metrics-textfile's. Gauges, not counters: the numbers are read back from the state file
 * each run (attempts of the last 24 hours), and every decision value of every playbook decided
 * on is written, 0 or 1, so that an alert needs no absent().
 */
#include "unattended.h"

#include <stdio.h>
#include <stdlib.h>

#include "remedy/strv.h"

static void help_type(FILE *f, const char *name, const char *help) {
        fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* A label value as the exposition format quotes it. */
static void label(FILE *f, const char *s) {
        for (; *s; s++)
                if (*s == '\\' || *s == '"')
                        fprintf(f, "\\%c", *s);
                else if (*s == '\n')
                        fputs("\\n", f);
                else
                        fputc(*s, f);
}

char *unattended_metrics_render(const Unattended *u) {
        static const UnattendedDecision shown[] = {
                UNATTENDED_APPLIED,       UNATTENDED_ROLLED_BACK,  UNATTENDED_SKIP_COOLDOWN,
                UNATTENDED_SKIP_ATTEMPTS, UNATTENDED_SKIP_BREAKER, UNATTENDED_REPORT_ONLY,
        };
        _cleanup_strv_free_ char **names = NULL;
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        if (!f)
                return NULL;
        help_type(f, "remedy_unattended_breaker_open",
                  "1 when a rolled-back fix opened the breaker: unattended runs apply nothing until remedy fix --reset.");
        fprintf(f, "remedy_unattended_breaker_open %d\n", u->state.breaker_open ? 1 : 0);
        help_type(f, "remedy_unattended_max_attempts", "Attempts allowed per playbook in 24 hours (--max-attempts).");
        fprintf(f, "remedy_unattended_max_attempts %u\n", u->max_attempts);
        help_type(f, "remedy_unattended_cooldown_seconds", "Time a playbook is not applied again after an attempt (--cooldown).");
        fprintf(f, "remedy_unattended_cooldown_seconds %llu\n", (unsigned long long) (u->cooldown_usec / USEC_PER_SEC));

        for (size_t i = 0; i < u->state.n_playbooks; i++)
                (void) strv_extend_unique(&names, u->state.playbooks[i].name);
        /* And the auto playbooks found this run, with 0 when never tried. */
        for (size_t i = 0; u->decided && u->decided[i]; i++)
                if (u->decisions[i] != UNATTENDED_REPORT_ONLY)
                        (void) strv_extend_unique(&names, u->decided[i]);
        strv_sort(names);
        help_type(f, "remedy_unattended_attempts", "Unattended attempts of a playbook in the last 24 hours.");
        STRV_FOREACH(n, names) {
                const UnattendedPlaybook *p = unattended_state_playbook((UnattendedState *) &u->state, *n, false);
                size_t count = 0;
                for (size_t k = 0; p && k < p->n_attempts; k++)
                        if (p->attempts[k] > u->now - UNATTENDED_DAY_SECONDS)
                                count++;
                fputs("remedy_unattended_attempts{playbook=\"", f);
                label(f, *n);
                fprintf(f, "\"} %zu\n", count);
        }

        help_type(f, "remedy_unattended_decision",
                  "What this unattended run did with each finding: 1 for its decision, 0 for the others.");
        for (size_t i = 0; u->decided && u->decided[i]; i++)
                for (size_t k = 0; k < ELEMENTSOF(shown); k++) {
                        fputs("remedy_unattended_decision{playbook=\"", f);
                        label(f, u->decided[i]);
                        fprintf(f, "\",decision=\"%s\"} %d\n", unattended_decision_to_string(shown[k]),
                                u->decisions[i] == shown[k] ? 1 : 0);
                }
        if (fclose(f) != 0) {
                free(text);
                return NULL;
        }
        return text;
}
