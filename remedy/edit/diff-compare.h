/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What diff.c needs from diff-compare.c: the texts split into lines, and the changes between two
 * of them exactly as GNU diff (diffutils 3.8) finds them, so that the hunks diff.c prints from
 * them match `diff -u` byte for byte.
 *
 *     _cleanup_(diff_text_done) DiffText a = {}, b = {};
 *     _cleanup_free_ DiffChange *changes = NULL;
 *     r = diff_text_init(&a, data, size);  ...
 *     r = diff_compute_changes(&a, &b, context, &changes, &n_changes);
 */

#include <stdbool.h>
#include <stddef.h>

typedef struct DiffText {
        const char *data;       /* not owned */
        size_t size;
        size_t n_lines;         /* a last line without "\n" counts */
        size_t *starts;         /* n_lines + 1 offsets: line i is [starts[i], starts[i + 1]) */
        bool missing_newline;
} DiffText;

/* A run of deleted lines of a and the run of lines of b inserted in their place (either may be
 * empty), in whole-text line numbers counted from 0. */
typedef struct DiffChange {
        ptrdiff_t line0, line1, deleted, inserted;
} DiffChange;

/* data NULL is the empty text. 0 or -ENOMEM; call diff_text_done() either way. */
int diff_text_init(DiffText *t, const char *data, size_t size);
void diff_text_done(DiffText *t);

/* The changes in order, none when the texts are equal line for line; context is diff's -U
 * (it decides where diff slides ambiguous changes). 0 or -ENOMEM. */
int diff_compute_changes(const DiffText *a, const DiffText *b, size_t context, DiffChange **ret, size_t *ret_n);
