/* SPDX-License-Identifier: MIT */
/*
 * kubelet flags in environment files. The file is decoded the way systemd decodes an
 * EnvironmentFile= (src/basic/env-file.c, parse_env_file_internal()), remembering for every
 * decoded byte where in the file it came from, so that a flag can be cut out of the file without
 * touching quoting, comments or other lines. The value is then split on whitespace, as systemd
 * splits an unquoted $VAR in ExecStart=, and the words are read as pflag reads kubelet's argv.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubelet-flag-set.h"
#include "remedy/kubelet-flags.h"
#include "remedy/strv.h"

#define WHITESPACE " \t\n\r"

/* ---- environment files, decoded as systemd decodes them ---- */

#define NEWLINE "\n\r"
#define SHELL_NEED_ESCAPE "\"\\`$"

typedef struct Text {
        char *s;
        size_t *origin;   /* file offset each byte was decoded from */
        size_t n, allocated;
} Text;

static void text_done(Text *t) {
        free(t->s);
        free(t->origin);
        *t = (Text) {};
}

static int text_put(Text *t, char c, size_t origin) {
        if (t->n + 2 > t->allocated) {
                size_t a = MAX(t->allocated * 2, (size_t) 64);
                char *s = realloc(t->s, a);
                if (!s)
                        return -ENOMEM;
                t->s = s;
                size_t *o = realloc(t->origin, a * sizeof(size_t));
                if (!o)
                        return -ENOMEM;
                t->origin = o;
                t->allocated = a;
        }
        t->origin[t->n] = origin;
        t->s[t->n++] = c;
        t->s[t->n] = 0;
        return 0;
}

typedef struct EnvAssignment {
        char *key;
        Text value;
} EnvAssignment;

typedef struct EnvFile {
        EnvAssignment *items;
        size_t n;
} EnvFile;

static void env_file_done(EnvFile *e) {
        for (size_t i = 0; i < e->n; i++) {
                free(e->items[i].key);
                text_done(&e->items[i].value);
        }
        free(e->items);
        *e = (EnvFile) {};
}

static void position(const char *data, size_t offset, unsigned *ret_line, unsigned *ret_column) {
        unsigned line = 1, column = 1;
        for (size_t i = 0; i < offset; i++) {
                if (data[i] == '\n') {
                        line++;
                        column = 1;
                } else if (((unsigned char) data[i] & 0xc0) != 0x80)
                        column++;
        }
        *ret_line = line;
        if (ret_column)
                *ret_column = column;
}

static int error_at(char **ret_error, const char *data, size_t offset, int err, const char *reason) {
        unsigned line, column;
        position(data, offset, &line, &column);
        if (ret_error && asprintf(ret_error, "%u:%u: %s", line, column, reason) < 0)
                *ret_error = NULL;
        return err;
}

static bool env_name_is_valid(const char *k) {
        if (!k[0] || isdigit((unsigned char) k[0]))
                return false;
        for (const char *p = k; *p; p++)
                if (!isalnum((unsigned char) *p) && *p != '_')
                        return false;
        return true;
}

/* Keys are cut at their trailing whitespace, values (unquoted) likewise; invalid names are
 * skipped with systemd's "Ignoring invalid environment assignment". */
static int env_push(EnvFile *e, Text *key, size_t key_ws, Text *value, size_t value_ws) {
        int r;

        if (key_ws != SIZE_MAX)
                key->s[key->n = key_ws] = 0;
        if (value_ws != SIZE_MAX && value->s)
                value->s[value->n = value_ws] = 0;
        if (!key->s || !env_name_is_valid(key->s)) {
                text_done(key);
                text_done(value);
                return 0;
        }
        if (!value->s) {   /* "KEY=": an empty, allocated value */
                r = text_put(value, 0, 0);
                if (r < 0)
                        return r;
                value->n = 0;
        }
        EnvAssignment *a = realloc(e->items, (e->n + 1) * sizeof(EnvAssignment));
        if (!a)
                return -ENOMEM;
        e->items = a;
        a[e->n].key = TAKE_PTR(key->s);
        a[e->n].value = *value;
        e->n++;
        *value = (Text) {};
        text_done(key);
        return 0;
}

