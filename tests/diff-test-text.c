/* SPDX-License-Identifier: MIT */
/* Lines and replace() of the diff tests: see diff-test-text.h. */
#include "diff-test-text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h" /* diag() only: the checks are counted in the test programs */

void lines_insert(Lines *l, size_t at, const char *s, size_t len) {
        if (l->n == l->cap) {
                l->cap = l->cap ? l->cap * 2 : 16;
                l->v = realloc(l->v, l->cap * sizeof *l->v);
                if (!l->v)
                        abort();
        }
        memmove(l->v + at + 1, l->v + at, (l->n - at) * sizeof *l->v);
        l->v[at] = strndup(s, len);
        if (!l->v[at])
                abort();
        l->n++;
}

void lines_delete(Lines *l, size_t at) {
        free(l->v[at]);
        memmove(l->v + at, l->v + at + 1, (l->n - at - 1) * sizeof *l->v);
        l->n--;
}

Lines lines_split(const char *text) {
        Lines l = {};
        for (const char *p = text; *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p) + 1 : strlen(p);
                lines_insert(&l, l.n, p, len);
                p += len;
        }
        return l;
}

char *lines_join(Lines *l) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        if (!f)
                abort();
        for (size_t i = 0; i < l->n; i++) {
                fputs(l->v[i], f);
                free(l->v[i]);
        }
        fclose(f);
        free(l->v);
        *l = (Lines) {};
        return buf;
}

char *replace(const char *text, const char *old, const char *new) {
        const char *at = strstr(text, old);
        char *r;
        if (!at) {
                diag("fixture lacks \"%s\"", old);
                abort();
        }
        if (asprintf(&r, "%.*s%s%s", (int) (at - text), text, new, at + strlen(old)) < 0)
                abort();
        return r;
}
