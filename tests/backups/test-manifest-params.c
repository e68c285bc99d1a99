/* SPDX-License-Identifier: MIT */
/*
 * A playbook's parameters in a manifest: a refused parameter names its own field
 * (playbooks[0].params[1].name), not the playbook's, and refusing it leaks nothing (run under
 * ASan, whose leak check fails the test). Each case is manifest-good.json with one parameter
 * changed, so that the parameter is the only thing wrong. Needs no root, unlike
 * test-backup-store.c.
 */
#include <stdlib.h>

#include "remedy/backup.h"
#include "tap.h"
#include "test-util.h"

/* The good manifest with its one occurrence of `from` replaced by `to`. */
static char *good_with(const char *from, const char *to) {
        _cleanup_free_ char *good = read_fixture("backups/manifest-good.json", NULL);
        char *at = strstr(good, from);

        if (!at || strstr(at + 1, from))
                abort();
        return xasprintf("%.*s%s%s", (int) (at - good), good, to, at + strlen(from));
}

static void test_bad_param(const char *from, const char *to, const char *want) {
        _cleanup_free_ char *json = good_with(from, to), *error = NULL;
        _cleanup_(manifest_freep) Manifest *m = NULL;

        is_int(manifest_from_json(json, strlen(json), &m, &error), -EBADMSG, "%s refused", to);
        is_str(error, want, "%s: reason", to);
        ok(!m, "%s: no manifest", to);
}

int main(void) {
        test_bad_param("{ \"name\": \"empty\", \"value\": \"\" }", "{ \"name\": \"\", \"value\": \"\" }",
                       "playbooks[0].params[1].name: empty");
        test_bad_param("{ \"name\": \"empty\", \"value\": \"\" }", "{ \"name\": 7, \"value\": \"\" }",
                       "playbooks[0].params[1].name: expected string");
        test_bad_param("{ \"name\": \"empty\", \"value\": \"\" }", "{ \"name\": \"empty\" }",
                       "playbooks[0].params[1].value: missing");
        test_bad_param("{ \"name\": \"empty\", \"value\": \"\" }", "{ \"name\": \"empty\", \"value\": null }",
                       "playbooks[0].params[1].value: expected string");
        test_bad_param("{ \"name\": \"empty\", \"value\": \"\" }", "[]", "playbooks[0].params[1]: expected an object");
        return tap_done();
}
