/* SPDX-License-Identifier: MIT */
/*
 * Secret masking (remedy/edit/secret-mask*.c) on arbitrary bytes as a config file: the marks that
 * diff uses (YAML/JSON parsed, then the line rules), and the whole-text helpers built on them. A text
 * with no secret is printed as it is; a text with one is printed with fewer bytes of it.
 */
#include <string.h>

#include "fuzz.h"
#include "remedy/diff.h"
#include "edit/secret-mask.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *text = (const char *) data;
        _cleanup_free_ char *masked = NULL;
        _cleanup_free_ uint8_t *marks = NULL;
        bool any = false;

        /* As diff.c and text_mask_secrets() take them: the document and the line rules at once. */
        fuzz_check(secret_marks(text, size, &marks) >= 0, "marks");
        for (size_t i = 0; i < size; i++) {
                fuzz_check(marks[i] <= 1, "mark %u", marks[i]);
                fuzz_check(!marks[i] || (text[i] != '\n' && text[i] != '\r'), "line ends are never marked");
                any |= marks[i];
        }
        fuzz_check(any == text_has_secret(text, size), "text_has_secret() agrees with the marks");

        masked = text_mask_secrets(text, size);
        fuzz_check(masked, "masked copy");
        if (memchr(text, 0, size))
                return 0;
        if (!any)
                fuzz_check(strlen(masked) == size && memcmp(masked, text, size) == 0, "no secret: the text as it is");
        return 0;
}
