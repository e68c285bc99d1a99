/* SPDX-License-Identifier: MIT */
/* replaced() and concat() of the editor tests: see edit-test-text.h. */
#include "edit-test-text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *replaced(const char *in, const char *from, const char *to) {
        const char *at = strstr(in, from);
        char *out;

        if (!at || strstr(at + 1, from)) {
                fprintf(stderr, "test bug: \"%s\" is not in the input exactly once\n", from);
                abort();
        }
        if (asprintf(&out, "%.*s%s%s", (int) (at - in), in, to, at + strlen(from)) < 0)
                abort();
        return out;
}

char *concat(const char *a, const char *b) {
        char *out;
        if (asprintf(&out, "%s%s", a, b) < 0)
                abort();
        return out;
}
