/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The good playbook (fixtures/playbooks/good/cni-placeholder.yaml) that test-playbook.c parses
 * and test-playbook-params.c evaluates: its path, and loading it.
 *
 *     _cleanup_(playbook_freep) Playbook *p = load_good();
 *     if (!p)
 *             return;
 *
 * load_good() makes a TAP check, so it is defined here, static inline: tap.h keeps its counters
 * per translation unit, so it must be compiled into the test that reports it. fixture_path(),
 * its helper, stays beside it.
 */

#include <stdio.h>
#include <stdlib.h>

#include "remedy/macro.h"
#include "remedy/playbook.h"
#include "tap.h"

static inline char *fixture_path(const char *name) {
        const char *dir = getenv("FIXTURES");
        char *p;
        if (asprintf(&p, "%s/playbooks/%s", dir ? dir : "tests/fixtures", name) < 0)
                abort();
        return p;
}

static inline Playbook *load_good(void) {
        _cleanup_free_ char *path = fixture_path("good/cni-placeholder.yaml");
        _cleanup_free_ char *error = NULL;
        Playbook *p = NULL;
        int r = playbook_load(path, &p, &error);
        if (!is_int(r, 0, "the good playbook loads"))
                diag("%s", error);
        return p;
}
