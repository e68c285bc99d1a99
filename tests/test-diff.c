/* SPDX-License-Identifier: MIT */
/*
 * diff_unified() against the judge, GNU diff: every comparison case writes both texts to files,
 * runs `diff -u --label A --label B` (no shell) and wants the very same bytes and exit status.
 * Secret masking is checked in test-diff-secrets.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff-test-text.h"
#include "remedy/diff.h"
#include "remedy/macro.h"
#include "tap.h"
#include "test-util.h"

static char *tmpdir;

/* ---- Text helpers ----------------------------------------------------------------------- */

static char *to_crlf(const char *text) {
        size_t n = strlen(text), k = 0;
        char *r = malloc(2 * n + 1);
        if (!r)
                abort();
        for (size_t i = 0; i < n; i++) {
                if (text[i] == '\n')
                        r[k++] = '\r';
                r[k++] = text[i];
        }
        r[k] = 0;
        return r;
}

/* ---- The judge -------------------------------------------------------------------------- */

static char *ours(const char *a, size_t a_size, const char *b, size_t b_size, unsigned context, bool color,
                  int *ret) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        if (!f)
                abort();
        *ret = diff_unified(f, a, a_size, b, b_size, "A", "B", &(DiffOptions) { .color = color, .context = context });
        fclose(f);
        return buf;
}

/* Compares with `diff -U context`; quiet unless it differs. */
static bool same_as_gnu(const char *name, const char *a, size_t a_size, const char *b, size_t b_size,
                        unsigned context, bool report) {
        _cleanup_free_ char *fa = NULL, *fb = NULL, *want = NULL, *err = NULL, *got = NULL, *u = NULL;
        int r;

        if (asprintf(&fa, "%s/a", tmpdir) < 0 || asprintf(&fb, "%s/b", tmpdir) < 0 ||
            asprintf(&u, "-U%u", context) < 0)
                abort();
        write_file(fa, a, a_size);
        write_file(fb, b, b_size);
        char *argv[] = { "diff", context == 3 ? "-u" : u, "--label", "A", "--label", "B", fa, fb, NULL };
        int status = run_capture(argv, &want, &err);
        got = ours(a, a_size, b, b_size, context, false, &r);

        bool good = status == r && streq(want, got) && (status == 0 || status == 1);
        if (good && context == 3) {
                _cleanup_free_ char *s = NULL;
                good = diff_unified_string(a, a_size, b, b_size, "A", "B", &s) == r && streq(s, got);
        }
        if (!good && report) {
                diag("%s: diff exit %d%s%s, ours %d", name, status, *err ? ", stderr: " : "", err, r);
                size_t at = 0;
                while (want[at] && want[at] == got[at])
                        at++;
                size_t from = at > 400 ? at - 400 : 0;
                diag("first difference at byte %zu; diff -U%u printed:\n%.800s", at, context, want + from);
                diag("we printed:\n%.800s", got + from);
        }
        return good;
}

static void check_gnu(const char *name, const char *a, const char *b) {
        ok(!text_has_secret(a, strlen(a)) && !text_has_secret(b, strlen(b)), "%s: no secrets to mask", name);
        ok(same_as_gnu(name, a, strlen(a), b, strlen(b), 3, true), "%s: byte-identical to diff -u", name);
}

/* ---- Comparison cases ------------------------------------------------------------------- */

