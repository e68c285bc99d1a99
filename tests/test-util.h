/* SPDX-License-Identifier: MIT */
#pragma once

/* Helpers for the C tests: temporary trees, whole-file reads and writes, running a program. */

#include <stdbool.h>
#include <stddef.h>

/* A fresh directory under $TMPDIR (or /tmp), removed by rm_rf(). Aborts the test on failure. */
char *make_temp_dir(const char *name);
void rm_rf(const char *path);
/* Reads a file into a NUL-terminated buffer (aborts on failure); size in *ret_size if not NULL. */
char *read_file(const char *path, size_t *ret_size);
/* asprintf() that aborts the test when out of memory. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Reads $FIXTURES/<name>. */
char *read_fixture(const char *name, size_t *ret_size);
void write_file(const char *path, const char *data, size_t size);
/* Runs argv (no shell) with stdout captured into *ret_stdout (may be NULL); returns the exit
 * status, or -1 if it did not exit normally. */
int run_capture(char * const *argv, char **ret_stdout, char **ret_stderr);
bool program_exists(const char *name);
