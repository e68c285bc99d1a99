/* SPDX-License-Identifier: MIT */
/*
 * The comparison behind diff.c. Getting the same hunks as GNU diff, and not merely a correct
 * diff, takes diff's whole pipeline, not just Myers: diff compares only the lines between an
 * identical prefix and suffix (keeping `context` lines of each as a horizon), discards lines that
 * match nothing on the other side, runs Myers' divide-and-conquer with the "too expensive"
 * cut-off, and finally slides runs of changes down to merge them. Each step below does what
 * diffutils 3.8 does, in the same order; the tests hold the result against diff itself.
 */
#include "diff-compare.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/macro.h"

/* Above this many lines to compare, one change replaces everything (still a valid diff). */
#define DIFF_LINES_MAX 400000

static unsigned floor_log2(size_t n) {
        return (unsigned) (sizeof(unsigned long long) * 8 - 1) - (unsigned) __builtin_clzll(n);
}

/* ---- Lines ------------------------------------------------------------------------------ */

int diff_text_init(DiffText *t, const char *data, size_t size) {
        size_t n = 0;

        *t = (DiffText) { .data = data ?: "", .size = data ? size : 0 };
        for (const char *p = t->data, *end = p + t->size; (p = memchr(p, '\n', (size_t) (end - p))); p++)
                n++;
        t->missing_newline = t->size > 0 && t->data[t->size - 1] != '\n';
        t->n_lines = n + t->missing_newline;
        t->starts = malloc((t->n_lines + 1) * sizeof *t->starts);
        if (!t->starts)
                return -ENOMEM;

        size_t off = 0;
        for (size_t i = 0; i < t->n_lines; i++) {
                const char *nl = memchr(t->data + off, '\n', t->size - off);

                t->starts[i] = off;
                off = nl ? (size_t) (nl - t->data) + 1 : t->size;
        }
        t->starts[t->n_lines] = t->size;
        return 0;
}

void diff_text_done(DiffText *t) {
        free(t->starts);
        t->starts = NULL;
}

/* The text as diff sees it: with a newline appended when the last one is missing. */
static char text_byte(const DiffText *t, size_t i) {
        return i < t->size ? t->data[i] : '\n';
}

