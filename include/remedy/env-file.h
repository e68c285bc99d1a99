/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Environment files read as systemd 252 reads an EnvironmentFile= (src/basic/env-file.c,
 * parse_env_file_internal()): KEY=value lines, '...' and "..." values (a value may mix quoted and
 * unquoted parts), backslash escapes and continuation lines, # and ; comment lines. Every decoded
 * byte of a value remembers the bytes of the file it was decoded from, so that an editor can cut
 * out part of a value and keep every other byte of the file as it was.
 *
 *     _cleanup_(env_file_done) EnvFile e = {};
 *     r = env_file_parse(data, size, &e, &error);          // -EBADMSG: "LINE:COLUMN: reason"
 *     if (e.open_quote != SIZE_MAX) ...                     // systemd took the rest of the file
 *     const EnvAssignment *a = env_file_last(&e, "KUBELET_EXTRA_ARGS");
 *     EnvWord *w; size_t n;
 *     r = env_assignment_words(a, &w, &n);                  // as systemd splits "$KUBELET_EXTRA_ARGS"
 *     ... w[i].text, and data[w[i].start .. w[i].end) is what it was read from
 *     env_words_free(w, n);
 *
 * Where systemd reads a file in a way its author may not have meant, the parse still reads it as
 * systemd 252 does and says where (open_quote, comment_continued): a diagnosis reports what
 * systemd does, an editor refuses to touch such a file.
 */

#include <stdbool.h>
#include <stddef.h>

#include "remedy/macro.h"

/* File bytes [start, end) that one decoded byte came from: 1 byte, or 2 for an escape ("\$"). */
typedef struct EnvSpan {
        size_t start, end;
} EnvSpan;

typedef struct EnvAssignment {
        char *key;
        char *value;          /* decoded; "" for "KEY=" */
        size_t value_len;
        EnvSpan *origin;      /* value_len entries */
        size_t key_offset;    /* where the key starts in the file */
        unsigned line;        /* 1-based line of key_offset */
} EnvAssignment;

typedef struct EnvFile {
        EnvAssignment *assignments;   /* in file order, the same key possibly several times */
        size_t n_assignments;
        /* A quote still open at the end of the file (its offset), or SIZE_MAX. systemd 252 takes
         * the rest of the file into the value; the assignment is in the list as systemd has it. */
        size_t open_quote;
        /* The first line systemd 252 swallows into the comment before it, because that comment
         * ends in a backslash, while systemd 254 and later read it as a line of its own (its
         * offset), or SIZE_MAX. */
        size_t comment_continued;
} EnvFile;

void env_file_done(EnvFile *e);

/*
 * Parses the file. Assignments whose key is not a valid variable name ("export X", "1A") are left
 * out, as systemd leaves them out of the service's environment. systemd refuses the whole file
 * for a NUL byte, and for a key or value that is not valid UTF-8 (comments may be anything):
 * -EBADMSG with *ret_error (may be NULL) "LINE:COLUMN: reason".
 */
int env_file_parse(const char *data, size_t size, EnvFile *ret, char **ret_error);

/* The assignment that wins for key (the last one), or NULL. */
const EnvAssignment *env_file_last(const EnvFile *e, const char *key);

/* A variable name systemd accepts: [A-Za-z_][A-Za-z0-9_]*, n bytes of s. */
bool env_name_is_valid(const char *s, size_t n);

/* 1-based line and column (in UTF-8 characters) of a byte offset; ret_column may be NULL. */
void env_file_position(const char *data, size_t offset, unsigned *ret_line, unsigned *ret_column);

/* ---- words, as systemd's extract_first_word() splits a string at whitespace ---- */

enum {
        ENV_EXTRACT_UNQUOTE = 1 << 0,     /* '...' and "..." anywhere in a word */
        ENV_EXTRACT_CUNESCAPE = 1 << 1,   /* \n, \x41, \u00e9 ... (an unknown escape is kept as written) */
        ENV_EXTRACT_RELAX = 1 << 2,       /* an open quote or a trailing backslash ends the word */
};

/*
 * One word of the NUL-terminated s, from *pos on. A backslash escapes the next character, inside
 * quotes too. Returns 1 with *ret, and (each may be NULL) *ret_start and *ret_end, the bytes of s
 * the word was read from, quotes and escapes included; *pos moves past the whitespace after the
 * word. 0 at the end of s. -EINVAL for an open quote or a trailing backslash without
 * ENV_EXTRACT_RELAX, *pos unchanged.
 */
int env_extract_word(const char *s, size_t *pos, unsigned flags, char **ret, size_t *ret_start, size_t *ret_end);

typedef struct EnvWord {
        char *text;
        size_t start, end;   /* the file bytes [start, end) the word was decoded from */
} EnvWord;

/*
 * The words of an assignment's value as systemd 252 makes arguments of a standalone $VAR on a
 * command line (replace_env_argv(): EXTRACT_UNQUOTE|EXTRACT_RELAX), each with the bytes of the
 * file it came from. *ret is NULL when there are none.
 */
int env_assignment_words(const EnvAssignment *a, EnvWord **ret, size_t *ret_n);
void env_words_free(EnvWord *w, size_t n);
