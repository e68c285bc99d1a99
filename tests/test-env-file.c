/* SPDX-License-Identifier: MIT */
/*
 * Environment files read as systemd 252 reads an EnvironmentFile=, with the file bytes behind
 * every decoded byte, and the words of a value as systemd makes arguments of "$VAR". The expected
 * values were checked against systemd 252 itself (its os-release reader shares the parser).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/env-file.h"
#include "tap.h"
#include "test-util.h"

static EnvFile parse_fixture(const char *name, char **ret_data, size_t *ret_size) {
        EnvFile e = {};
        _cleanup_free_ char *error = NULL;
        *ret_data = read_fixture(name, ret_size);
        int r = env_file_parse(*ret_data, *ret_size, &e, &error);
        if (!ok(r == 0, "%s parses", name))
                diag("%d %s", r, error ? error : "");
        return e;
}

/* The words of key's last assignment, joined with '|', and each word's file bytes likewise. */
static void words_of(const EnvFile *e, const char *data, const char *key, char **ret_text, char **ret_bytes) {
        const EnvAssignment *a = env_file_last(e, key);
        EnvWord *w = NULL;
        size_t n = 0;
        char *text = xasprintf("%s", ""), *bytes = xasprintf("%s", "");

        if (!a || env_assignment_words(a, &w, &n) < 0)
                abort();
        for (size_t i = 0; i < n; i++) {
                char *t = xasprintf("%s%s%s", text, i ? "|" : "", w[i].text);
                char *b = xasprintf("%s%s%.*s", bytes, i ? "|" : "", (int) (w[i].end - w[i].start), data + w[i].start);
                free(text);
                free(bytes);
                text = t;
                bytes = b;
        }
        env_words_free(w, n);
        *ret_text = text;
        *ret_bytes = bytes;
}

static const char *value_of(const EnvFile *e, const char *key) {
        const EnvAssignment *a = env_file_last(e, key);
        return a ? a->value : NULL;
}

static void test_kubeadm(void) {
        _cleanup_free_ char *data = NULL, *text = NULL, *bytes = NULL;
        size_t size;
        _cleanup_(env_file_done) EnvFile e = parse_fixture("env-file/kubeadm-flags.env", &data, &size);

        is_int(e.n_assignments, 1, "kubeadm writes one variable");
        const EnvAssignment *a = env_file_last(&e, "KUBELET_KUBEADM_ARGS");
        ok(a != NULL, "KUBELET_KUBEADM_ARGS set");
        if (!a)
                return;
        is_int(a->line, 1, "on line 1");
        is_int(a->origin[0].start, 22, "the value starts after the opening quote");
        is_int(a->origin[a->value_len - 1].end, size - 2, "and ends before the closing one");
        words_of(&e, data, "KUBELET_KUBEADM_ARGS", &text, &bytes);
        is_str(text,
               "--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock|--node-ip=10.0.0.12|"
               "--node-labels=topology.kubernetes.io/zone=eu-1a,example.com/gpu=|"
               "--pod-infra-container-image=registry.k8s.io/pause:3.10|--register-with-taints=gpu=true:NoSchedule",
               "five words");
        is_str(bytes, text, "unquoted words are their own bytes");
        ok(e.open_quote == SIZE_MAX && e.comment_continued == SIZE_MAX, "nothing ambiguous");
}

