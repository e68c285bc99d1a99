/* SPDX-License-Identifier: MIT */
/*
 * The unified diff (Myers on lines, hunks, secret masking at print time) on two texts cut from
 * the input: at a line "=== b ===" when there is one, else at the middle line (so that a seed,
 * one config file, is compared with a neighbouring part of itself). The diff must say "same"
 * exactly when the bytes are the same, and when nothing is masked, its hunks applied to the first
 * text must give the second: the diff shown before an apply is the change the apply makes.
 */
#include <string.h>

#include "fuzz.h"
#include "remedy/diff.h"
#include "remedy/term-escape.h"

#define SEPARATOR "\n=== b ===\n"

/* Line i of text starts at *pos: its bytes with the terminator, or NULL past the end. */
static const char *next_line(const char *text, size_t size, size_t *pos, size_t *ret_len) {
        const char *s = text + *pos, *nl;

        if (*pos >= size)
                return NULL;
        nl = memchr(s, '\n', size - *pos);
        *ret_len = nl ? (size_t) (nl - s) + 1 : size - *pos;
        *pos += *ret_len;
        return s;
}

static unsigned long parse_number(const char **p) {
        char *end;
        unsigned long n = strtoul(*p, &end, 10);
        fuzz_check(end != *p, "a number in a hunk header at \"%.20s\"", *p);
        *p = end;
        return n;
}

/* Applies the unified diff d to a (GNU patch's reading, strictly), writing the result to out. */
static void apply_patch(const char *a, size_t a_size, const char *d, FILE *out) {
        size_t apos = 0, dpos = 0, dsize = strlen(d), len, dlen;
        unsigned long aline = 0;  /* lines of a consumed */
        const char *l, *line;

        l = next_line(d, dsize, &dpos, &dlen);
        fuzz_check(l && startswith(l, "--- a\n"), "first header line");
        l = next_line(d, dsize, &dpos, &dlen);
        fuzz_check(l && startswith(l, "+++ b\n"), "second header line");

        while ((l = next_line(d, dsize, &dpos, &dlen))) {
                const char *p = l;
                unsigned long start, count = 1, add = 1, i;

                fuzz_check(startswith(p, "@@ -"), "a hunk header, not \"%.*s\"", (int) dlen, l);
                p += 4;
                start = parse_number(&p);
                if (*p == ',') {
                        p++;
                        count = parse_number(&p);
                }
                fuzz_check(startswith(p, " +"), "hunk header \"%.*s\"", (int) dlen, l);
                p += 2;
                (void) parse_number(&p);
                if (*p == ',') {
                        p++;
                        add = parse_number(&p);
                }
                /* "-3,0" inserts after line 3; "-3,2" starts at line 3. */
                unsigned long first = count == 0 ? start : start - 1;
                fuzz_check(first >= aline, "hunks in order: at %lu after %lu", first, aline);
                for (; aline < first; aline++) {
                        line = next_line(a, a_size, &apos, &len);
                        fuzz_check(line, "a has line %lu", aline + 1);
                        fwrite(line, 1, len, out);
                }

                /* The body: count lines of a (' ' and '-'), add lines of b (' ' and '+'). */
                i = 0;
                for (unsigned long left_a = count, left_b = add; left_a > 0 || left_b > 0; i++) {
                        l = next_line(d, dsize, &dpos, &dlen);
                        fuzz_check(l, "hunk body line %lu", i);
                        bool nonl = dpos < dsize && startswith(d + dpos, "\\ No newline at end of file\n");
                        if (nonl)
                                (void) next_line(d, dsize, &dpos, &len);
                        if (l[0] == ' ' || l[0] == '-') {
                                line = next_line(a, a_size, &apos, &len);
                                fuzz_check(line && left_a > 0, "a has line %lu", aline + 1);
                                fuzz_check(len == dlen - 1 - nonl && memcmp(line, l + 1, len) == 0,
                                           "line %lu of a as the diff shows it", aline + 1);
                                aline++;
                                left_a--;
                                if (l[0] == ' ') {
                                        fuzz_check(left_b > 0, "context line counted in b");
                                        fwrite(line, 1, len, out);
                                        left_b--;
                                }
                        } else {
                                fuzz_check(l[0] == '+' && left_b > 0, "a '+' line, not \"%.*s\"", (int) dlen, l);
                                fwrite(l + 1, 1, dlen - 1 - nonl, out);
                                left_b--;
                        }
                }
        }
        while ((line = next_line(a, a_size, &apos, &len)))
                fwrite(line, 1, len, out);
}

