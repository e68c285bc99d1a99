/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The insides of secret masking, for diff.c and the fuzzers; everything else calls secret_mask()
 * (remedy/secret-mask.h) or text_mask_secrets() (remedy/diff.h).
 *
 *     _cleanup_free_ uint8_t *marks = NULL;
 *     r = secret_marks(text, size, &marks);      marks[i] is 1 for a byte never to be shown
 *     secret_write_masked(out, line, len, marks + line_offset);
 *
 * secret_marks() is the document rules (secret_mark_document(): the text parsed as YAML/JSON) and
 * the line rules: feed every line of a text, in order, through secret_state_next() (a secret can
 * span lines: PEM bodies, YAML block scalars, TOML multi-line strings) and pass what it returns to
 * secret_mark_line(). Lines are given without their "\n" and without a "\r" before it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum SecretLine {
        SECRET_NONE,     /* mask what the line itself shows to be secret */
        SECRET_BODY,     /* the whole line continues a secret: PEM body, YAML value */
        SECRET_PEM_END,  /* the END line of a private key; anything before "-----END" is key */
} SecretLine;

/* Zero-initialise before the first line of a text. */
typedef struct SecretState {
        bool in_pem;
        bool in_value;
        size_t value_indent;
        const char *open_quote; /* a TOML multi-line string that holds a secret */
} SecretState;

/* What the line is, given the lines before it; advances st. */
SecretLine secret_state_next(SecretState *st, const char *line, size_t len);

/* Sets marks[i] (len bytes) to 1 for every byte of the line that must not be shown, else 0. */
void secret_mark_line(const char *line, size_t len, SecretLine kind, uint8_t *marks);

/* Marks the bytes of a whole text that must not be shown; *ret has size + 1 bytes. */
int secret_marks(const char *data, size_t size, uint8_t **ret);

/* Marks the scalars of a YAML or JSON text that are credentials by their place, and every copy of
 * their values (secret-mask-document.c). Nothing is marked in a text that is not UTF-8. */
int secret_mark_document(const char *data, size_t size, uint8_t *marks);

/* Whether a key, variable or flag name (case, '-' and '_' ignored) names a credential. */
bool secret_name(const char *name, size_t len);
/* Whether a command-line flag's name names a credential: a secret_name(), or holding "secret". */
bool secret_flag_name(const char *name, size_t len);
/* Whether s is "--NAME" or "--NAME=VALUE" for a secret NAME; *ret_has_value: with "=". */
bool secret_flag(const char *s, size_t size, bool *ret_has_value);

/* Writes the line with every run of marked bytes replaced by one "<redacted>". */
void secret_write_masked(FILE *out, const char *line, size_t len, const uint8_t *marks);