static void test_default_kubelet(void) {
        _cleanup_free_ char *data = NULL, *text = NULL, *bytes = NULL;
        size_t size;
        _cleanup_(env_file_done) EnvFile e = parse_fixture("env-file/default-kubelet", &data, &size);
        static const char *keys[] = { "KUBELET_EXTRA_ARGS", "NODE_IP", "KUBELET_EXTRA_ARGS", "LOG_OPTS",
                                      "ESCAPED", "DQ", "EMPTY_QUOTES", "SEMI" };
        static const unsigned lines[] = { 4, 5, 6, 8, 9, 11, 12, 13 };

        is_int(e.n_assignments, ELEMENTSOF(keys), "eight assignments: comments and \"export X=\" are none");
        for (size_t i = 0; i < e.n_assignments && i < ELEMENTSOF(keys); i++) {
                is_str(e.assignments[i].key, keys[i], "assignment %zu is %s", i, keys[i]);
                is_int(e.assignments[i].line, lines[i], "%s on line %u", keys[i], lines[i]);
        }
        ok(value_of(&e, "HTTP_PROXY") == NULL && value_of(&e, "export HTTP_PROXY") == NULL, "export line ignored");
        is_str(e.n_assignments ? e.assignments[0].value : NULL, "", "KUBELET_EXTRA_ARGS= is empty");

        is_str(value_of(&e, "NODE_IP"), "192.168.56.11", "blanks around key, '=' and value dropped");
        const EnvAssignment *node_ip = env_file_last(&e, "NODE_IP");
        is_int(node_ip ? node_ip->key_offset : 0, strstr(data, "NODE_IP") - data, "key offset");

        is_str(value_of(&e, "KUBELET_EXTRA_ARGS"),
               "--node-ip=192.168.56.11   --node-labels='zone=a b' --fail-swap-on=false",
               "the last assignment wins; the continuation is eaten, the inner quotes kept");
        words_of(&e, data, "KUBELET_EXTRA_ARGS", &text, &bytes);
        is_str(text, "--node-ip=192.168.56.11|--node-labels=zone=a b|--fail-swap-on=false",
               "$KUBELET_EXTRA_ARGS: the single quotes are removed, the label keeps its blank");
        is_str(bytes, "--node-ip=192.168.56.11|--node-labels='zone=a b'|--fail-swap-on=false",
               "each word's file bytes, quotes included");
        const EnvAssignment *extra = env_file_last(&e, "KUBELET_EXTRA_ARGS");
        EnvWord *w = NULL;
        size_t n = 0;
        unsigned line = 0;
        if (extra && env_assignment_words(extra, &w, &n) == 0 && n == 3)
                env_file_position(data, w[1].start, &line, NULL);
        is_int(line, 7, "the second word is on the continuation line");
        env_words_free(w, n);

        free(text);
        free(bytes);
        is_str(value_of(&e, "LOG_OPTS"), "--log-dir=/var/log/kubelet --v=2  --vmodule=\"x=4\"",
               "single- then double-quoted parts joined, \\\" unescaped");
        words_of(&e, data, "LOG_OPTS", &text, &bytes);
        is_str(text, "--log-dir=/var/log/kubelet|--v=2|--vmodule=x=4", "$LOG_OPTS words");
        is_str(bytes, "--log-dir=/var/log/kubelet|--v=2|--vmodule=\\\"x=4\\\"", "the last word's bytes hold the escapes");

        free(text);
        free(bytes);
        is_str(value_of(&e, "ESCAPED"), "price $5\\day   \"continued\"",
               "unquoted: escapes, a continuation, and quotes after it are literal");
        const EnvAssignment *esc = env_file_last(&e, "ESCAPED");
        if (esc && esc->value_len > 5) {
                is_int(esc->origin[5].end - esc->origin[5].start, 2, "an escaped blank comes from two bytes");
                is_int(data[esc->origin[5].start], '\\', "starting at the backslash");
        }
        words_of(&e, data, "ESCAPED", &text, &bytes);
        is_str(text, "price|$5day|continued", "$ESCAPED: the second backslash escapes 'd', quotes removed");
        is_str(bytes, "price|\\$5\\\\day|\"continued\"", "word bytes include the escapes");

        free(text);
        free(bytes);
        is_str(value_of(&e, "DQ"), "tab\\there $HOME `cmd` back\\slash",
               "double quotes: \\$ \\` \\\\ unescaped, \\t kept as written");
        const EnvAssignment *dq = env_file_last(&e, "DQ");
        if (dq && dq->value_len > 10) {
                is_int(dq->value[10], '$', "\\$ decoded");
                ok(dq->origin[10].end - dq->origin[10].start == 2 && data[dq->origin[10].start] == '\\',
                   "from the backslash and the dollar");
                ok(dq->origin[3].end - dq->origin[3].start == 1 && data[dq->origin[3].start] == '\\' &&
                   dq->origin[4].start == dq->origin[3].end, "a kept backslash and the byte after it: one byte each");
        }
        words_of(&e, data, "DQ", &text, &bytes);
        is_str(text, "tabthere|$HOME|`cmd`|backslash", "$DQ: splitting removes the remaining backslashes");

        is_str(value_of(&e, "EMPTY_QUOTES"), "", "\"\" is empty");
        const EnvAssignment *empty = env_file_last(&e, "EMPTY_QUOTES");
        w = (EnvWord *) 1;
        n = 1;
        ok(empty && env_assignment_words(empty, &w, &n) == 0 && n == 0 && w == NULL, "an empty value has no words");
        is_str(value_of(&e, "SEMI"), "a;b # not a comment", "# and ; inside a value are no comment");
        ok(e.open_quote == SIZE_MAX && e.comment_continued == SIZE_MAX, "nothing ambiguous");
}