/* The number of the line that starts at off, a line start or the end. */
static size_t line_at(const DiffText *t, size_t off) {
        size_t lo = 0, hi = t->n_lines;
        if (off >= t->size)
                return t->n_lines;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (t->starts[mid] < off)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

/* diff compares only what lies between the identical prefix and suffix, less a horizon of
 * `horizon` lines kept on each side so that shift_boundaries() can move changes into them. */
static void find_window(const DiffText *a, const DiffText *b, size_t horizon, size_t *ret_first,
                        size_t *ret_end_a, size_t *ret_end_b) {
        size_t n0 = a->size + a->missing_newline, n1 = b->size + b->missing_newline;
        size_t p = 0, lim = MIN(n0, n1), hor = horizon;

        while (p < lim && text_byte(a, p) == text_byte(b, p))
                p++;
        /* An appended newline is not part of the prefix unless both texts lack it. */
        if ((a->size < p) != (b->size < p))
                p--;
        while (p > 0) {
                if (text_byte(a, p - 1) == '\n') {
                        if (hor == 0)
                                break;
                        hor--;
                }
                p--;
        }
        *ret_first = line_at(a, p);

        size_t s0 = n0, s1 = n1;
        if (a->missing_newline == b->missing_newline) {
                size_t beg0 = p + (n0 < n1 ? 0 : n0 - n1);
                while (s0 != beg0) {
                        s0--, s1--;
                        if (text_byte(a, s0) != text_byte(b, s1)) {
                                s0++, s1++;
                                break;
                        }
                }
                bool at_line_start = (s0 == 0 || text_byte(a, s0 - 1) == '\n') &&
                                     (s1 == 0 || text_byte(b, s1 - 1) == '\n');
                size_t skip = horizon + !at_line_start, from = s0;
                for (; skip > 0 && s0 != n0; skip--)
                        while (text_byte(a, s0++) != '\n')
                                ;
                s1 += s0 - from;
        }
        *ret_end_a = line_at(a, s0);
        *ret_end_b = line_at(b, s1);
}

/* ---- Comparison ------------------------------------------------------------------------- */

typedef struct Comparison {
        ptrdiff_t lines[2];     /* lines in the window of each text */
        ptrdiff_t *equivs[2];   /* equivalence class of each window line */
        ptrdiff_t n_classes;
        bool *changed[2];       /* [-1] and [lines] exist and stay false */
        ptrdiff_t *undiscarded[2], *realindex[2], nondiscarded[2];
        ptrdiff_t *fd, *bd;
        ptrdiff_t too_expensive;
} Comparison;

typedef struct Partition {
        ptrdiff_t xmid, ymid;
        bool lo_minimal, hi_minimal;
} Partition;

static uint64_t hash_bytes(const char *s, size_t len) {
        uint64_t h = 14695981039346656037ULL;
        for (size_t i = 0; i < len; i++)
                h = (h ^ (uint8_t) s[i]) * 1099511628211ULL;
        return h;
}

static bool lines_equal(const DiffText *a, size_t i, const DiffText *b, size_t j) {
        size_t len = a->starts[i + 1] - a->starts[i];
        return len == b->starts[j + 1] - b->starts[j] && memcmp(a->data + a->starts[i], b->data + b->starts[j], len) == 0;
}

/* Numbers the distinct lines; lines are equal when their bytes, newline included, are. */
static int assign_classes(Comparison *c, const DiffText *t[2], size_t first) {
        size_t total = (size_t) (c->lines[0] + c->lines[1]), cap = 16;
        while (cap < 2 * total)
                cap *= 2;
        _cleanup_free_ ptrdiff_t *table = calloc(cap, sizeof *table); /* class + 1 */
        _cleanup_free_ size_t *repr = malloc((total + 1) * 2 * sizeof *repr); /* text, line */
        if (!table || !repr)
                return -ENOMEM;

        c->n_classes = 0;
        for (int f = 0; f < 2; f++)
                for (ptrdiff_t i = 0; i < c->lines[f]; i++) {
                        size_t line = first + (size_t) i;
                        size_t len = t[f]->starts[line + 1] - t[f]->starts[line];
                        size_t slot = (size_t) hash_bytes(t[f]->data + t[f]->starts[line], len) & (cap - 1);

                        for (;; slot = (slot + 1) & (cap - 1)) {
                                if (table[slot] == 0) {
                                        repr[2 * c->n_classes] = (size_t) f;
                                        repr[2 * c->n_classes + 1] = line;
                                        table[slot] = ++c->n_classes;
                                        break;
                                }
                                size_t k = 2 * (size_t) (table[slot] - 1);
                                if (lines_equal(t[repr[k]], repr[k + 1], t[f], line))
                                        break;
                        }
                        c->equivs[f][i] = table[slot] - 1;
                }
        return 0;
}

/* Lines that match nothing in the other text are changes for sure; lines that match very
 * many are left out of Myers when they sit among such lines. This is diff's own rule, which
 * decides among equally short scripts, so it is kept exactly. */
static int discard_confusing_lines(Comparison *c) {
        _cleanup_free_ ptrdiff_t *counts = calloc((size_t) c->n_classes * 2 + 1, sizeof *counts);
        _cleanup_free_ char *discards = calloc((size_t) (c->lines[0] + c->lines[1]) + 1, 1);
        if (!counts || !discards)
                return -ENOMEM;

        ptrdiff_t *count[2] = { counts, counts + c->n_classes };
        char *discarded[2] = { discards, discards + c->lines[0] };
        for (int f = 0; f < 2; f++)
                for (ptrdiff_t i = 0; i < c->lines[f]; i++)
                        count[f][c->equivs[f][i]]++;

        for (int f = 0; f < 2; f++) {
                ptrdiff_t end = c->lines[f], many = 5;
                if (end >= 64)
                        many <<= (floor_log2((size_t) end) >> 1) - 3;
                for (ptrdiff_t i = 0; i < end; i++) {
                        ptrdiff_t n = count[1 - f][c->equivs[f][i]];
                        discarded[f][i] = n == 0 ? 1 : n > many ? 2 : 0;
                }
        }

        for (int f = 0; f < 2; f++) {
                char *d = discarded[f];
                ptrdiff_t end = c->lines[f];
                for (ptrdiff_t i = 0; i < end; i++) {
                        if (d[i] == 2) {
                                d[i] = 0;
                                continue;
                        }
                        if (d[i] == 0)
                                continue;
                        ptrdiff_t j, provisional = 0, consec;
                        for (j = i; j < end && d[j] != 0; j++)
                                provisional += d[j] == 2;
                        while (j > i && d[j - 1] == 2)
                                d[--j] = 0, provisional--;
                        ptrdiff_t length = j - i;

                        if ((length >> 2) < provisional) {
                                while (j > i)
                                        if (d[--j] == 2)
                                                d[j] = 0;
                                continue;
                        }
                        ptrdiff_t minimum = length < 4 ? 2 : ((ptrdiff_t) 1 << ((floor_log2((size_t) length) >> 1) - 1)) + 1;
                        for (j = 0, consec = 0; j < length; j++)
                                if (d[i + j] != 2)
                                        consec = 0;
                                else if (minimum == ++consec)
                                        j -= consec;
                                else if (minimum < consec)
                                        d[i + j] = 0;
                        for (j = 0, consec = 0; j < length; j++) {
                                if (j >= 8 && d[i + j] == 1)
                                        break;
                                if (d[i + j] == 2)
                                        consec = 0, d[i + j] = 0;
                                else if (d[i + j] == 0)
                                        consec = 0;
                                else
                                        consec++;
                                if (consec == 3)
                                        break;
                        }
                        i += length - 1;
                        for (j = 0, consec = 0; j < length; j++) {
                                if (j >= 8 && d[i - j] == 1)
                                        break;
                                if (d[i - j] == 2)
                                        consec = 0, d[i - j] = 0;
                                else if (d[i - j] == 0)
                                        consec = 0;
                                else
                                        consec++;
                                if (consec == 3)
                                        break;
                        }
                }
        }

        for (int f = 0; f < 2; f++) {
                ptrdiff_t j = 0;
                for (ptrdiff_t i = 0; i < c->lines[f]; i++)
                        if (discarded[f][i] == 0) {
                                c->undiscarded[f][j] = c->equivs[f][i];
                                c->realindex[f][j++] = i;
                        } else
                                c->changed[f][i] = true;
                c->nondiscarded[f] = j;
        }
        return 0;
}

/* Myers' middle snake: searches forward from (xoff,yoff) and backward from (xlim,ylim) until
 * the paths overlap; past too_expensive steps it settles for the furthest point reached. */
static Partition diag(const Comparison *c, ptrdiff_t xoff, ptrdiff_t xlim, ptrdiff_t yoff, ptrdiff_t ylim,
                      bool find_minimal) {
        const ptrdiff_t *xv = c->undiscarded[0], *yv = c->undiscarded[1];
        ptrdiff_t *fd = c->fd, *bd = c->bd;
        const ptrdiff_t dmin = xoff - ylim, dmax = xlim - yoff;
        const ptrdiff_t fmid = xoff - yoff, bmid = xlim - ylim;
        ptrdiff_t fmin = fmid, fmax = fmid, bmin = bmid, bmax = bmid;
        bool odd = (fmid - bmid) & 1;

        fd[fmid] = xoff;
        bd[bmid] = xlim;
        for (ptrdiff_t cost = 1;; cost++) {
                if (fmin > dmin)
                        fd[--fmin - 1] = -1;
                else
                        fmin++;
                if (fmax < dmax)
                        fd[++fmax + 1] = -1;
                else
                        fmax--;
                for (ptrdiff_t d = fmax; d >= fmin; d -= 2) {
                        ptrdiff_t lo = fd[d - 1], hi = fd[d + 1];
                        ptrdiff_t x = lo < hi ? hi : lo + 1, y = x - d;
                        while (x < xlim && y < ylim && xv[x] == yv[y])
                                x++, y++;
                        fd[d] = x;
                        if (odd && bmin <= d && d <= bmax && bd[d] <= x)
                                return (Partition) { x, y, true, true };
                }

                if (bmin > dmin)
                        bd[--bmin - 1] = PTRDIFF_MAX;
                else
                        bmin++;
                if (bmax < dmax)
                        bd[++bmax + 1] = PTRDIFF_MAX;
                else
                        bmax--;
                for (ptrdiff_t d = bmax; d >= bmin; d -= 2) {
                        ptrdiff_t lo = bd[d - 1], hi = bd[d + 1];
                        ptrdiff_t x = lo < hi ? lo : hi - 1, y = x - d;
                        while (xoff < x && yoff < y && xv[x - 1] == yv[y - 1])
                                x--, y--;
                        bd[d] = x;
                        if (!odd && fmin <= d && d <= fmax && x <= fd[d])
                                return (Partition) { x, y, true, true };
                }

                if (find_minimal || cost < c->too_expensive)
                        continue;

                ptrdiff_t fxybest = -1, fxbest = 0, bxybest = PTRDIFF_MAX, bxbest = 0;
                for (ptrdiff_t d = fmax; d >= fmin; d -= 2) {
                        ptrdiff_t x = MIN(fd[d], xlim), y = x - d;
                        if (ylim < y)
                                x = ylim + d, y = ylim;
                        if (fxybest < x + y)
                                fxybest = x + y, fxbest = x;
                }
                for (ptrdiff_t d = bmax; d >= bmin; d -= 2) {
                        ptrdiff_t x = MAX(xoff, bd[d]), y = x - d;
                        if (y < yoff)
                                x = yoff + d, y = yoff;
                        if (x + y < bxybest)
                                bxybest = x + y, bxbest = x;
                }
                if ((xlim + ylim) - bxybest < fxybest - (xoff + yoff))
                        return (Partition) { fxbest, fxybest - fxbest, true, false };
                return (Partition) { bxbest, bxybest - bxbest, false, true };
        }
}

/* Recurses into the smaller half and loops on the other, so the depth stays logarithmic. */
static void compareseq(Comparison *c, ptrdiff_t xoff, ptrdiff_t xlim, ptrdiff_t yoff, ptrdiff_t ylim,
                       bool find_minimal) {
        const ptrdiff_t *xv = c->undiscarded[0], *yv = c->undiscarded[1];

        for (;;) {
                while (xoff < xlim && yoff < ylim && xv[xoff] == yv[yoff])
                        xoff++, yoff++;
                while (xoff < xlim && yoff < ylim && xv[xlim - 1] == yv[ylim - 1])
                        xlim--, ylim--;
                if (xoff == xlim || yoff == ylim) {
                        for (; yoff < ylim; yoff++)
                                c->changed[1][c->realindex[1][yoff]] = true;
                        for (; xoff < xlim; xoff++)
                                c->changed[0][c->realindex[0][xoff]] = true;
                        return;
                }

                Partition p = diag(c, xoff, xlim, yoff, ylim, find_minimal);
                if ((xlim + ylim) - (p.xmid + p.ymid) < (p.xmid + p.ymid) - (xoff + yoff)) {
                        compareseq(c, p.xmid, xlim, p.ymid, ylim, p.hi_minimal);
                        xlim = p.xmid, ylim = p.ymid, find_minimal = p.lo_minimal;
                } else {
                        compareseq(c, xoff, p.xmid, yoff, p.ymid, p.lo_minimal);
                        xoff = p.xmid, yoff = p.ymid, find_minimal = p.hi_minimal;
                }
        }
}

/* Slides each run of changes over equal lines: back to merge with earlier runs, then forward as
 * far as it goes, then back to line up with a run in the other text when it can. */
static void shift_boundaries(Comparison *c) {
        for (int f = 0; f < 2; f++) {
                bool *changed = c->changed[f], *other = c->changed[1 - f];
                const ptrdiff_t *eq = c->equivs[f];
                ptrdiff_t i = 0, j = 0, end = c->lines[f];

                for (;;) {
                        while (i < end && !changed[i]) {
                                while (other[j++])
                                        ;
                                i++;
                        }
                        if (i == end)
                                break;

                        ptrdiff_t start = i, runlength, corresponding;
                        while (changed[++i])
                                ;
                        while (other[j])
                                j++;
                        do {
                                runlength = i - start;
                                while (start > 0 && eq[start - 1] == eq[i - 1]) {
                                        changed[--start] = true;
                                        changed[--i] = false;
                                        while (changed[start - 1])
                                                start--;
                                        while (other[--j])
                                                ;
                                }
                                corresponding = other[j - 1] ? i : end;
                                while (i != end && eq[start] == eq[i]) {
                                        changed[start++] = false;
                                        changed[i++] = true;
                                        while (changed[i])
                                                i++;
                                        while (other[++j])
                                                corresponding = i;
                                }
                        } while (runlength != i - start);

                        while (corresponding < i) {
                                changed[--start] = true;
                                changed[--i] = false;
                                while (other[--j])
                                        ;
                        }
                }
        }
}

static void comparison_done(Comparison *c) {
        for (int f = 0; f < 2; f++) {
                free(c->equivs[f]);
                free(c->undiscarded[f]);
                free(c->realindex[f]);
                free(c->changed[f] ? c->changed[f] - 1 : NULL);
        }
        free(c->fd ? c->fd - (c->nondiscarded[1] + 1) : NULL);
}

/* The changes as (line, count) pairs in whole-text line numbers, in order. */
int diff_compute_changes(const DiffText *a, const DiffText *b, size_t context, DiffChange **ret, size_t *ret_n) {
        _cleanup_(comparison_done) Comparison c = {};
        const DiffText *t[2] = { a, b };
        size_t first, end[2];

        find_window(a, b, context, &first, &end[0], &end[1]);
        for (int f = 0; f < 2; f++) {
                size_t n = end[f] - first;
                c.lines[f] = (ptrdiff_t) n;
                c.equivs[f] = malloc((n + 1) * sizeof(ptrdiff_t));
                c.undiscarded[f] = malloc((n + 1) * sizeof(ptrdiff_t));
                c.realindex[f] = malloc((n + 1) * sizeof(ptrdiff_t));
                c.changed[f] = calloc(n + 2, sizeof(bool));
                if (!c.equivs[f] || !c.undiscarded[f] || !c.realindex[f] || !c.changed[f])
                        return -ENOMEM;
                c.changed[f]++;
        }

        if (c.lines[0] + c.lines[1] > DIFF_LINES_MAX) {
                /* Too many to compare: everything but the equal lines at both ends changes. */
                ptrdiff_t lo = 0, hi = 0;
                while (lo < MIN(c.lines[0], c.lines[1]) && lines_equal(a, first + lo, b, first + lo))
                        lo++;
                while (hi < MIN(c.lines[0], c.lines[1]) - lo &&
                       lines_equal(a, first + c.lines[0] - 1 - hi, b, first + c.lines[1] - 1 - hi))
                        hi++;
                for (int f = 0; f < 2; f++)
                        memset(c.changed[f] + lo, true, (size_t) (c.lines[f] - lo - hi));
        } else {
                int r = assign_classes(&c, t, first);
                if (r < 0)
                        return r;
                r = discard_confusing_lines(&c);
                if (r < 0)
                        return r;

                size_t diags = (size_t) (c.nondiscarded[0] + c.nondiscarded[1] + 3);
                c.fd = malloc(2 * diags * sizeof(ptrdiff_t));
                if (!c.fd)
                        return -ENOMEM;
                c.bd = c.fd + diags + c.nondiscarded[1] + 1;
                c.fd += c.nondiscarded[1] + 1;
                c.too_expensive = MAX(4096, (ptrdiff_t) 1 << ((floor_log2(diags) >> 1) + 1));

                compareseq(&c, 0, c.nondiscarded[0], 0, c.nondiscarded[1], false);
                shift_boundaries(&c);
        }

        size_t n = 0, cap = 0;
        _cleanup_free_ DiffChange *changes = NULL;
        for (ptrdiff_t i0 = 0, i1 = 0; i0 < c.lines[0] || i1 < c.lines[1]; i0++, i1++) {
                if (!c.changed[0][i0] && !c.changed[1][i1])
                        continue;
                DiffChange ch = { i0 + (ptrdiff_t) first, i1 + (ptrdiff_t) first, 0, 0 };
                while (c.changed[0][i0])
                        i0++, ch.deleted++;
                while (c.changed[1][i1])
                        i1++, ch.inserted++;
                if (n == cap) {
                        DiffChange *m = reallocarray(changes, cap = cap ? cap * 2 : 16, sizeof *changes);
                        if (!m)
                                return -ENOMEM;
                        changes = m;
                }
                changes[n++] = ch;
        }
        *ret = TAKE_PTR(changes);
        *ret_n = n;
        return 0;
}
