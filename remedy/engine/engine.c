/* SPDX-License-Identifier: MIT */
/*
 * The Run and its plan: jobs with their playbooks and parameter values, every step planned in
 * order against one Context (nothing is written), and the counts the report shows. The
 * transaction that carries a plan out (backup, apply, verify, rollback) is engine-apply.c.
 */
#include "remedy/engine.h"

#include <stdlib.h>
#include <string.h>

#include "engine-internal.h"

/* As long as systemd itself gives a unit to start by default (DefaultTimeoutStartSec=90s), plus
 * room for its ExecStartPre= delays. */
#define JOB_TIMEOUT_DEFAULT_USEC (120ULL * 1000000ULL)

int run_new(Root *root, bool offline, Run **ret) {
        Run *r = calloc(1, sizeof(Run));
        if (!r)
                return -ENOMEM;
        r->root = root;
        r->offline = offline;
        r->job_timeout_usec = JOB_TIMEOUT_DEFAULT_USEC;
        *ret = r;
        return 0;
}

static void job_done(Job *j) {
        for (size_t i = 0; j->steps && i < j->playbook->n_steps; i++) {
                change_done(&j->steps[i].change);
                free(j->steps[i].error);
        }
        for (size_t i = 0; j->checks && i < j->playbook->n_checks; i++)
                free(j->checks[i].evidence);
        free(j->steps);
        free(j->checks);
        param_values_free(j->values);
}

Run *run_free(Run *r) {
        if (!r)
                return NULL;
        for (size_t i = 0; i < r->n_jobs; i++)
                job_done(&r->jobs[i]);
        free(r->jobs);
        context_free(r->ctx);
        manifest_free(r->txn);
        free(r->error);
        free(r->rollback_error);
        free(r->journal_cursor);
        free(r);
        return NULL;
}

int run_add_job(Run *r, Playbook *p, ParamValues *values) {
        Job *jobs = realloc(r->jobs, sizeof(Job) * (r->n_jobs + 1));
        if (!jobs) {
                param_values_free(values);
                return -ENOMEM;
        }
        r->jobs = jobs;
        Job *j = &r->jobs[r->n_jobs];
        *j = (Job) { .playbook = p, .values = values };
        j->steps = calloc(p->n_steps ? p->n_steps : 1, sizeof(StepResult));
        j->checks = calloc(p->n_checks ? p->n_checks : 1, sizeof(CheckResult));
        if (!j->steps || !j->checks) {
                job_done(j);
                return -ENOMEM;
        }
        for (size_t i = 0; i < p->n_steps; i++)
                j->steps[i].step = &p->steps[i];
        for (size_t i = 0; i < p->n_checks; i++)
                j->checks[i] = (CheckResult) { .check = &p->checks[i], .passed = -1 };
        r->n_jobs++;
        return 0;
}

/* Takes the context's error (bad node file or value) as the run's. */
static int take_ctx_error(Run *r, const Step *step, int err) {
        if (r->ctx->error) {
                set_error(&r->error, "%s", r->ctx->error);
                return -EINVAL;
        }
        set_error(&r->error, "%s:%u: step \"%s\" could not be planned: %s", step->mark.file, step->mark.line,
                  step->name, strerror(-err));
        return err;
}

int engine_plan(Run *r) {
        int k;

        context_free(r->ctx);
        r->ctx = NULL;
        if ((k = run_context_new(r, &r->ctx)) < 0)
                return k;

        for (size_t j = 0; j < r->n_jobs; j++) {
                Job *job = &r->jobs[j];
                r->ctx->playbook = job->playbook;
                r->ctx->values = job->values;
                r->ctx->changes = 0;

                for (size_t i = 0; i < job->playbook->n_steps; i++) {
                        StepResult *s = &job->steps[i];
                        const Step *step = s->step;

                        change_done(&s->change);
                        r->ctx->step = step;

                        if (step->when) {
                                _cleanup_free_ char *error = NULL;
                                k = condition_eval(r->ctx, step->when, &error);
                                if (k < 0) {
                                        /* An unparseable file the condition reads is bad input. */
                                        if (error) {
                                                set_error(&r->error, "%s", error);
                                                return -EINVAL;
                                        }
                                        return take_ctx_error(r, step, k);
                                }
                                if (k == 0) {
                                        s->change.status = CHANGE_SKIPPED;
                                        (void) change_set_note(&s->change, "condition not met");
                                        continue;
                                }
                        }

                        k = step->action->plan(r->ctx, step->args, &s->change);
                        if (k < 0)
                                return take_ctx_error(r, step, k);
                        if (s->change.status == CHANGE_OK && s->change.n_ops > 0)
                                s->change.status = CHANGE_PENDING;
                        /* Actions with their own apply (unit, daemon-reload) keep units_dirty
                         * themselves; for plain file steps a changed unit file or drop-in makes
                         * a daemon-reload due. */
                        if (!step->action->apply && change_touches_units(&s->change))
                                r->ctx->units_dirty = true;
                        if (s->change.status == CHANGE_PENDING)
                                r->ctx->changes++;
                }
        }
        r->reload_at_end = !r->offline && r->ctx->units_dirty;
        return 0;
}

void run_count(const Run *r, unsigned *ret_change, unsigned *ret_ok, unsigned *ret_skipped, unsigned *ret_failed) {
        unsigned n[4] = {};
        for (size_t j = 0; j < r->n_jobs; j++)
                for (size_t i = 0; i < r->jobs[j].playbook->n_steps; i++) {
                        switch (r->jobs[j].steps[i].change.status) {
                        case CHANGE_PENDING:
                                n[0]++;
                                break;
                        case CHANGE_OK:
                                n[1]++;
                                break;
                        case CHANGE_SKIPPED:
                                n[2]++;
                                break;
                        case CHANGE_FAILED:
                                n[3]++;
                                break;
                        }
                }
        if (ret_change)
                *ret_change = n[0];
        if (ret_ok)
                *ret_ok = n[1];
        if (ret_skipped)
                *ret_skipped = n[2];
        if (ret_failed)
                *ret_failed = n[3];
}