static void test_kubelet_config(void) {
        _cleanup_free_ char *orig = read_fixture("diff/kubelet-config.yaml", NULL);
        _cleanup_free_ char *driver = replace(orig, "cgroupDriver: systemd", "cgroupDriver: cgroupfs");
        _cleanup_free_ char *start = NULL, *end = NULL, *crlf = to_crlf(orig), *crlf_edit = NULL;
        _cleanup_free_ char *no_nl = strndup(orig, strlen(orig) - 1), *scattered = NULL, *removed = NULL;

        if (asprintf(&start, "# remedy: swap accounting for kubelet\n%s", orig) < 0 ||
            asprintf(&end, "%sfailSwapOn: false\nmemorySwap:\n  swapBehavior: LimitedSwap\n", orig) < 0)
                abort();

        Lines l = lines_split(orig);
        for (size_t i = 2; i < l.n; i += 9) { /* every ninth line edited: many hunks */
                lines_delete(&l, i);
                lines_insert(&l, i, "  editedLine: true\n", 19);
        }
        lines_insert(&l, 20, "serializeImagePulls: false\n", 27);
        lines_delete(&l, 30);
        scattered = lines_join(&l);

        l = lines_split(orig);
        for (size_t i = 0; i < 8; i++) /* the authentication block */
                lines_delete(&l, 1);
        removed = lines_join(&l);

        crlf_edit = replace(crlf, "healthzPort: 10248", "healthzPort: 10249");

        check_gnu("kubelet: identical", orig, orig);
        check_gnu("kubelet: cgroupDriver changed", orig, driver);
        check_gnu("kubelet: insert at start", orig, start);
        check_gnu("kubelet: delete at start", start, orig);
        check_gnu("kubelet: append at end", orig, end);
        check_gnu("kubelet: delete at end", end, orig);
        check_gnu("kubelet: many hunks", orig, scattered);
        check_gnu("kubelet: block removed", orig, removed);
        check_gnu("kubelet: newline at end removed", orig, no_nl);
        check_gnu("kubelet: newline at end added", no_nl, orig);
        check_gnu("kubelet: LF to CRLF", orig, crlf);
        check_gnu("kubelet: CRLF edit", crlf, crlf_edit);
        check_gnu("kubelet: emptied", orig, "");
        check_gnu("kubelet: created", "", orig);

        for (unsigned c = 0; c <= 6; c++) {
                if (c == 3)
                        continue;
                ok(same_as_gnu("kubelet: context", orig, strlen(orig), scattered, strlen(scattered), c, true),
                   "kubelet: many hunks with %u lines of context like diff -U%u", c, c);
        }
}

static void test_containerd_config(void) {
        _cleanup_free_ char *orig = read_fixture("diff/containerd-config.toml", NULL);
        _cleanup_free_ char *cgroup = replace(orig, "SystemdCgroup = false", "SystemdCgroup = true");
        _cleanup_free_ char *pause = replace(orig, "registry.k8s.io/pause:3.6", "registry.k8s.io/pause:3.9");
        _cleanup_free_ char *mirrors = replace(pause, "      config_path = \"\"",
                                               "      config_path = \"/etc/containerd/certs.d\"");
        _cleanup_free_ char *no_cgroup = NULL, *dup = NULL;

        /* Drop the whole [...cri.containerd.runtimes.runc.options] table. */
        Lines l = lines_split(orig);
        size_t at = 0;
        while (at < l.n && !strstr(l.v[at], "runtimes.runc.options]"))
                at++;
        if (at == l.n)
                abort();
        while (at < l.n && strcmp(l.v[at], "\n") != 0)
                lines_delete(&l, at);
        no_cgroup = lines_join(&l);

        if (asprintf(&dup, "%s%s", orig, orig) < 0)
                abort();

        check_gnu("containerd: SystemdCgroup", orig, cgroup);
        check_gnu("containerd: pause image and registry config_path", orig, mirrors);
        check_gnu("containerd: runc options table removed", orig, no_cgroup);
        check_gnu("containerd: runc options table added", no_cgroup, orig);
        check_gnu("containerd: file doubled", orig, dup);
        check_gnu("containerd to kubelet config", orig, "apiVersion: kubelet.config.k8s.io/v1beta1\n");
}

