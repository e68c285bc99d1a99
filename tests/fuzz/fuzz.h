/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What every fuzz target shares. A target is one LLVMFuzzerTestOneInput() in fuzz-<name>.c; it is
 * linked twice: with libFuzzer (clang, -Dfuzz) to search for inputs, and with replay.c (any
 * compiler) to run its seeds and regression inputs as a unit test. Besides what the sanitizers
 * catch, a target checks what the code promises about its output (an edit is idempotent, a
 * round trip is stable): fuzz_check() aborts on a broken promise so that libFuzzer keeps the
 * input as a crash.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "remedy/macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define fuzz_check(cond, ...)                                                                    \
        do {                                                                                      \
                if (!(cond)) {                                                                    \
                        fprintf(stderr, "%s:%d: broken promise: %s: ", __FILE__, __LINE__, #cond); \
                        fprintf(stderr, __VA_ARGS__);                                             \
                        fputc('\n', stderr);                                                      \
                        abort();                                                                  \
                }                                                                                 \
        } while (0)

/* A NUL-terminated copy of the input, for the interfaces that take C strings; aborts when out of
 * memory (the fuzzer's malloc limit, not a finding in remedy). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1);
        if (!s)
                abort();
        memcpy(s, data, size);
        s[size] = 0;
        return s;
}
