/* SPDX-License-Identifier: MIT */
/*
 * The environment-file parser (systemd 252's reading of an EnvironmentFile=) and the word
 * splitter on arbitrary bytes. Every assignment's decoded bytes and every word must point back
 * into the file (the editors cut the file at those offsets), and the word splitter must move
 * forward on every word.
 */
#include <string.h>

#include "fuzz.h"
#include "remedy/env-file.h"
#include "remedy/strv.h"

static void check_words(size_t size, const EnvAssignment *a) {
        EnvWord *w = NULL;
        size_t n = 0;

        if (env_assignment_words(a, &w, &n) < 0)
                return;
        for (size_t i = 0; i < n; i++) {
                fuzz_check(w[i].text, "word %zu of %s has text", i, a->key);
                fuzz_check(w[i].start <= w[i].end && w[i].end <= size, "word %zu of %s: [%zu, %zu) in a file of %zu",
                           i, a->key, w[i].start, w[i].end, size);
        }
        env_words_free(w, n);
}

/* Every flag combination over the whole text: what unit-exec.c does with ExecStart=. */
static void check_extract(const char *s) {
        for (unsigned flags = 0; flags < 8; flags++) {
                size_t pos = 0;
                for (;;) {
                        _cleanup_free_ char *word = NULL;
                        size_t before = pos, start = 0, end = 0;
                        int r = env_extract_word(s, &pos, flags, &word, &start, &end);
                        if (r <= 0) {
                                fuzz_check(r == 0 || pos == before, "flags %u: an error leaves pos", flags);
                                break;
                        }
                        fuzz_check(pos > before, "flags %u: word at %zu moves on", flags, before);
                        fuzz_check(start <= end && end <= strlen(s), "flags %u: word [%zu, %zu)", flags, start, end);
                }
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *text = (const char *) data;
        _cleanup_(env_file_done) EnvFile e = {};
        _cleanup_free_ char *error = NULL, *s = fuzz_strndup(data, size);
        unsigned line, column;
        int r;

        r = env_file_parse(text, size, &e, &error);
        if (r >= 0) {
                for (size_t i = 0; i < e.n_assignments; i++) {
                        const EnvAssignment *a = &e.assignments[i];

                        fuzz_check(env_name_is_valid(a->key, strlen(a->key)), "key \"%s\" is a name", a->key);
                        fuzz_check(a->key_offset < size, "key offset %zu in a file of %zu", a->key_offset, size);
                        env_file_position(text, a->key_offset, &line, &column);
                        fuzz_check(line == a->line, "key %s: line %u, position says %u", a->key, a->line, line);
                        for (size_t j = 0; j < a->value_len; j++)
                                fuzz_check(a->origin[j].start < a->origin[j].end && a->origin[j].end <= size,
                                           "%s byte %zu from [%zu, %zu) in a file of %zu", a->key, j,
                                           a->origin[j].start, a->origin[j].end, size);
                        fuzz_check(env_file_last(&e, a->key), "%s is found", a->key);
                        check_words(size, a);
                }
                fuzz_check(e.open_quote == SIZE_MAX || e.open_quote < size, "open quote at %zu", e.open_quote);
        } else
                fuzz_check(error, "failure %d comes with a reason", r);

        env_file_position(text, size, &line, &column);
        check_extract(s);
        return 0;
}
