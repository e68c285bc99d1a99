/* SPDX-License-Identifier: MIT */
#include "remedy/diagnose.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/action.h"
#include "remedy/context.h"
#include "remedy/strv.h"

void diagnosis_done(Diagnosis *d) {
        for (size_t i = 0; i < d->n_findings; i++)
                strv_free(d->findings[i].evidence);
        free(d->findings);
        *d = (Diagnosis) {};
}

static int add_finding(Diagnosis *d, const Playbook *p, char ***evidence) {
        Finding *f = realloc(d->findings, sizeof(Finding) * (d->n_findings + 1));
        if (!f)
                return -ENOMEM;
        d->findings = f;
        d->findings[d->n_findings++] = (Finding) { .playbook = p, .evidence = TAKE_PTR(*evidence) };
        return 0;
}

/* One playbook's match against a fresh view of the node: 1 matched, 0 not, <0 error. */
static int ask_playbook(const Playbook *p, Root *root, bool offline, SystemdBus *bus, char ***ret_evidence,
                        char **ret_error) {
        _cleanup_(context_freep) Context *c = NULL;
        _cleanup_(param_values_freep) ParamValues *values = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        if ((r = param_values_defaults(p, &values)) < 0 || (r = context_new(root, offline, &c)) < 0)
                return r;
        c->bus = bus;
        c->playbook = p;
        c->values = values;

        r = condition_eval(c, p->match, &error);
        if (r < 0) {
                /* A node file the match reads that does not parse is bad input, as in plan. */
                const char *why = error ? error : c->error;
                if (!why)
                        return r;
                if (!(*ret_error = strdup(why)))
                        return -ENOMEM;
                return -EINVAL;
        }
        *ret_evidence = TAKE_PTR(c->evidence);
        return r > 0;
}

int diagnose_node(const PlaybookSet *set, Root *root, bool offline, SystemdBus *bus, Diagnosis *ret,
                  char **ret_error) {
        _cleanup_(diagnosis_done) Diagnosis d = {};
        int r;

        *ret_error = NULL;
        for (size_t i = 0; i < set->n_items; i++) {
                const Playbook *p = set->items[i];
                _cleanup_strv_free_ char **evidence = NULL;

                if (!p->match)
                        continue;
                d.n_asked++;
                r = ask_playbook(p, root, offline, bus, &evidence, ret_error);
                if (r < 0)
                        return r;
                if (r > 0 && (r = add_finding(&d, p, &evidence)) < 0)
                        return r;
        }
        *ret = d;
        d = (Diagnosis) {};
        return 0;
}
