/* SPDX-License-Identifier: MIT */
#pragma once

/* What engine.c (the Run and its plan) and engine-apply.c (the transaction) share; not part of
 * remedy's interface. */

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "remedy/engine.h"
#include "remedy/unit-file.h"

/* The first error is kept: it is the cause, what follows is its consequence. */
static inline void set_error(char **where, const char *fmt, ...) _printf_(2, 3);
static inline void set_error(char **where, const char *fmt, ...) {
        va_list ap;
        if (*where)
                return;
        va_start(ap, fmt);
        if (vasprintf(where, fmt, ap) < 0)
                *where = NULL;
        va_end(ap);
}

static inline bool change_touches_units(const Change *c) {
        for (size_t o = 0; o < c->n_ops; o++)
                if (path_is_unit_config(c->ops[o].after->path))
                        return true;
        return false;
}

/* The Context for planning, applying and checking: the node, and live the bus and the journal
 * position the transaction began at. */
static inline int run_context_new(Run *r, Context **ret) {
        Context *c;
        int k = context_new(r->root, r->offline, &c);
        if (k < 0)
                return k;
        c->bus = r->bus;
        c->job_timeout_usec = r->job_timeout_usec;
        c->journal_cursor = r->journal_cursor;
        c->since_usec = r->since_usec;
        *ret = c;
        return 0;
}