static void test_crlf(void) {
        _cleanup_free_ char *data = NULL;
        size_t size;
        _cleanup_(env_file_done) EnvFile e = parse_fixture("env-file/crlf.env", &data, &size);
        static const char *keys[] = { "KUBELET_EXTRA_ARGS", "PLAIN", "CONT", "QCONT", "AFTER" };
        static const unsigned lines[] = { 1, 2, 3, 5, 8 };

        is_int(e.n_assignments, 5, "five assignments; \"--b=1\" is no variable name");
        for (size_t i = 0; i < e.n_assignments && i < ELEMENTSOF(keys); i++) {
                is_str(e.assignments[i].key, keys[i], "assignment %zu is %s", i, keys[i]);
                is_int(e.assignments[i].line, lines[i], "%s on line %u", keys[i], lines[i]);
        }
        is_str(value_of(&e, "KUBELET_EXTRA_ARGS"), "--node-ip=10.0.0.5 --max-pods=200", "\\r ends a quoted line");
        is_str(value_of(&e, "PLAIN"), "value", "\\r ends an unquoted value");
        is_str(value_of(&e, "CONT"), "--a ", "backslash-CRLF: \\r is escaped, \\n ends the value, the blank stays");
        is_str(value_of(&e, "QCONT"), "--a \\\r\n--b", "inside double quotes \\\\\\r is kept and \\n is a byte");
        is_str(value_of(&e, "AFTER"), "1", "a comment ending in backslash-CRLF does not swallow the next line");
        ok(e.comment_continued == SIZE_MAX, "and is not ambiguous");
}

static void test_unterminated(void) {
        _cleanup_free_ char *data = NULL;
        size_t size;
        _cleanup_(env_file_done) EnvFile e = parse_fixture("env-file/unterminated.env", &data, &size);

        is_int(e.open_quote, 19, "the open quote's offset");
        is_int(e.n_assignments, 1, "the rest of the file is in the value");
        is_str(value_of(&e, "KUBELET_EXTRA_ARGS"), "--node-ip=10.0.0.1\n--max-pods=200\nOTHER=1\n",
               "as systemd 252 reads it");
        ok(value_of(&e, "OTHER") == NULL, "OTHER is not set");
}

static void test_comment_continued(void) {
        _cleanup_free_ char *data = NULL;
        size_t size;
        _cleanup_(env_file_done) EnvFile e = parse_fixture("env-file/comment-continued.env", &data, &size);

        ok(value_of(&e, "KUBELET_EXTRA_ARGS") == NULL, "systemd 252 reads the line after \"# ... \\\" as comment");
        is_int(e.comment_continued, 20, "that line is reported (254 reads it)");
        is_str(value_of(&e, "NEXT"), "1", "a swallowed comment line swallows nothing more");
        is_int(e.n_assignments, 1, "one assignment");

        static const char blank[] = "# x \\\n\nA=1\n";
        _cleanup_(env_file_done) EnvFile b = {};
        ok(env_file_parse(blank, sizeof(blank) - 1, &b, NULL) == 0 && b.n_assignments == 1 &&
           b.comment_continued == SIZE_MAX, "a swallowed blank line is read the same by every version");
}

static void check_error(const char *what, const char *data, size_t size, const char *want) {
        _cleanup_(env_file_done) EnvFile e = {};
        _cleanup_free_ char *error = NULL;
        is_int(env_file_parse(data, size, &e, &error), -EBADMSG, "%s: refused", what);
        is_str(error, want, "%s: where", what);
}

static void check_accepted(const char *what, const char *data, const char *key, const char *want) {
        _cleanup_(env_file_done) EnvFile e = {};
        ok(env_file_parse(data, strlen(data), &e, NULL) == 0, "%s: accepted", what);
        is_str(value_of(&e, key), want, "%s: value", what);
}

