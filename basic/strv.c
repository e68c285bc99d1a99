/* SPDX-License-Identifier: MIT */
#include "remedy/strv.h"

#include <stdlib.h>
#include <string.h>

char **strv_free(char **l) {
        STRV_FOREACH(s, l)
                free(*s);
        free(l);
        return NULL;
}

size_t strv_length(char * const *l) {
        size_t n = 0;
        STRV_FOREACH(s, l)
                n++;
        return n;
}

bool strv_contains(char * const *l, const char *s) {
        STRV_FOREACH(i, l)
                if (streq(*i, s))
                        return true;
        return false;
}

int strv_consume_with_size(char ***l, size_t *n, char *s) {
        if (!s)
                return -ENOMEM;
        char **c = realloc(*l, sizeof(char *) * (*n + 2));
        if (!c) {
                free(s);
                return -ENOMEM;
        }
        c[*n] = s;
        c[*n + 1] = NULL;
        *l = c;
        (*n)++;
        return 0;
}

int strv_extend_with_size(char ***l, size_t *n, const char *s) {
        return strv_consume_with_size(l, n, strdup(s));
}

int strv_consume(char ***l, char *s) {
        size_t n = strv_length(*l);
        return strv_consume_with_size(l, &n, s);
}

int strv_extend(char ***l, const char *s) {
        return strv_consume(l, strdup(s));
}

int strv_extend_unique(char ***l, const char *s) {
        if (strv_contains(*l, s))
                return 0;
        return strv_extend(l, s);
}

char **strv_copy(char * const *l) {
        char **c = calloc(strv_length(l) + 1, sizeof(char *));
        if (!c)
                return NULL;
        size_t i = 0;
        STRV_FOREACH(s, l) {
                c[i] = strdup(*s);
                if (!c[i])
                        return strv_free(c);
                i++;
        }
        return c;
}

static int cmp(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

void strv_sort(char **l) {
        size_t n = strv_length(l);
        if (n > 1)
                qsort(l, n, sizeof(char *), cmp);
}
