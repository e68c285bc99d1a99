/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Unified diffs of two texts (Myers' algorithm on lines), as `diff -u` prints them, optionally
 * coloured. Secrets are never printed: a line inside a PEM "PRIVATE KEY" block, or holding
 * client-key-data, token or password values, is shown masked; the comparison still uses the real
 * text, so a changed secret shows as a changed (masked) line.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct DiffOptions {
        bool color;
        unsigned context;     /* lines of context, 3 like diff -u */
} DiffOptions;

/* Prints the diff (nothing when equal). Returns 0 equal, 1 different, negative errno. */
int diff_unified(FILE *out, const char *a, size_t a_size, const char *b, size_t b_size, const char *label_a,
                 const char *label_b, const DiffOptions *options);

/* The diff as a string (no colour), for JSON. */
int diff_unified_string(const char *a, size_t a_size, const char *b, size_t b_size, const char *label_a,
                        const char *label_b, char **ret);

/* True when data holds anything diff would mask. */
bool text_has_secret(const char *data, size_t size);
/* A copy of text with every secret masked, for printing whole files. */
char *text_mask_secrets(const char *data, size_t size);
