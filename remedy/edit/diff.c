/* SPDX-License-Identifier: MIT */
/*
 * Unified diffs that match GNU `diff -u` byte for byte: diff-compare.c finds the changes as diff
 * does, and this file groups them into hunks and prints them as diff does.
 *
 * Secrets are masked at print time, line by line (secret-mask.c), so hunks and line numbers stay
 * those of the real text while no secret byte (nor its length) reaches the output.
 */
#include "remedy/diff.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diff-compare.h"
#include "remedy/utf8.h"
#include "remedy/macro.h"
#include "remedy/term-escape.h"
#include "secret-mask.h"

#define COLOR_META "\033[1m"
#define COLOR_FRAG "\033[36m"
#define COLOR_OLD "\033[31m"
#define COLOR_NEW "\033[32m"
#define COLOR_RESET "\033[m"

/* ---- Lines ------------------------------------------------------------------------------ */

/* Line i without "\n" and a "\r" before it; *ret_cr says whether there was such a "\r". */
static const char *line_content(const DiffText *t, size_t i, size_t *ret_len, bool *ret_cr, bool *ret_nl) {
        const char *s = t->data + t->starts[i];
        size_t len = t->starts[i + 1] - t->starts[i];
        bool nl = len > 0 && s[len - 1] == '\n';

        len -= nl;
        *ret_cr = len > 0 && s[len - 1] == '\r';
        *ret_len = len - *ret_cr;
        *ret_nl = nl;
        return s;
}

/* ---- Output ----------------------------------------------------------------------------- */

typedef struct Printer {
        FILE *out;
        bool color;
        const DiffText *text[2];
        const uint8_t *secret[2]; /* secret_marks() of each whole text */
        FILE *line;               /* scratch stream: the masked line, escaped on its way to out */
        char *const *line_buf;    /* where open_memstream() keeps line's bytes */
} Printer;

static void print_line(Printer *p, int side, ptrdiff_t i, char mark, const char *color) {
        size_t len;
        bool cr, nl;
        const char *s = line_content(p->text[side], (size_t) i, &len, &cr, &nl);

        if (color)
                fputs(color, p->out);
        fputc(mark, p->out);
        /* Masked first, then escaped: a line of a node's file may hold "\x1b]0;...\x07". */
        rewind(p->line);
        secret_write_masked(p->line, s, len, p->secret[side] + p->text[side]->starts[i]);
        fflush(p->line);
        (void) term_write(p->out, *p->line_buf, (size_t) ftello(p->line));
        if (cr)
                fputc('\r', p->out);
        if (color)
                fputs(COLOR_RESET, p->out);
        fputc('\n', p->out);
        if (!nl)
                fputs("\\ No newline at end of file\n", p->out);
}

/* diff's rules: "l,s"; just "l" when s is 1; the line before the range and ",0" when empty. */
static void print_range(FILE *out, ptrdiff_t first, ptrdiff_t last) {
        ptrdiff_t a = first + 1, b = last + 1;
        if (b <= a)
                fprintf(out, b < a ? "%td,0" : "%td", b);
        else
                fprintf(out, "%td,%td", a, b - a + 1);
}

static void print_hunk(Printer *p, const DiffChange *ch, size_t n, ptrdiff_t context) {
        ptrdiff_t first0 = MAX(ch[0].line0 - context, 0), first1 = MAX(ch[0].line1 - context, 0);
        ptrdiff_t last0 = ch[n - 1].line0 + ch[n - 1].deleted - 1;
        ptrdiff_t last1 = ch[n - 1].line1 + ch[n - 1].inserted - 1;
        ptrdiff_t lines0 = (ptrdiff_t) p->text[0]->n_lines, lines1 = (ptrdiff_t) p->text[1]->n_lines;

        last0 = last0 < lines0 - context ? last0 + context : lines0 - 1;
        last1 = last1 < lines1 - context ? last1 + context : lines1 - 1;

        if (p->color)
                fputs(COLOR_FRAG, p->out);
        fputs("@@ -", p->out);
        print_range(p->out, first0, last0);
        fputs(" +", p->out);
        print_range(p->out, first1, last1);
        fputs(" @@", p->out);
        if (p->color)
                fputs(COLOR_RESET, p->out);
        fputc('\n', p->out);

        size_t next = 0;
        for (ptrdiff_t i = first0, j = first1; i <= last0 || j <= last1;) {
                if (next == n || i < ch[next].line0) {
                        print_line(p, 0, i++, ' ', NULL);
                        j++;
                        continue;
                }
                for (ptrdiff_t k = 0; k < ch[next].deleted; k++)
                        print_line(p, 0, i++, '-', p->color ? COLOR_OLD : NULL);
                for (ptrdiff_t k = 0; k < ch[next].inserted; k++)
                        print_line(p, 1, j++, '+', p->color ? COLOR_NEW : NULL);
                next++;
        }
}

