/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What diff.c needs from secret-mask.c beyond text_has_secret() and text_mask_secrets() (declared
 * in remedy/diff.h): masking works line by line, so that diff can mask each line it prints while
 * comparing the real text. Feed every line of a text, in order, through secret_state_next() (a
 * secret can span lines: PEM bodies, YAML block scalars, TOML multi-line strings), keep what it
 * returns, and when printing line i pass that to secret_mark_line(), then secret_write_masked().
 * Lines are given without their "\n" and without a "\r" before it.
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

/* Writes the line with every run of marked bytes replaced by one "<redacted>". */
void secret_write_masked(FILE *out, const char *line, size_t len, const uint8_t *marks);
