/* SPDX-License-Identifier: MIT */
/*
 * kubelet flags in environment files. The file is read by env-file.c as systemd reads an
 * EnvironmentFile=, every decoded byte knowing where in the file it came from; the value is split
 * into words as systemd splits a standalone $VAR in ExecStart= (quotes in the value removed), and
 * the words are read as pflag reads kubelet's argv. A flag is cut out of the file by its bytes,
 * so quoting, comments and other lines stay as they were.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubelet-flag-set.h"
#include "remedy/env-file.h"
#include "remedy/kubelet-flags.h"
#include "remedy/strv.h"

static int error_at(char **ret_error, const char *data, size_t offset, int err, const char *reason) {
        unsigned line, column;
        env_file_position(data, offset, &line, &column);
        if (ret_error && asprintf(ret_error, "%u:%u: %s", line, column, reason) < 0)
                *ret_error = NULL;
        return err;
}

/* ---- flags ---- */

typedef struct ParsedFlag {
        KubeletFlag flag;
        size_t word, n_words;
} ParsedFlag;

static void parsed_free(ParsedFlag *p, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(p[i].flag.name);
                free(p[i].flag.value);
        }
        free(p);
}

static char *normalize_name(const char *s, size_t len) {
        char *n = strndup(s, len);
        for (char *c = n; c && *c; c++)
                if (*c == '_')
                        *c = '-';   /* kubelet's flag set uses WordSepNormalizeFunc */
        return n;
}

/* Reads the words as pflag reads argv; words that are neither flags nor their values are skipped. */
static int parse_words(const EnvWord *w, size_t n, const KubeletFlagSet *known, ParsedFlag **ret, size_t *ret_n) {
        ParsedFlag *p = NULL;
        size_t np = 0;

        for (size_t i = 0; i < n; i++) {
                const char *t = w[i].text, *eq;
                _cleanup_free_ char *name = NULL, *value = NULL;
                size_t used = 1;

                if (t[0] != '-' || t[1] == 0)
                        continue;
                if (streq(t, "--"))
                        break;   /* pflag: everything after "--" is an argument */
                bool dash2 = t[1] == '-';
                const char *body = t + (dash2 ? 2 : 1);
                eq = strchr(body, '=');
                if (dash2)
                        name = normalize_name(body, eq ? (size_t) (eq - body) : strlen(body));
                else {
                        /* "-v=2", "-v2", "-v 2": one shorthand letter, the rest is its value */
                        const char *lng = kubelet_flag_set_long_name(known, body[0]);
                        name = lng ? strdup(lng) : strndup(body, 1);
                        eq = body[1] == '=' ? body + 1 : body[1] ? body : NULL;
                        if (eq == body && !(value = strdup(body + 1)))
                                goto oom;
                }
                if (!name)
                        goto oom;
                if (eq && !value && !(value = strdup(eq + 1)))
                        goto oom;

                bool is_known = kubelet_flag_set_has(known, name);
                if (!eq && i + 1 < n && !kubelet_flag_set_is_bool(known, name) &&
                    (is_known || w[i + 1].text[0] != '-')) {
                        if (!(value = strdup(w[i + 1].text)))
                                goto oom;
                        used = 2;
                }

                ParsedFlag *np2 = realloc(p, (np + 1) * sizeof(ParsedFlag));
                if (!np2)
                        goto oom;
                p = np2;
                p[np++] = (ParsedFlag) {
                        .flag = { .name = TAKE_PTR(name), .value = TAKE_PTR(value), .start = w[i].start,
                                  .end = w[i + used - 1].end },
                        .word = i,
                        .n_words = used,
                };
                i += used - 1;
        }
        *ret = p;
        *ret_n = np;
        return 0;
oom:
        parsed_free(p, np);
        return -ENOMEM;
}

/* The effective (last) assignment of variable, as words and flags. */
typedef struct Parsed {
        EnvFile env;
        const EnvAssignment *assignment;
        EnvWord *words;
        size_t n_words;
        ParsedFlag *flags;
        size_t n_flags;
} Parsed;

