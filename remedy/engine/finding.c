/* SPDX-License-Identifier: MIT */
/* A finding of diagnose, made by a playbook's match or by diagnose itself. */
#include <errno.h>
#include <stdlib.h>

#include "diagnose-internal.h"
#include "remedy/strv.h"

void finding_done(Finding *f) {
        strv_free(f->evidence);
        free(f->name);
        free(f->summary);
        free(f->advice);
        *f = (Finding) {};
}

int diagnosis_add_finding(Diagnosis *d, Finding *f) {
        Finding *a = realloc(d->findings, sizeof(Finding) * (d->n_findings + 1));
        if (!a)
                return -ENOMEM;
        d->findings = a;
        d->findings[d->n_findings++] = *f;
        *f = (Finding) {};
        return 0;
}

int diagnosis_add_own_finding(Diagnosis *d, char **name, char **summary, char ***evidence, char **advice) {
        Finding f = {
                .name = *name,
                .summary = *summary,
                .evidence = *evidence,
                .advice = advice ? *advice : NULL,
        };
        int r = diagnosis_add_finding(d, &f);
        if (r < 0)
                return r;
        *name = *summary = NULL;
        *evidence = NULL;
        if (advice)
                *advice = NULL;
        return 0;
}

const char *finding_name(const Finding *f) {
        return f->playbook ? f->playbook->name : f->name;
}

const char *finding_summary(const Finding *f) {
        return f->playbook ? f->playbook->summary : f->summary;
}

const char *finding_advice(const Finding *f) {
        return f->playbook ? f->playbook->advice : f->advice;
}