static void print_header(Printer *p, const char *mark, const char *label) {
        fprintf(p->out, "%s%s ", p->color ? COLOR_META : "", mark);
        (void) term_puts(label, p->out);
        fprintf(p->out, "%s\n", p->color ? COLOR_RESET : "");
}

int diff_unified(FILE *out, const char *a, size_t a_size, const char *b, size_t b_size, const char *label_a,
                 const char *label_b, const DiffOptions *options) {
        _cleanup_(diff_text_done) DiffText ta = {}, tb = {};
        _cleanup_free_ DiffChange *changes = NULL;
        _cleanup_free_ uint8_t *secret_a = NULL, *secret_b = NULL;
        _cleanup_free_ char *line_buf = NULL;
        _cleanup_fclose_ FILE *line = NULL;
        size_t line_size = 0;
        size_t n_changes = 0, context = options ? options->context : 3;
        int r;

        if (!out)
                return -EINVAL;
        label_a = label_a ?: "a";
        label_b = label_b ?: "b";
        a_size = a ? a_size : 0;
        b_size = b ? b_size : 0;
        if (a_size == b_size && (a_size == 0 || memcmp(a, b, a_size) == 0))
                return 0;

        /* Like diff: a NUL byte makes a file binary, and binary files only differ. Bytes that are
         * not UTF-8 count as binary too: they would reach a terminal raw. */
        if (memchr(a ?: "", 0, a_size) || memchr(b ?: "", 0, b_size) || !utf8_is_valid_n(a ?: "", a_size) ||
            !utf8_is_valid_n(b ?: "", b_size)) {
                _cleanup_free_ char *a_shown = term_escape(label_a), *b_shown = term_escape(label_b);
                fprintf(out, "Binary files %s and %s differ\n", strempty(a_shown), strempty(b_shown));
                return ferror(out) ? -EIO : 1;
        }

        r = diff_text_init(&ta, a, a_size);
        if (r < 0)
                return r;
        r = diff_text_init(&tb, b, b_size);
        if (r < 0)
                return r;
        r = diff_compute_changes(&ta, &tb, context, &changes, &n_changes);
        if (r < 0)
                return r;
        if (n_changes == 0)
                return 0;

        /* Marked on the whole texts: whether a line is secret can depend on any other line (a
         * YAML key above it, a flow mapping around it, a JSON document on one line). */
        r = secret_marks(a, a_size, &secret_a);
        if (r < 0)
                return r;
        r = secret_marks(b, b_size, &secret_b);
        if (r < 0)
                return r;

        line = open_memstream(&line_buf, &line_size);
        if (!line)
                return -ENOMEM;
        Printer p = {
                .out = out,
                .color = options && options->color,
                .text = { &ta, &tb },
                .secret = { secret_a, secret_b },
                .line = line,
                .line_buf = &line_buf,
        };
        print_header(&p, "---", label_a);
        print_header(&p, "+++", label_b);

        /* Changes closer than 2 * context + 1 unchanged lines share a hunk. */
        size_t gap = 2 * context + 1;
        for (size_t k = 0, end; k < n_changes; k = end) {
                for (end = k + 1; end < n_changes; end++)
                        if ((size_t) (changes[end].line0 - (changes[end - 1].line0 + changes[end - 1].deleted)) >= gap)
                                break;
                print_hunk(&p, changes + k, end - k, (ptrdiff_t) context);
        }
        return ferror(out) || ferror(line) ? -EIO : 1;
}

int diff_unified_string(const char *a, size_t a_size, const char *b, size_t b_size, const char *label_a,
                        const char *label_b, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        int r;

        if (!ret)
                return -EINVAL;
        FILE *f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        r = diff_unified(f, a, a_size, b, b_size, label_a, label_b, &(DiffOptions) { .context = 3 });
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(buf);
        return r;
}
