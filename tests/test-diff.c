/* SPDX-License-Identifier: MIT */
/*
 * diff_unified() against the judge, GNU diff: every comparison case writes both texts to files,
 * runs `diff -u --label A --label B` (no shell) and wants the very same bytes and exit status.
 * Secret masking is checked on kubeconfigs, keys, bootstrap tokens and command lines.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/diff.h"
#include "remedy/macro.h"
#include "tap.h"
#include "test-util.h"

static char *tmpdir;

/* ---- Text helpers ----------------------------------------------------------------------- */

typedef struct Lines {
        char **v; /* each with its terminator, if any */
        size_t n, cap;
} Lines;

static void lines_insert(Lines *l, size_t at, const char *s, size_t len) {
        if (l->n == l->cap) {
                l->cap = l->cap ? l->cap * 2 : 16;
                l->v = realloc(l->v, l->cap * sizeof *l->v);
                if (!l->v)
                        abort();
        }
        memmove(l->v + at + 1, l->v + at, (l->n - at) * sizeof *l->v);
        l->v[at] = strndup(s, len);
        if (!l->v[at])
                abort();
        l->n++;
}

static void lines_delete(Lines *l, size_t at) {
        free(l->v[at]);
        memmove(l->v + at, l->v + at + 1, (l->n - at - 1) * sizeof *l->v);
        l->n--;
}

static Lines lines_split(const char *text) {
        Lines l = {};
        for (const char *p = text; *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p) + 1 : strlen(p);
                lines_insert(&l, l.n, p, len);
                p += len;
        }
        return l;
}

static char *lines_join(Lines *l) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        if (!f)
                abort();
        for (size_t i = 0; i < l->n; i++) {
                fputs(l->v[i], f);
                free(l->v[i]);
        }
        fclose(f);
        free(l->v);
        *l = (Lines) {};
        return buf;
}

/* text with the first occurrence of old replaced; aborts when old is missing, since then the
 * case would not test what it says. */
static char *replace(const char *text, const char *old, const char *new) {
        const char *at = strstr(text, old);
        char *r;
        if (!at) {
                diag("fixture lacks \"%s\"", old);
                abort();
        }
        if (asprintf(&r, "%.*s%s%s", (int) (at - text), text, new, at + strlen(old)) < 0)
                abort();
        return r;
}

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

/* The value after "key: " up to the end of its line. */
static char *value_of(const char *text, const char *key) {
        const char *at = strstr(text, key);
        if (!at)
                abort();
        at += strlen(key);
        return strndup(at, strcspn(at, "\r\n"));
}