static void parsed_done(Parsed *p) {
        env_file_done(&p->env);
        env_words_free(p->words, p->n_words);
        parsed_free(p->flags, p->n_flags);
        *p = (Parsed) {};
}

/* Files that systemd reads, but maybe not as their author meant, are refused: remedy edits them
 * and would otherwise build on a guess. */
static int parse_all(const char *data, size_t size, const char *variable, const KubeletFlagSet *known, Parsed *ret,
                     char **ret_error) {
        _cleanup_(parsed_done) Parsed p = {};
        int r = env_file_parse(data, size, &p.env, ret_error);
        if (r < 0)
                return r;
        /* systemd 252 takes an unterminated quote to the end of the file. */
        if (p.env.open_quote != SIZE_MAX)
                return error_at(ret_error, data, p.env.open_quote, -EBADMSG,
                                data[p.env.open_quote] == '\'' ? "unterminated single quote" : "unterminated double quote");
        if (p.env.comment_continued != SIZE_MAX)
                return error_at(ret_error, data, p.env.comment_continued, -EBADMSG,
                                "the comment before this line ends in a backslash: systemd before 254 reads this line "
                                "as part of the comment, later versions do not; edit the file by hand");
        p.assignment = env_file_last(&p.env, variable);
        if (p.assignment) {
                if ((r = env_assignment_words(p.assignment, &p.words, &p.n_words)) < 0 ||
                    (r = parse_words(p.words, p.n_words, known, &p.flags, &p.n_flags)) < 0)
                        return r;
                for (size_t i = 0; i < p.n_flags; i++)
                        env_file_position(data, p.flags[i].flag.start, &p.flags[i].flag.line, NULL);
        }
        *ret = p;
        p = (Parsed) {};
        return 0;
}

int kubelet_flags_parse(const char *data, size_t size, const char *variable, const KubeletFlagSet *known,
                        KubeletFlag **ret, size_t *ret_n, char **ret_error) {
        _cleanup_(parsed_done) Parsed p = {};
        int r = parse_all(data, size, variable, known, &p, ret_error);
        if (r < 0)
                return r;
        KubeletFlag *f = calloc(MAX(p.n_flags, (size_t) 1), sizeof(KubeletFlag));
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < p.n_flags; i++) {
                f[i] = p.flags[i].flag;
                p.flags[i].flag.name = p.flags[i].flag.value = NULL;
        }
        *ret = f;
        *ret_n = p.n_flags;
        return 0;
}

void kubelet_flags_free(KubeletFlag *f, size_t n) {
        for (size_t i = 0; f && i < n; i++) {
                free(f[i].name);
                free(f[i].value);
        }
        free(f);
}

static bool should_remove(const char *name, char * const *remove, const KubeletFlagSet *known, bool remove_unknown) {
        STRV_FOREACH(r, remove) {
                const char *want = *r + strspn(*r, "-");
                _cleanup_free_ char *norm = normalize_name(want, strlen(want));
                if (norm && streq(norm, name))
                        return true;
        }
        return remove_unknown && !kubelet_flag_set_has(known, name);
}

/* The edit is only taken when the file, read again, says exactly what was meant: the same
 * assignments, and this variable's words minus the removed ones. */
static bool edit_is_exact(const Parsed *before, const bool *drop, const char *data, size_t size, const char *variable) {
        _cleanup_(parsed_done) Parsed after = {};
        if (parse_all(data, size, variable, NULL, &after, NULL) < 0 ||
            after.env.n_assignments != before->env.n_assignments)
                return false;
        for (size_t i = 0; i < after.env.n_assignments; i++) {
                const EnvAssignment *a = &after.env.assignments[i], *b = &before->env.assignments[i];
                if (!streq(a->key, b->key) || (b != before->assignment && !streq(a->value, b->value)))
                        return false;
        }
        size_t k = 0;
        for (size_t i = 0; i < before->n_words; i++) {
                if (drop[i])
                        continue;
                if (k >= after.n_words || !streq(after.words[k].text, before->words[i].text))
                        return false;
                k++;
        }
        return k == after.n_words;
}

