/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Unified diffs of two texts (Myers' algorithm on lines), as `diff -u` prints them, optionally
 * coloured. Secrets are never printed: a line inside a PEM "PRIVATE KEY" block, or holding
 * client-key-data, token or password values, is shown masked (secret_marks() of the whole text,
 * the same marks as secret_mask() in remedy/secret-mask.h); the comparison still uses the real
 * text, so a changed secret shows as a changed (masked) line.
 *
 * The output is byte for byte that of GNU `diff -U<context> --label A --label B` (diffutils 3.8),
 * secrets aside. A text holding a NUL byte is binary: "Binary files A and B differ". Above 400000
 * lines left to compare after the common head and tail, one hunk replaces them all.
 *
 * What is masked (each secret becomes "<redacted>", whatever its length; indentation stays):
 *   - in a text that parses as YAML or JSON (in any style: block, flow, JSON on one line, keys
 *     quoted, escaped or explicit "? key"), every scalar that is a credential by its place: the
 *     value of a secret key (below), everything below one, auth-provider config values, exec env
 *     values, the item after a secret flag in a sequence; and every copy of such a value;
 *   - the value of a key (YAML "key:", INI/TOML/env "key =", JSON ""key":", after optional
 *     indentation, "- " and "export ") whose name, case and '-'/'_' ignored, is auth, creds,
 *     .dockerconfigjson, or ends in password, passwd, passphrase, secret, token, keydata,
 *     privatekey, certificatekey, encryptionkey, signingkey, secretkey, accesskey, apikey, .key,
 *     or in "_KEY"; for a ':' key also the lines indented deeper below it (block scalars);
 *   - NAME=VALUE for such a NAME anywhere in a line (Environment="DB_PASSWORD=a b" up to the
 *     closing quote), and the user information of a URL (scheme://USER:PASS@host);
 *   - every line between a BEGIN line naming a PRIVATE KEY and its END line (those two shown);
 *   - the value of --flag=VALUE or --flag VALUE for the same names and any holding "secret",
 *     anywhere in a line (and the item after such a flag in a YAML or JSON array);
 *   - Kubernetes bootstrap tokens ([a-z0-9]{6}.[a-z0-9]{16}) anywhere.
 * Paths (tokenFile, client-key, tlsPrivateKeyFile) and taint "key:" are not secrets.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct DiffOptions {
        bool color;
        unsigned context;     /* lines of context, 3 like diff -u; 0 is diff -U0 */
} DiffOptions;

/* Prints the diff (nothing when equal). Returns 0 equal, 1 different, negative errno (-EIO when
 * writing to out failed). options NULL: no colour, 3 lines of context; a NULL label is "a"/"b". */
int diff_unified(FILE *out, const char *a, size_t a_size, const char *b, size_t b_size, const char *label_a,
                 const char *label_b, const DiffOptions *options);

/* The diff as a string (no colour, 3 lines of context), for JSON; "" when equal. */
int diff_unified_string(const char *a, size_t a_size, const char *b, size_t b_size, const char *label_a,
                        const char *label_b, char **ret);

/* True when data holds anything diff would mask (also when out of memory, to be safe). */
bool text_has_secret(const char *data, size_t size);
/* A copy of text with every secret masked, for printing whole files; NULL when out of memory. */
char *text_mask_secrets(const char *data, size_t size);
