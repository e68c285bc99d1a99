/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Regular expressions in playbooks (POSIX extended, REG_NEWLINE: ^ and $ match at every line),
 * compiled when the playbook loads, so that a typo in one is a load error with its position rather
 * than a failed verification on the node.
 */

#include <regex.h>
#include <stdbool.h>

#include "remedy/playbook.h"

/* Evidence quotes at most this much of a line, so that a minified file stays one readable line. */
#define EVIDENCE_LINE_MAX 160

typedef struct Pattern {
        char *source;
        regex_t regex;
        bool compiled;
} Pattern;

void pattern_done(Pattern *p);

/* Compiles the optional string at key: 0 absent, 1 compiled, -EINVAL with a parse error. */
int pattern_parse(ParseContext *pc, const YamlNode *args, const char *key, Pattern *p);

/* Finds the pattern in data: 1 with the 1-based line of the first match and that line's text (cut
 * at EVIDENCE_LINE_MAX), 0 when it does not match. */
int pattern_find(const Pattern *p, const char *data, unsigned *ret_line, char **ret_text);

/* Sets *ret to the formatted evidence: 0, or -ENOMEM with *ret NULL. */
int evidence_printf(char **ret, const char *fmt, ...) _printf_(2, 3);

/* A line of text as evidence quotes it: at most EVIDENCE_LINE_MAX bytes of its first line. */
int evidence_quote(const char *text, char **ret);
