/* SPDX-License-Identifier: MIT */
/*
 * The join check's record: the layers it walked, one line each, and the advice-only findings it
 * made, each also a FAILED layer, for diagnose to print in order.
 */
#include "join-internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/kubeconfig.h"
#include "remedy/strv.h"

void advice_finding_done(AdviceFinding *f) {
        free(f->name);
        free(f->summary);
        strv_free(f->evidence);
        free(f->advice);
        *f = (AdviceFinding) {};
}

void join_check_done(JoinCheck *j) {
        for (size_t i = 0; i < j->n_findings; i++)
                advice_finding_done(&j->findings[i]);
        free(j->findings);
        free(j->kubeconfig);
        strv_free(j->layers);
        kubeconfig_free(j->kc);
        free(j->host);
        free(j->port);
        free(j->node_name);
        free(j->token);
        free(j->ca_from);
        *j = (JoinCheck) {};
}

int join_layer(JoinCheck *j, const char *fmt, ...) {
        char *line = NULL;
        va_list ap;

        va_start(ap, fmt);
        int r = vasprintf(&line, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return strv_consume(&j->layers, line);
}

int join_fail(JoinCheck *j, const char *name, char ***evidence, const char *advice, const char *fmt, ...) {
        _cleanup_free_ char *summary = NULL;
        va_list ap;

        va_start(ap, fmt);
        int r = vasprintf(&summary, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        AdviceFinding *f = realloc(j->findings, sizeof(AdviceFinding) * (j->n_findings + 1));
        if (!f)
                return -ENOMEM;
        j->findings = f;
        f = &j->findings[j->n_findings];
        *f = (AdviceFinding) {};
        if (!(f->name = strdup(name)) || !(f->advice = strdup(advice)) ||
            join_layer(j, "%s: FAILED (%s)", name, summary) < 0) {
                advice_finding_done(f);
                return -ENOMEM;
        }
        f->summary = TAKE_PTR(summary);
        if (evidence)
                f->evidence = TAKE_PTR(*evidence);
        j->n_findings++;
        j->failed = true;
        return 0;
}

char *join_words(char * const *l, const char *sep) {
        size_t n = 1;
        STRV_FOREACH(w, l)
                n += strlen(*w) + strlen(sep);
        char *r = malloc(n), *p = r;
        if (!r)
                return NULL;
        *p = 0;
        STRV_FOREACH(w, l)
                p = stpcpy(stpcpy(p, w == l ? "" : sep), *w);
        return r;
}
