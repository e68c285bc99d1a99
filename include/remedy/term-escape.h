/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Every byte that comes from the node (a diff line, evidence, a note, a path, a flag, a unit name)
 * is printed through this file, because the node may be hostile: an env file line holding
 * "\x1b]0;...\x07" would retitle the operator's terminal, "\x1b[2J" clear it, a U+202E reorder what
 * it shows, and a byte that is not UTF-8 makes --json unreadable to a strict parser.
 *
 *     term_puts(note, stdout);                          (straight to a stream)
 *     _cleanup_free_ char *p = term_escape(path);        (for a printf argument)
 *     printf("modify %s\n", strempty(p));
 *
 * For a terminal, what could act rather than show is written visibly, as C and systemd's cescape
 * write it: C0 controls and DEL as "\xNN" (newline as "\n"; a tab stays a tab), a byte that is not
 * UTF-8 as "\xNN", and the valid code points that act — C1 controls U+0080..U+009F (U+009B is a
 * CSI), U+2028/U+2029 (line and paragraph separators) and the bidi controls (U+061C, U+200E/F,
 * U+202A..U+202E, U+2066..U+2069) — as "\uXXXX". Every other valid UTF-8 sequence is kept as is.
 * A backslash is not doubled: the output is for reading, and diffs of unit files stay diffs.
 *
 * Masking comes first: callers mask secrets (secret-mask.h) and then print through here.
 *
 * For --json, json-c already writes control characters as \u00XX but copies bytes that are not
 * UTF-8; json_text_write() writes a serialized document with each such byte as the text "\xNN"
 * (escaped for JSON: "\\xNN"), the same notation as the terminal, so the document is valid UTF-8
 * and a reader sees which byte it was.
 */

#include <stddef.h>
#include <stdio.h>

/* s (n bytes; may hold NUL) escaped for a terminal, NUL-terminated; NULL only when out of memory. */
char *term_escape_n(const char *s, size_t n);

/* The same for a C string; NULL gives "". */
char *term_escape(const char *s);

/* Writes s escaped for a terminal to f. Returns 0, or -EIO when f has an error. */
int term_write(FILE *f, const char *s, size_t n);
int term_puts(const char *s, FILE *f);

/* Writes JSON text (from json-c) with each byte that is not UTF-8 as "\\xNN" (json-c copies such
 * bytes only inside strings, where "\\xNN" is valid). Returns 0, or -EIO. */
int json_text_write(FILE *f, const char *json);