/* True when no 12-byte piece of secret appears in out. */
static bool leaks_nothing_of(const char *out, const char *secret) {
        size_t n = strlen(secret), w = MIN(n, (size_t) 12);
        for (size_t i = 0; i + w <= n; i++)
                if (memmem(out, strlen(out), secret + i, w))
                        return false;
        return true;
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
                { "lone CR inside a line", "a\rb\n", "a\rc\n" },
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

        _cleanup_free_ char *s = NULL;
        is_int(diff_unified_string("same\n", 5, "same\n", 5, "A", "B", &s), 0, "identical texts: 0");
        is_str(s, "", "identical texts: nothing printed");
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

/* ---- Secrets ---------------------------------------------------------------------------- */

static void test_kubeconfig_secret(void) {
        _cleanup_free_ char *a = read_fixture("diff/admin.conf", NULL);
        _cleanup_free_ char *old_key = value_of(a, "client-key-data: ");
        _cleanup_free_ char *new_key = strdup(old_key + 100); /* shorter: length must not show */
        _cleanup_free_ char *b1 = replace(a, old_key, new_key);
        _cleanup_free_ char *b = replace(b1, "server: https://10.0.0.10:6443", "server: https://10.0.0.11:6443");
        _cleanup_free_ char *out = NULL, *out_longer = NULL, *masked = NULL;

        ok(text_has_secret(a, strlen(a)), "admin.conf: has a secret");
        is_int(diff_unified_string(a, strlen(a), b, strlen(b), "admin.conf", "admin.conf.new", &out), 1,
               "admin.conf: key and server changed: different");
        /* Both keys start and end with the base64 of the PEM armour, as the certificate does. */
        _cleanup_free_ char *old_body = strndup(old_key + 64, strlen(old_key) - 128);
        _cleanup_free_ char *new_body = strndup(new_key + 64, strlen(new_key) - 128);
        ok(leaks_nothing_of(out, old_body) && leaks_nothing_of(out, new_body), "admin.conf: no piece of either key shown");
        ok(strstr(out, "\n-    client-key-data: <redacted>\n+    client-key-data: <redacted>\n") != NULL,
           "admin.conf: the changed key is a masked -/+ pair");
        ok(strstr(out, "\n-    server: https://10.0.0.10:6443\n+    server: https://10.0.0.11:6443\n") != NULL,
           "admin.conf: the server change next to it shows normally");
        ok(strstr(out, "\n     client-certificate-data: LS0t") != NULL, "admin.conf: the certificate is context");

        /* The same change with a longer new key prints exactly the same. */
        _cleanup_free_ char *longer = NULL;
        if (asprintf(&longer, "%s%s", old_key, "QUFBQUFBQUFBQUFB") < 0)
                abort();
        _cleanup_free_ char *b2 = replace(a, old_key, longer);
        _cleanup_free_ char *b3 = replace(b2, "server: https://10.0.0.10:6443", "server: https://10.0.0.11:6443");
        is_int(diff_unified_string(a, strlen(a), b3, strlen(b3), "admin.conf", "admin.conf.new", &out_longer), 1,
               "admin.conf: longer key: different");
        is_str(out_longer, out, "admin.conf: the output does not depend on the key's length");

        masked = text_mask_secrets(a, strlen(a));
        ok(masked && leaks_nothing_of(masked, old_body) && strstr(masked, "    client-key-data: <redacted>\n"),
           "admin.conf: text_mask_secrets() masks the key");
        ok(masked && strstr(masked, "    server: https://10.0.0.10:6443\n"), "admin.conf: and keeps the rest");

        static const char small_a[] = "- name: admin\n  user:\n    client-certificate-data: Q0VSVA==\n"
                                      "    client-key-data: S0VZMQ==\n";
        static const char small_b[] = "- name: admin\n  user:\n    client-certificate-data: Q0VSVA==\n"
                                      "    client-key-data: S0VZMi1sb25nZXI=\n";
        _cleanup_free_ char *small = NULL;
        is_int(diff_unified_string(small_a, sizeof small_a - 1, small_b, sizeof small_b - 1, "a", "b", &small),
               1, "small kubeconfig: different");
        is_str(small,
               "--- a\n+++ b\n@@ -1,4 +1,4 @@\n"
               " - name: admin\n"
               "   user:\n"
               "     client-certificate-data: Q0VSVA==\n"
               "-    client-key-data: <redacted>\n"
               "+    client-key-data: <redacted>\n",
               "small kubeconfig: exact masked diff");
}

static void test_pem_secret(void) {
        _cleanup_free_ char *a = read_fixture("diff/apiserver.key", NULL);
        _cleanup_free_ char *out = NULL, *same_out = NULL;
        Lines l = lines_split(a);
        _cleanup_free_ char *old_line = strndup(l.v[2], 64);

        /* A new third line, the same length, every character shifted. */
        char *changed = strdup(l.v[2]);
        for (char *p = changed; *p && *p != '\n'; p++)
                *p = *p == 'z' ? 'a' : *p == 'Z' ? 'A' : *p == '9' ? '0' : *p == '/' || *p == '+' ? *p : (char) (*p + 1);
        lines_delete(&l, 2);
        lines_insert(&l, 2, changed, strlen(changed));
        free(changed);
        Lines body = lines_split(a);
        _cleanup_free_ char *b = lines_join(&l);

        ok(text_has_secret(a, strlen(a)), "apiserver.key: has a secret");
        is_int(diff_unified_string(a, strlen(a), b, strlen(b), "apiserver.key", "apiserver.key", &out), 1,
               "apiserver.key: one body line changed: different");
        bool leak = false;
        for (size_t i = 1; i + 1 < body.n; i++)
                leak = leak || !leaks_nothing_of(out, body.v[i]);
        ok(!leak && leaks_nothing_of(out, old_line), "apiserver.key: no piece of the key shown");
        is_str(out,
               "--- apiserver.key\n+++ apiserver.key\n@@ -1,6 +1,6 @@\n"
               " -----BEGIN RSA PRIVATE KEY-----\n"
               " <redacted>\n"
               "-<redacted>\n"
               "+<redacted>\n"
               " <redacted>\n"
               " <redacted>\n"
               " <redacted>\n",
               "apiserver.key: BEGIN shown, body masked, the change a -/+ pair");
        free(lines_join(&body));

        _cleanup_free_ char *crt = read_fixture("diff/apiserver.crt", NULL);
        ok(!text_has_secret(crt, strlen(crt)), "apiserver.crt: a certificate is no secret");

        /* A key inside a YAML block scalar, next to a certificate. */
        _cleanup_free_ char *tls = read_fixture("diff/tls-secret.yaml", NULL);
        _cleanup_free_ char *tls_masked = text_mask_secrets(tls, strlen(tls));
        Lines t = lines_split(tls), m = lines_split(tls_masked ?: "");
        bool key_hidden = true, cert_shown = true, same_lines = t.n == m.n;
        for (size_t i = 0, in_key = 0; same_lines && i < t.n; i++) {
                if (strstr(t.v[i], "tls.key:"))
                        in_key = 1;
                else if (strstr(t.v[i], "-----END EC PRIVATE KEY-----"))
                        in_key = 0;
                else if (in_key)
                        key_hidden = key_hidden && streq(m.v[i], "    <redacted>\n");
                else
                        cert_shown = cert_shown && streq(m.v[i], t.v[i]);
        }
        ok(same_lines && key_hidden, "tls-secret.yaml: every key line masked");
        ok(same_lines && cert_shown, "tls-secret.yaml: the certificate and the rest shown as they are");
        free(lines_join(&t));
        free(lines_join(&m));
}

static void test_bootstrap_token(void) {
        _cleanup_free_ char *secret = read_fixture("diff/bootstrap-token.yaml", NULL);
        _cleanup_free_ char *s1 = replace(secret, "token-secret: f395accd246ae52d", "token-secret: 0a1b2c3d4e5f6a7b");
        _cleanup_free_ char *s2 = replace(s1, "expiration: 2024-06-12T03:22:11Z", "expiration: 2024-06-13T03:22:11Z");
        _cleanup_free_ char *out = NULL;

        is_int(diff_unified_string(secret, strlen(secret), s2, strlen(s2), "a", "b", &out), 1,
               "bootstrap token Secret: different");
        ok(!strstr(out, "f395accd246ae52d") && !strstr(out, "0a1b2c3d4e5f6a7b"), "bootstrap token Secret: neither secret shown");
        ok(strstr(out, "\n-  token-secret: <redacted>\n-  expiration: 2024-06-12T03:22:11Z\n"
                       "+  token-secret: <redacted>\n+  expiration: 2024-06-13T03:22:11Z\n"),
           "bootstrap token Secret: masked pair, then the expiration change as it is");
        ok(strstr(out, "\n   token-id: 07401b\n"), "bootstrap token Secret: the public token id is context");

        _cleanup_free_ char *init = read_fixture("diff/kubeadm-init.yaml", NULL);
        _cleanup_free_ char *i1 = replace(init, "token: 07401b.f395accd246ae52d", "token: 9xk2pq.0a1b2c3d4e5f6a7b");
        _cleanup_free_ char *i2 = replace(i1, "ttl: 24h0m0s", "ttl: 48h0m0s");
        _cleanup_free_ char *out2 = NULL;
        is_int(diff_unified_string(init, strlen(init), i2, strlen(i2), "a", "b", &out2), 1, "kubeadm InitConfiguration: different");
        is_str(out2,
               "--- a\n+++ b\n@@ -2,8 +2,8 @@\n"
               " bootstrapTokens:\n"
               " - groups:\n"
               "   - system:bootstrappers:kubeadm:default-node-token\n"
               "-  token: <redacted>\n"
               "-  ttl: 24h0m0s\n"
               "+  token: <redacted>\n"
               "+  ttl: 48h0m0s\n"
               "   usages:\n"
               "   - signing\n"
               "   - authentication\n",
               "kubeadm InitConfiguration: token masked, ttl shown");
        _cleanup_free_ char *init_masked = text_mask_secrets(init, strlen(init));
        ok(init_masked && strstr(init_masked, "\ncertificateKey: <redacted>\n") &&
           strstr(init_masked, "\n    key: node-role.kubernetes.io/control-plane\n"),
           "kubeadm InitConfiguration: the certificate key masked, the taint key not");

        _cleanup_free_ char *kubelet = read_fixture("diff/bootstrap-kubelet.conf", NULL);
        _cleanup_free_ char *k1 = replace(kubelet, "token: 07401b.f395accd246ae52d", "token: 9xk2pq.0a1b2c3d4e5f6a7b");
        _cleanup_free_ char *out3 = NULL;
        is_int(diff_unified_string(kubelet, strlen(kubelet), k1, strlen(k1), "a", "b", &out3), 1,
               "bootstrap-kubelet.conf: different");
        ok(!strstr(out3, "f395accd246ae52d") && !strstr(out3, "0a1b2c3d4e5f6a7b") &&
           strstr(out3, "\n-    token: <redacted>\n+    token: <redacted>\n"),
           "bootstrap-kubelet.conf: token masked");
        ok(strstr(out3, "\n   user:\n"), "bootstrap-kubelet.conf: the lines around it shown");
}

static void test_flags_and_toml(void) {
        _cleanup_free_ char *join = read_fixture("diff/join-node.sh", NULL);
        _cleanup_free_ char *j1 = replace(join, "--token 07401b.f395accd246ae52d", "--token 9xk2pq.0a1b2c3d4e5f6a7b");
        _cleanup_free_ char *j2 = replace(j1, "--password=Sup3rS3cretPw", "--password=N3wS3cretPw");
        _cleanup_free_ char *out = NULL;

        is_int(diff_unified_string(join, strlen(join), j2, strlen(j2), "a", "b", &out), 1, "join-node.sh: different");
        ok(!strstr(out, "f395accd246ae52d") && !strstr(out, "S3cret") && !strstr(out, "9d5b1c0e7f3a"),
           "join-node.sh: no token, password or certificate key shown");
        ok(strstr(out, "\n-nerdctl login --username admin --password=<redacted> registry.local:5000\n"
                       "-kubeadm join 10.0.0.10:6443 --token <redacted> \\\n"
                       "+nerdctl login --username admin --password=<redacted> registry.local:5000\n"
                       "+kubeadm join 10.0.0.10:6443 --token <redacted> \\\n"),
           "join-node.sh: flag values masked, the rest of the lines shown");
        ok(strstr(out, " --discovery-token-ca-cert-hash sha256:5ee0f2f6"), "join-node.sh: the CA hash is no secret");

        _cleanup_free_ char *toml = read_fixture("diff/containerd-registry-auth.toml", NULL);
        _cleanup_free_ char *t1 = replace(toml, "password = \"Sup3rS3cretPw\"", "password = \"N3wS3cretPw\"");
        _cleanup_free_ char *t2 = replace(t1, "insecure_skip_verify = false", "insecure_skip_verify = true");
        _cleanup_free_ char *out2 = NULL;
        is_int(diff_unified_string(toml, strlen(toml), t2, strlen(t2), "a", "b", &out2), 1, "registry auth TOML: different");
        is_str(out2,
               "--- a\n+++ b\n@@ -5,9 +5,9 @@\n"
               " \n"
               " [plugins.\"io.containerd.grpc.v1.cri\".registry.configs.\"registry.local:5000\".auth]\n"
               "   username = \"admin\"\n"
               "-  password = <redacted>\n"
               "+  password = <redacted>\n"
               "   auth = <redacted>\n"
               "   identitytoken = <redacted>\n"
               " \n"
               " [plugins.\"io.containerd.grpc.v1.cri\".registry.configs.\"registry.local:5000\".tls]\n"
               "-  insecure_skip_verify = false\n"
               "+  insecure_skip_verify = true\n",
               "registry auth TOML: password masked, tls change shown");
}

static void test_mask_text(void) {
        static const char input[] =
                "token: abc\n"
                "- Password: \"hunter2\" # old\n"
                "\"client_secret\": \"s3\",\r\n"
                "tokenFile: /var/lib/kubelet/token\n"
                "client-key: /etc/kubernetes/pki/client.key\n"
                "export API_TOKEN=xyz\n"
                "ExecStart=/usr/bin/kubelet --token=abc.def --v=2 --password \"a b\" --token --x\n"
                "password: |\n"
                "  line one\n"
                "\n"
                "  line two\n"
                "next: shown\n"
                "key: node-role.kubernetes.io/control-plane\n"
                "data: \"-----BEGIN PRIVATE KEY-----\\nMIIEv\\n-----END PRIVATE KEY-----\\n\"\n"
                "  -----BEGIN OPENSSH PRIVATE KEY-----\n"
                "  b3BlbnNzaC1rZXktdjEAAAAA\n"
                "  -----END OPENSSH PRIVATE KEY-----\n"
                "join abcdef.0123456789abcdef now\n"
                "secret = \"\"\"\n"
                "multi\n"
                "\"\"\"\n"
                "after = 1";
        static const char want[] =
                "token: <redacted>\n"
                "- Password: <redacted>\n"
                "\"client_secret\": <redacted>\r\n"
                "tokenFile: /var/lib/kubelet/token\n"
                "client-key: /etc/kubernetes/pki/client.key\n"
                "export API_TOKEN=<redacted>\n"
                "ExecStart=/usr/bin/kubelet --token=<redacted> --v=2 --password <redacted> --token --x\n"
                "password: |\n"
                "  <redacted>\n"
                "\n"
                "  <redacted>\n"
                "next: shown\n"
                "key: node-role.kubernetes.io/control-plane\n"
                "data: \"-----BEGIN PRIVATE KEY-----<redacted>-----END PRIVATE KEY-----\\n\"\n"
                "  -----BEGIN OPENSSH PRIVATE KEY-----\n"
                "  <redacted>\n"
                "  -----END OPENSSH PRIVATE KEY-----\n"
                "join <redacted> now\n"
                "secret = <redacted>\n"
                "<redacted>\n"
                "<redacted>\n"
                "after = 1";
        _cleanup_free_ char *got = text_mask_secrets(input, sizeof input - 1);
        is_str(got, want, "text_mask_secrets(): every kind of secret, and nothing else");
        static const char plain[] = "tokenFile: /x\nkey: a\nauthorization:\n  mode: Webhook\n";
        ok(!text_has_secret(plain, sizeof plain - 1),
           "text_has_secret(): file paths, taint keys and authorization are no secrets");

        static const char *const clean[] = { "diff/kubelet-config.yaml", "diff/containerd-config.toml" };
        static const char *const secret[] = { "diff/bootstrap-token.yaml", "diff/kubeadm-init.yaml", "diff/join-node.sh",
                                              "diff/containerd-registry-auth.toml", "diff/bootstrap-kubelet.conf" };
        for (size_t i = 0; i < ELEMENTSOF(clean); i++) {
                _cleanup_free_ char *t = read_fixture(clean[i], NULL);
                ok(!text_has_secret(t, strlen(t)), "%s: no secret", clean[i]);
        }
        for (size_t i = 0; i < ELEMENTSOF(secret); i++) {
                _cleanup_free_ char *t = read_fixture(secret[i], NULL);
                ok(text_has_secret(t, strlen(t)), "%s: has a secret", secret[i]);
        }
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
        test_kubeconfig_secret();
        test_pem_secret();
        test_bootstrap_token();
        test_flags_and_toml();
        test_mask_text();

        rm_rf(tmpdir);
        free(tmpdir);
        return tap_done();
}