int kubelet_flags_edit(const char *data, size_t size, const char *variable, char * const *remove,
                       const KubeletFlagSet *known, bool remove_unknown, char **ret_data, size_t *ret_size,
                       char ***ret_removed, char **ret_error) {
        _cleanup_(parsed_done) Parsed p = {};
        _cleanup_strv_free_ char **removed = NULL;
        _cleanup_free_ bool *drop = NULL;
        int r;

        if (remove_unknown && !known)
                return -EINVAL;
        r = parse_all(data, size, variable, known, &p, ret_error);
        if (r < 0)
                return r;
        drop = calloc(MAX(p.n_words, (size_t) 1), sizeof(bool));
        if (!drop)
                return -ENOMEM;
        for (size_t i = 0; i < p.n_flags; i++) {
                if (!should_remove(p.flags[i].flag.name, remove, known, remove_unknown))
                        continue;
                _cleanup_free_ char *as_written = NULL;
                const EnvWord *w = &p.words[p.flags[i].word];
                bool two = p.flags[i].n_words > 1;
                /* The file's bytes, quotes included: "--node-labels='a=b c'" */
                if (asprintf(&as_written, "%.*s%s%.*s", (int) (w[0].end - w[0].start), data + w[0].start, two ? " " : "",
                             two ? (int) (w[1].end - w[1].start) : 0, two ? data + w[1].start : "") < 0 ||
                    (r = strv_consume(&removed, TAKE_PTR(as_written))) < 0)
                        return -ENOMEM;
                for (size_t j = 0; j < p.flags[i].n_words; j++)
                        drop[p.flags[i].word + j] = true;
        }
        if (!removed) {
                *ret_data = NULL;
                *ret_size = 0;
                if (ret_removed)
                        *ret_removed = NULL;
                return 0;
        }

        /* Each run of dropped words goes with one adjoining run of whitespace: the one after it,
         * or before it when it ends the value. */
        _cleanup_free_ char *out = malloc(size + 1);
        size_t n_out = 0, copied = 0;
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < p.n_words;) {
                if (!drop[i]) {
                        i++;
                        continue;
                }
                size_t j = i;
                while (j + 1 < p.n_words && drop[j + 1])
                        j++;
                size_t from = j + 1 < p.n_words ? p.words[i].start : i > 0 ? p.words[i - 1].end : p.words[i].start;
                size_t to = j + 1 < p.n_words ? p.words[j + 1].start : p.words[j].end;
                memcpy(out + n_out, data + copied, from - copied);
                n_out += from - copied;
                copied = to;
                i = j + 1;
        }
        memcpy(out + n_out, data + copied, size - copied);
        n_out += size - copied;
        out[n_out] = 0;

        if (!edit_is_exact(&p, drop, out, n_out, variable)) {
                const ParsedFlag *first = NULL;
                for (size_t i = 0; i < p.n_flags && !first; i++)
                        if (drop[p.flags[i].word])
                                first = &p.flags[i];
                return error_at(ret_error, data, first ? first->flag.start : 0, -EBADMSG,
                                "cannot remove the flag without changing the quoting around it; edit the file by hand");
        }
        *ret_data = TAKE_PTR(out);
        *ret_size = n_out;
        if (ret_removed)
                *ret_removed = TAKE_PTR(removed);
        return 1;
}

int kubelet_flags_remove(const char *data, size_t size, const char *variable, char * const *remove,
                         const KubeletFlagSet *unknown_from, char **ret_data, size_t *ret_size, char ***ret_removed,
                         char **ret_error) {
        return kubelet_flags_edit(data, size, variable, remove, unknown_from, unknown_from != NULL, ret_data, ret_size,
                                  ret_removed, ret_error);
}