static void test_refused(void) {
        static const char nul[] = "A=1\nB=x\0y\n";
        check_error("NUL", nul, sizeof(nul) - 1, "2:4: NUL byte in environment file");
        static const char nul_in_comment[] = "A=1\n# \0\n";
        check_error("NUL in a comment", nul_in_comment, sizeof(nul_in_comment) - 1, "2:3: NUL byte in environment file");
        static const char latin1[] = "A=1\nB=\"caf\xe9\"\n";
        check_error("Latin-1 value", latin1, sizeof(latin1) - 1, "2:7: invalid UTF-8 in a value");
        static const char key[] = "X\xff=1\n";
        check_error("bad key", key, sizeof(key) - 1, "1:2: invalid UTF-8 in a variable name");
        static const char nonchar[] = "A=\xef\xbf\xbe\n";
        check_error("U+FFFE", nonchar, sizeof(nonchar) - 1, "1:3: invalid UTF-8 in a value");
        static const char overlong[] = "A=x\xc0\x80\n";
        check_error("overlong NUL", overlong, sizeof(overlong) - 1, "1:4: invalid UTF-8 in a value");
        static const char surrogate[] = "A=\xed\xa0\x80\n";
        check_error("surrogate", surrogate, sizeof(surrogate) - 1, "1:3: invalid UTF-8 in a value");

        check_accepted("UTF-8 value", "A=caf\xc3\xa9 \xf0\x9f\x9a\x80\n", "A", "caf\xc3\xa9 \xf0\x9f\x9a\x80");
        check_accepted("Latin-1 in a comment", "# caf\xe9\nA=1\n", "A", "1");
        check_accepted("no newline at the end", "A=b", "A", "b");
        check_accepted("blanks at the end of the file", "A=b  ", "A", "b");
        check_accepted("quoted at the end of the file", "A='x'", "A", "x");
        check_accepted("empty at the end of the file", "A=", "A", "");
        check_accepted("quotes join parts", "A='a'\"b\"c d \n", "A", "abc d");
        check_accepted("blank after a closing quote skipped", "A=\"a\" b\n", "A", "ab");
        check_accepted("quote inside an unquoted value is a byte", "A=x \"y z\"\n", "A", "x \"y z\"");
        check_accepted("escaped blank at the end stays", "A=x\\ \n", "A", "x ");

        _cleanup_(env_file_done) EnvFile e = {};
        static const char names[] = "A\nB C=1\n1D=2\n_E=3\n";
        ok(env_file_parse(names, sizeof(names) - 1, &e, NULL) == 0 && e.n_assignments == 1 &&
           streq(e.assignments[0].key, "_E"), "lines without '=' and invalid names are skipped");

        unsigned line, column;
        static const char utf8[] = "# \xc3\xa9\nA='x";
        env_file_position(utf8, 4, &line, &column);
        ok(line == 1 && column == 4, "columns count characters, not bytes");
        env_file_position(utf8, 7, &line, &column);
        ok(line == 2 && column == 3, "line 2, column 3");
}

static void check_word(const char *what, const char *s, unsigned flags, int want_r, const char *want, size_t want_start,
                       size_t want_end, size_t want_pos) {
        _cleanup_free_ char *w = NULL;
        size_t pos = 0, start = SIZE_MAX, end = SIZE_MAX;
        int r = env_extract_word(s, &pos, flags, &w, &start, &end);
        is_int(r, want_r, "%s: returns %d", what, want_r);
        if (r <= 0) {
                is_int(pos, want_pos, "%s: position", what);
                return;
        }
        is_str(w, want, "%s: word", what);
        ok(start == want_start && end == want_end && pos == want_pos, "%s: bytes [%zu, %zu), next at %zu", what, start,
           end, pos);
}

static void test_extract_word(void) {
        const unsigned uq = ENV_EXTRACT_UNQUOTE, relax = ENV_EXTRACT_RELAX, cu = ENV_EXTRACT_CUNESCAPE;

        check_word("quoted part", "  --a='b c'  d", uq | relax, 1, "--a=b c", 2, 11, 13);
        check_word("no unquoting", "'a b'", 0, 1, "'a", 0, 2, 3);
        check_word("backslash inside single quotes", "'a\\'b'", uq, 1, "a'b", 0, 6, 6);
        check_word("empty quotes are an empty word", "'' x", uq, 1, "", 0, 2, 3);
        check_word("open quote", "a'b c", uq, -EINVAL, NULL, 0, 0, 0);
        check_word("open quote, relaxed", "a'b c", uq | relax, 1, "ab c", 0, 5, 5);
        check_word("trailing backslash", "ab\\", uq, -EINVAL, NULL, 0, 0, 0);
        check_word("trailing backslash, relaxed", "ab\\", uq | relax, 1, "ab", 0, 3, 3);
        check_word("escaped blank", "a\\ b c", uq, 1, "a b", 0, 4, 5);
        check_word("C escapes", "\\x41\\u00e9\\n", uq | cu, 1, "A\xc3\xa9\n", 0, 12, 12);
        check_word("unknown C escape kept", "\\q", uq | cu, 1, "\\q", 0, 2, 2);
        check_word("\\x00 is no escape", "\\x00", uq | cu, 1, "\\x00", 0, 4, 4);
        check_word("only blanks", " \t\n", uq, 0, NULL, 0, 0, 3);

        /* the words one after the other, as systemd splits $VAR */
        const char *s = "--node-labels='a=b c' --improve-speed";
        size_t pos = 0, start, end;
        char *w;
        int n = 0;
        while (env_extract_word(s, &pos, uq | relax, &w, &start, &end) > 0) {
                if (n == 1)
                        ok(streq(w, "--improve-speed") && start == 22 && end == strlen(s), "second word");
                free(w);
                n++;
        }
        is_int(n, 2, "two words");
}

int main(void) {
        test_kubeadm();
        test_default_kubelet();
        test_crlf();
        test_unterminated();
        test_comment_continued();
        test_refused();
        test_extract_word();
        return tap_done();
}
