/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What the diff tests (test-diff.c, test-diff-secrets.c) share to build their inputs: a text as
 * an editable list of lines, and one-replacement edits of fixtures.
 *
 *     Lines l = lines_split(text);
 *     lines_delete(&l, 2);
 *     lines_insert(&l, 2, "new\n", 4);
 *     char *edited = lines_join(&l);     (frees the lines)
 *
 * No TAP checks here: the helpers abort the test when a fixture lacks what a case edits.
 */

#include <stddef.h>

typedef struct Lines {
        char **v; /* each with its terminator, if any */
        size_t n, cap;
} Lines;

void lines_insert(Lines *l, size_t at, const char *s, size_t len);
void lines_delete(Lines *l, size_t at);
Lines lines_split(const char *text);
/* The text of l; frees the lines and leaves l empty. */
char *lines_join(Lines *l);

/* text with the first occurrence of old replaced; aborts when old is missing, since then the
 * case would not test what it says. */
char *replace(const char *text, const char *old, const char *new);
