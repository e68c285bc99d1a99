/* SPDX-License-Identifier: MIT */
/*
 * Secret masking (remedy/edit/secret-mask.c) on arbitrary bytes as a config file: the line by
 * line state machine that diff uses, and the whole-text helpers that show and plan use. A text
 * with no secret is printed as it is; a text with one is printed with fewer bytes of it.
 */
#include <string.h>

#include "fuzz.h"
#include "remedy/diff.h"
#include "edit/secret-mask.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *text = (const char *) data;
        _cleanup_free_ char *masked = NULL;
        _cleanup_free_ uint8_t *marks = malloc(size + 1);
        SecretState st = {};
        bool any = false;

        if (!marks)
                abort();
        /* As diff.c feeds it: each line without "\n" and without a "\r" before it. */
        for (size_t off = 0; off < size;) {
                const char *s = text + off, *nl = memchr(s, '\n', size - off);
                size_t len = nl ? (size_t) (nl - s) : size - off;

                off += len + (nl != NULL);
                len -= len > 0 && s[len - 1] == '\r';
                secret_mark_line(s, len, secret_state_next(&st, s, len), marks);
                for (size_t i = 0; i < len; i++) {
                        fuzz_check(marks[i] <= 1, "mark %u", marks[i]);
                        any |= marks[i];
                }
        }
        fuzz_check(any == text_has_secret(text, size), "text_has_secret() agrees with the lines' marks");

        masked = text_mask_secrets(text, size);
        fuzz_check(masked, "masked copy");
        if (memchr(text, 0, size))
                return 0;
        if (!any)
                fuzz_check(strlen(masked) == size && memcmp(masked, text, size) == 0, "no secret: the text as it is");
        return 0;
}
