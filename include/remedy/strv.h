/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * NULL-terminated arrays of owned strings ("string vectors"). An empty vector may be NULL; every
 * function here accepts NULL as the empty vector.
 */

#include <stdbool.h>
#include <stddef.h>

#include "remedy/macro.h"

char **strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)

size_t strv_length(char * const *l);
bool strv_contains(char * const *l, const char *s);
/* Appends s, taking ownership of it (freed on failure too). */
int strv_consume(char ***l, char *s);
/* Appends a copy of s. */
int strv_extend(char ***l, const char *s);
/* The same, for a caller that keeps the length in *n (0 for an empty vector) while it appends
 * many: strv_consume() counts the vector on every call, which makes a loop over a directory of
 * 10,000 names quadratic. */
int strv_consume_with_size(char ***l, size_t *n, char *s);
int strv_extend_with_size(char ***l, size_t *n, const char *s);
/* Appends a copy of s unless it is already there. */
int strv_extend_unique(char ***l, const char *s);
char **strv_copy(char * const *l);
void strv_sort(char **l);

#define STRV_FOREACH(s, l) for (char * const *s = (l); s && *s; s++)