/* Whether every line of s reaches the diff as it is: a control character, a C1 or bidi control is
 * shown escaped (term-escape.h), and such a diff cannot be applied back. A CR before the newline
 * is kept, as GNU diff keeps it. */
static bool shown_as_is(const char *s, size_t n) {
        for (size_t i = 0; i < n;) {
                const char *nl = memchr(s + i, '\n', n - i);
                size_t end = nl ? (size_t) (nl - s) : n, len = end - i;
                if (len > 0 && s[end - 1] == '\r' && nl)
                        len--;
                _cleanup_free_ char *e = term_escape_n(s + i, len);
                fuzz_check(e, "escaped line");
                if (strlen(e) != len || memcmp(e, s + i, len) != 0)
                        return false;
                i = end + 1;
        }
        return true;
}

static void check_diff(const char *a, size_t a_size, const char *b, size_t b_size, unsigned context) {
        _cleanup_free_ char *d = NULL, *colored = NULL, *patched = NULL;
        size_t d_size = 0, colored_size = 0, patched_size = 0;
        bool same = a_size == b_size && memcmp(a, b, a_size) == 0;
        FILE *f;
        int r;

        f = open_memstream(&d, &d_size);
        if (!f)
                abort();
        r = diff_unified(f, a, a_size, b, b_size, NULL, NULL, &(DiffOptions) { .context = context });
        fuzz_check(fclose(f) == 0, "memstream");
        fuzz_check(r == (same ? 0 : 1), "diff says %d for %s texts", r, same ? "the same" : "different");
        fuzz_check(same == (d_size == 0), "a diff is printed when and only when they differ");

        f = open_memstream(&colored, &colored_size);
        if (!f)
                abort();
        r = diff_unified(f, a, a_size, b, b_size, "old", "new", &(DiffOptions) { .color = true, .context = context });
        fuzz_check(fclose(f) == 0 && r >= 0, "colored diff");

        /* Masked, escaped or binary output cannot be applied: nothing more to check. */
        if (same || text_has_secret(a, a_size) || text_has_secret(b, b_size) || startswith(d, "Binary files ") ||
            !shown_as_is(a, a_size) || !shown_as_is(b, b_size))
                return;
        f = open_memstream(&patched, &patched_size);
        if (!f)
                abort();
        apply_patch(a, a_size, d, f);
        fuzz_check(fclose(f) == 0, "memstream");
        fuzz_check(patched_size == b_size && memcmp(patched, b, b_size) == 0, "the diff applied to a gives b\n%s", d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *text = (const char *) data;
        const char *sep = memmem(text, size, SEPARATOR, strlen(SEPARATOR));
        size_t a_size, b_start;
        _cleanup_free_ char *s = NULL;

        if (sep) {
                a_size = (size_t) (sep - text) + 1;
                b_start = a_size + strlen(SEPARATOR) - 1;
        } else {
                const char *nl = memchr(text + size / 2, '\n', size - size / 2);
                a_size = b_start = nl ? (size_t) (nl - text) + 1 : size / 2;
        }
        /* The two texts in buffers of their own, so that a read past either end is caught. */
        _cleanup_free_ char *a = fuzz_strndup(data, a_size), *b = fuzz_strndup(data + b_start, size - b_start);
        size_t b_size = size - b_start;

        check_diff(a, a_size, b, b_size, 3);
        check_diff(a, a_size, b, b_size, size % 4);
        check_diff(a, a_size, a, a_size, 3);
        if (diff_unified_string(a, a_size, b, b_size, "a", "b", &s) >= 0)
                fuzz_check(s, "the diff as a string");
        return 0;
}