static void test_small_cases(void) {
        static const struct {
                const char *name, *a, *b;
        } cases[] = {
                { "empty vs empty", "", "" },
                { "empty vs one line", "", "a\n" },
                { "one line vs empty", "a\n", "" },
                { "empty vs newline only", "", "\n" },
                { "empty vs no newline", "", "a" },
                { "no newline vs empty", "a", "" },
                { "only the final newline differs", "a\nb", "a\nb\n" },
                { "both without newline, last line changed", "a\nb\nc", "a\nb\nd" },
                { "both without newline, same last line", "1\n2\n3\n4\n5\n6\nend", "1\nX\n3\n4\n5\n6\nend" },
                { "change just before a missing newline", "1\n2\nend", "1\nX\nend" },
                { "insert at start", "b\nc\n", "a\nb\nc\n" },
                { "insert at end", "a\nb\n", "a\nb\nc\n" },
                { "repeated lines", "a\na\na\nb\na\na\n", "a\na\nb\na\na\na\n" },
                { "blank lines shift", "x\n\n\ny\n\nz\n", "x\n\ny\n\n\nz\n" },
                { "braces", "f {\n  a\n}\n\ng {\n  b\n}\n", "f {\n  a\n}\n\nh {\n  c\n}\n\ng {\n  b\n}\n" },
                { "CR only at the end", "a\r\nb\r\n", "a\r\nb\n" },
                { "two hunks 7 lines apart", "0\n1\n2\n3\n4\n5\n6\n7\n8\n", "X\n1\n2\n3\n4\n5\n6\n7\nY\n" },
                { "two hunks 6 lines apart", "0\n1\n2\n3\n4\n5\n6\n7\n", "X\n1\n2\n3\n4\n5\n6\nY\n" },
                { "binary", "a\0b\n", "a\0c\n" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                /* The binary case holds a NUL: its sizes count to the final newline. */
                size_t na = i + 1 == ELEMENTSOF(cases) ? 4 : strlen(cases[i].a);
                size_t nb = i + 1 == ELEMENTSOF(cases) ? 4 : strlen(cases[i].b);
                ok(same_as_gnu(cases[i].name, cases[i].a, na, cases[i].b, nb, 3, true), "%s: byte-identical to diff -u",
                   cases[i].name);
        }

        /* Unlike GNU diff, controls and the code points that act on a terminal are shown escaped
         * (term-escape.h), in the lines and in the labels; a CR before the newline stays. */
        static const struct {
                const char *name, *a, *b, *want;
        } control_cases[] = {
                { "lone CR inside a line", "a\rb\n", "a\rc\n", "--- A\n+++ B\n@@ -1 +1 @@\n-a\\x0db\n+a\\x0dc\n" },
                { "ESC sequences", "# \x1b]0;pwned\x07\nx\n", "# \x1b]0;pwned\x07\ny\x1b[2J\r\n",
                  "--- A\n+++ B\n@@ -1,2 +1,2 @@\n # \\x1b]0;pwned\\x07\n-x\n+y\\x1b[2J\r\n" },
                { "C1, separators, bidi, DEL", "a\n", "\xc2\x9b\xe2\x80\xa8\xe2\x80\xae\x7f\n",
                  "--- A\n+++ B\n@@ -1 +1 @@\n-a\n+\\u009b\\u2028\\u202e\\x7f\n" },
        };
        for (size_t i = 0; i < ELEMENTSOF(control_cases); i++) {
                _cleanup_free_ char *d = NULL;
                diff_unified_string(control_cases[i].a, strlen(control_cases[i].a), control_cases[i].b,
                                    strlen(control_cases[i].b), "A", "B", &d);
                is_str(d, control_cases[i].want, "%s: shown escaped", control_cases[i].name);
        }
        _cleanup_free_ char *labels = NULL;
        diff_unified_string("a\n", 2, "b\n", 2, "/etc/\x1b[2Jx", "/etc/\x1b[2Jx (planned)", &labels);
        is_str(labels, "--- /etc/\\x1b[2Jx\n+++ /etc/\\x1b[2Jx (planned)\n@@ -1 +1 @@\n-a\n+b\n", "labels: shown escaped");

        _cleanup_free_ char *s = NULL;
        is_int(diff_unified_string("same\n", 5, "same\n", 5, "A", "B", &s), 0, "identical texts: 0");
        is_str(s, "", "identical texts: nothing printed");

        /* Unlike GNU diff, bytes that are not UTF-8 make a file binary: they would reach the
         * terminal raw. Valid UTF-8 stays text. */
        static const struct {
                const char *name, *a, *b;
                bool binary;
        } utf8_cases[] = {
                { "Latin-1 comment", "# caf\xe9\nx = 1\n", "# caf\xe9\nx = 2\n", true },
                { "overlong slash", "a\n", "\xc0\xaf\n", true },
                { "surrogate", "a\n", "\xed\xa0\x80\n", true },
                { "past U+10FFFF", "a\n", "\xf4\x90\x80\x80\n", true },
                { "sequence cut at the end", "a\n", "b\xe2\x82", true },
                { "UTF-8 comment", "# caf\xc3\xa9\nx = 1\n", "# caf\xc3\xa9\nx = 2\n", false },
                { "four-byte character", "a\n", "\xf0\x9f\x90\xb3\n", false },
        };
        for (size_t i = 0; i < ELEMENTSOF(utf8_cases); i++) {
                _cleanup_free_ char *d = NULL;
                is_int(diff_unified_string(utf8_cases[i].a, strlen(utf8_cases[i].a), utf8_cases[i].b,
                                           strlen(utf8_cases[i].b), "A", "B", &d),
                       1, "%s: differs", utf8_cases[i].name);
                if (utf8_cases[i].binary)
                        is_str(d, "Binary files A and B differ\n", "%s: binary, bytes not shown", utf8_cases[i].name);
                else
                        ok(d && strstr(d, "@@ ") && strstr(d, utf8_cases[i].b[0] == '#' ? "+x = 2" : utf8_cases[i].b),
                           "%s: a text diff", utf8_cases[i].name);
        }
}

static uint64_t rng_state = 0x5eed2024;

static uint64_t rng(void) { /* splitmix64: the same sequence on every libc */
        uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

static size_t pick(size_t n) {
        return n ? (size_t) (rng() % n) : 0;
}

static char *random_text(Lines *l, bool crlf, bool final_newline) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        if (!f)
                abort();
        for (size_t i = 0; i < l->n; i++)
                fprintf(f, "%s%s", l->v[i], i + 1 < l->n || final_newline ? (crlf ? "\r\n" : "\n") : "");
        fclose(f);
        return buf;
}

static void test_random(void) {
        static const char *const vocab[] = {
                "a", "b", "c", "", "}", "  enabled: true", "- 10.96.0.10", "[plugins]", "d", "e",
        };
        unsigned failed = 0, cases = 0;

        for (unsigned k = 0; k < 500; k++) {
                size_t sizes[] = { 0, 1, 2, 5, 10, 30, 80, 200 }, words = 2 + pick(ELEMENTSOF(vocab) - 1);
                size_t n = sizes[pick(ELEMENTSOF(sizes))];
                Lines a = {}, b = {};

                for (size_t i = 0; i < n; i++) {
                        const char *w = vocab[pick(words)];
                        lines_insert(&a, a.n, w, strlen(w));
                        lines_insert(&b, b.n, w, strlen(w));
                }
                for (size_t e = pick(9); e > 0; e--) {
                        size_t at = pick(b.n + 1), op = pick(4);
                        char fresh[32];
                        snprintf(fresh, sizeof fresh, "new %zu", pick(6));
                        const char *w = pick(3) == 0 ? fresh : vocab[pick(words)];
                        if (op == 0 || b.n == 0)
                                lines_insert(&b, at, w, strlen(w));
                        else if (op == 1)
                                lines_delete(&b, MIN(at, b.n - 1));
                        else if (op == 2) {
                                lines_delete(&b, MIN(at, b.n - 1));
                                lines_insert(&b, MIN(at, b.n), w, strlen(w));
                        } else { /* repeat the few lines before at */
                                size_t j = 1 + pick(4), from = at >= j ? at - j : 0;
                                for (size_t x = 0; x < at - from; x++)
                                        lines_insert(&b, at + x, b.v[from + x], strlen(b.v[from + x]));
                        }
                }

                _cleanup_free_ char *ta = random_text(&a, pick(10) == 0, pick(5) != 0);
                _cleanup_free_ char *tb = random_text(&b, pick(10) == 0, pick(5) != 0);
                unsigned contexts[] = { 3, 3, 3, 0, 1, 2, 5 };
                unsigned context = contexts[pick(ELEMENTSOF(contexts))];
                free(lines_join(&a));
                free(lines_join(&b));

                cases++;
                if (!same_as_gnu("random", ta, strlen(ta), tb, strlen(tb), context, failed == 0))
                        failed++;
        }
        ok(failed == 0, "random edits: %u of %u cases byte-identical to diff", cases - failed, cases);
}

/* Thousands of shuffled lines: diff gives up on a minimal script there ("too expensive"), and so
 * must we, at the same point. Then more lines than we compare at all: one replacing hunk. */
static void test_large(void) {
        char *a = NULL, *b = NULL;
        size_t na = 0, nb = 0;
        FILE *fa = open_memstream(&a, &na), *fb = open_memstream(&b, &nb);
        if (!fa || !fb)
                abort();
        for (unsigned i = 0; i < 30000; i++) {
                fprintf(fa, "w%u\n", (unsigned) pick(60));
                fprintf(fb, "w%u\n", (unsigned) pick(60));
        }
        fclose(fa);
        fclose(fb);
        ok(same_as_gnu("30000 shuffled lines", a, na, b, nb, 3, true), "30000 shuffled lines: byte-identical to diff -u");
        free(a);
        free(b);

        fa = open_memstream(&a, &na);
        fb = open_memstream(&b, &nb);
        if (!fa || !fb)
                abort();
        fputs("head\n", fa);
        fputs("head\n", fb);
        for (unsigned i = 0; i < 250000; i++) {
                fprintf(fa, "old %u\n", i);
                fprintf(fb, "new %u\n", i);
        }
        fputs("tail\n", fa);
        fputs("tail\n", fb);
        fclose(fa);
        fclose(fb);
        ok(same_as_gnu("500000 changed lines", a, na, b, nb, 3, true), "500000 changed lines: byte-identical to diff -u");
        free(a);
        free(b);
}

static void test_color(void) {
        int r;
        _cleanup_free_ char *got = ours("one\ntwo\nthree\n", 14, "one\n2\nthree\nfour", 16, 3, true, &r);
        is_int(r, 1, "colour: different");
        is_str(got,
               "\033[1m--- A\033[m\n"
               "\033[1m+++ B\033[m\n"
               "\033[36m@@ -1,3 +1,4 @@\033[m\n"
               " one\n"
               "\033[31m-two\033[m\n"
               "\033[32m+2\033[m\n"
               " three\n"
               "\033[32m+four\033[m\n"
               "\\ No newline at end of file\n",
               "colour: bold headers, cyan @@, red -, green +, reset at each end of line");
}

int main(void) {
        /* diff's messages ("\ No newline at end of file") in English. */
        setenv("LC_ALL", "C", 1);
        if (!program_exists("diff")) {
                ok(false, "GNU diff (diffutils) is installed: it is the judge");
                return tap_done();
        }
        tmpdir = make_temp_dir("diff");

        test_small_cases();
        test_kubelet_config();
        test_containerd_config();
        test_random();
        test_large();
        test_color();

        rm_rf(tmpdir);
        free(tmpdir);
        return tap_done();
}