static int env_file_parse(const char *data, size_t size, EnvFile *ret, char **ret_error) {
        enum {
                PRE_KEY, KEY, PRE_VALUE, VALUE, VALUE_ESCAPE, SINGLE_QUOTE_VALUE, DOUBLE_QUOTE_VALUE,
                DOUBLE_QUOTE_VALUE_ESCAPE, COMMENT,
        } state = PRE_KEY;
        _cleanup_(env_file_done) EnvFile e = {};
        _cleanup_(text_done) Text key = {}, value = {};
        size_t key_ws = SIZE_MAX, value_ws = SIZE_MAX, quote_at = 0;
        int r = 0;

        for (size_t i = 0; i < size && r >= 0; i++) {
                char c = data[i];
                if (c == 0)
                        return error_at(ret_error, data, i, -EBADMSG, "NUL byte in environment file");

                switch (state) {
                case PRE_KEY:
                        if (strchr("#;", c))
                                state = COMMENT;
                        else if (!strchr(WHITESPACE, c)) {
                                state = KEY;
                                key_ws = SIZE_MAX;
                                r = text_put(&key, c, i);
                        }
                        break;
                case KEY:
                        if (strchr(NEWLINE, c)) {
                                state = PRE_KEY;   /* a line without '=' is ignored */
                                text_done(&key);
                        } else if (c == '=') {
                                state = PRE_VALUE;
                                value_ws = SIZE_MAX;
                        } else {
                                if (!strchr(WHITESPACE, c))
                                        key_ws = SIZE_MAX;
                                else if (key_ws == SIZE_MAX)
                                        key_ws = key.n;
                                r = text_put(&key, c, i);
                        }
                        break;
                case PRE_VALUE:
                        if (strchr(NEWLINE, c)) {
                                state = PRE_KEY;
                                r = env_push(&e, &key, key_ws, &value, SIZE_MAX);
                        } else if (c == '\'' || c == '"') {
                                state = c == '\'' ? SINGLE_QUOTE_VALUE : DOUBLE_QUOTE_VALUE;
                                quote_at = i;
                        } else if (c == '\\')
                                state = VALUE_ESCAPE;
                        else if (!strchr(WHITESPACE, c)) {
                                state = VALUE;
                                r = text_put(&value, c, i);
                        }
                        break;
                case VALUE:
                        if (strchr(NEWLINE, c)) {
                                state = PRE_KEY;
                                r = env_push(&e, &key, key_ws, &value, value_ws);
                        } else if (c == '\\') {
                                state = VALUE_ESCAPE;
                                value_ws = SIZE_MAX;
                        } else {
                                if (!strchr(WHITESPACE, c))
                                        value_ws = SIZE_MAX;
                                else if (value_ws == SIZE_MAX)
                                        value_ws = value.n;
                                r = text_put(&value, c, i);
                        }
                        break;
                case VALUE_ESCAPE:
                        state = VALUE;
                        if (!strchr(NEWLINE, c))   /* an escaped newline continues the line */
                                r = text_put(&value, c, i);
                        break;
                case SINGLE_QUOTE_VALUE:
                        if (c == '\'')
                                state = PRE_VALUE;
                        else
                                r = text_put(&value, c, i);
                        break;
                case DOUBLE_QUOTE_VALUE:
                        if (c == '"')
                                state = PRE_VALUE;
                        else if (c == '\\')
                                state = DOUBLE_QUOTE_VALUE_ESCAPE;
                        else
                                r = text_put(&value, c, i);
                        break;
                case DOUBLE_QUOTE_VALUE_ESCAPE:
                        state = DOUBLE_QUOTE_VALUE;
                        if (strchr(SHELL_NEED_ESCAPE, c))
                                r = text_put(&value, c, i);
                        else if (c != '\n') {   /* like the shell, keep the backslash */
                                r = text_put(&value, '\\', i - 1);
                                if (r >= 0)
                                        r = text_put(&value, c, i);
                        }
                        break;
                case COMMENT:
                        /* systemd ≥ 254: a comment ends at the newline, backslash or not. */
                        if (strchr(NEWLINE, c))
                                state = PRE_KEY;
                        break;
                }
        }
        if (r < 0)
                return r;

        /* systemd takes an unterminated quote to the end of the file; refuse to guess instead. */
        if (state == SINGLE_QUOTE_VALUE || state == DOUBLE_QUOTE_VALUE || state == DOUBLE_QUOTE_VALUE_ESCAPE)
                return error_at(ret_error, data, quote_at, -EBADMSG,
                                state == SINGLE_QUOTE_VALUE ? "unterminated single quote" : "unterminated double quote");
        if (state == PRE_VALUE || state == VALUE || state == VALUE_ESCAPE) {
                r = env_push(&e, &key, key_ws, &value, state == PRE_VALUE ? SIZE_MAX : value_ws);
                if (r < 0)
                        return r;
        }
        *ret = e;
        e = (EnvFile) {};
        return 0;
}

