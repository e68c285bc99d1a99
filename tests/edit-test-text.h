/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What the editor tests (test-toml-edit.c, test-toml-set.c, test-yaml-edit.c, test-yaml-set.c)
 * use to write an expected output: the input with one line changed, or with lines appended.
 *
 *     want = replaced(config, "cgroupDriver: systemd\n", "cgroupDriver: cgroupfs\n");
 *
 * No TAP checks here: the helpers abort the test on a bad expectation or when out of memory.
 */

/* in with the only occurrence of from replaced by to; aborts when from is missing or ambiguous. */
char *replaced(const char *in, const char *from, const char *to);

/* a followed by b. */
char *concat(const char *a, const char *b);