/* ---- words and flags ---- */

typedef struct Word {
        char *text;
        size_t start, end;   /* file bytes the word was decoded from */
} Word;

static void words_free(Word *w, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(w[i].text);
        free(w);
}

/* The words of a value as systemd splits an unquoted $VAR on the ExecStart= line. */
static int split_words(const Text *v, Word **ret, size_t *ret_n) {
        Word *w = NULL;
        size_t n = 0;

        for (size_t i = 0; i < v->n;) {
                if (strchr(WHITESPACE, v->s[i])) {
                        i++;
                        continue;
                }
                size_t j = i;
                while (j < v->n && !strchr(WHITESPACE, v->s[j]))
                        j++;
                Word *nw = realloc(w, (n + 1) * sizeof(Word));
                if (!nw)
                        goto oom;
                w = nw;
                w[n] = (Word) { .text = strndup(v->s + i, j - i), .start = v->origin[i], .end = v->origin[j - 1] + 1 };
                if (!w[n++].text)
                        goto oom;
                i = j;
        }
        *ret = w;
        *ret_n = n;
        return 0;
oom:
        words_free(w, n);
        return -ENOMEM;
}

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
static int parse_words(const Word *w, size_t n, const KubeletFlagSet *known, ParsedFlag **ret, size_t *ret_n) {
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
        Word *words;
        size_t n_words;
        ParsedFlag *flags;
        size_t n_flags;
} Parsed;

static void parsed_done(Parsed *p) {
        env_file_done(&p->env);
        words_free(p->words, p->n_words);
        parsed_free(p->flags, p->n_flags);
        *p = (Parsed) {};
}

static int parse_all(const char *data, size_t size, const char *variable, const KubeletFlagSet *known, Parsed *ret,
                     char **ret_error) {
        _cleanup_(parsed_done) Parsed p = {};
        int r = env_file_parse(data, size, &p.env, ret_error);
        if (r < 0)
                return r;
        for (size_t i = p.env.n; i > 0; i--)
                if (streq(p.env.items[i - 1].key, variable)) {
                        p.assignment = &p.env.items[i - 1];
                        break;
                }
        if (p.assignment) {
                if ((r = split_words(&p.assignment->value, &p.words, &p.n_words)) < 0 ||
                    (r = parse_words(p.words, p.n_words, known, &p.flags, &p.n_flags)) < 0)
                        return r;
                for (size_t i = 0; i < p.n_flags; i++)
                        position(data, p.flags[i].flag.start, &p.flags[i].flag.line, NULL);
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
        if (parse_all(data, size, variable, NULL, &after, NULL) < 0 || after.env.n != before->env.n)
                return false;
        for (size_t i = 0; i < after.env.n; i++) {
                const EnvAssignment *a = &after.env.items[i], *b = &before->env.items[i];
                if (!streq(a->key, b->key) || (b != before->assignment && !streq(a->value.s, b->value.s)))
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
                const Word *w = &p.words[p.flags[i].word];
                if (asprintf(&as_written, "%s%s%s", w[0].text, p.flags[i].n_words > 1 ? " " : "",
                             p.flags[i].n_words > 1 ? w[1].text : "") < 0 ||
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
