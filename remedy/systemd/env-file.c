/* SPDX-License-Identifier: MIT */
/*
 * systemd 252's reading of environment files (src/basic/env-file.c, parse_env_file_internal())
 * and its splitting of strings into words (src/basic/extract-word.c, extract_first_word()), with
 * the file bytes behind every decoded byte kept, for editors that must not touch anything else.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/env-file.h"

#define WHITESPACE " \t\n\r"
#define NEWLINE "\n\r"
#define COMMENTS "#;"
#define SHELL_NEED_ESCAPE "\"\\`$"

void env_file_done(EnvFile *e) {
        for (size_t i = 0; i < e->n_assignments; i++) {
                free(e->assignments[i].key);
                free(e->assignments[i].value);
                free(e->assignments[i].origin);
        }
        free(e->assignments);
        *e = (EnvFile) { .open_quote = SIZE_MAX, .comment_continued = SIZE_MAX };
}

bool env_name_is_valid(const char *s, size_t n) {
        if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
                        return false;
        }
        return true;
}

void env_file_position(const char *data, size_t offset, unsigned *ret_line, unsigned *ret_column) {
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

const EnvAssignment *env_file_last(const EnvFile *e, const char *key) {
        for (size_t i = e->n_assignments; i > 0; i--)
                if (streq(e->assignments[i - 1].key, key))
                        return &e->assignments[i - 1];
        return NULL;
}

/* The length of the UTF-8 character at s (n bytes left), 0 when it is not one utf8_is_valid()
 * accepts: overlong forms, surrogates, code points past U+10FFFF and U+FDD0..U+FDEF, U+xFFFE and
 * U+xFFFF are refused. */
static size_t utf8_char_len(const unsigned char *s, size_t n) {
        static const unsigned least[] = { 0, 0, 0x80, 0x800, 0x10000 };
        size_t len = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
        unsigned cp;

        if (len <= 1 || len > n)
                return len > n ? 0 : len;
        cp = s[0] & (0x7fu >> len);
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3fu);
        }
        if (cp < least[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0xfdd0 && cp <= 0xfdef) ||
            (cp & 0xfffe) == 0xfffe)
                return 0;
        return len;
}

/* The index of the first byte of s that is not valid UTF-8, or SIZE_MAX. */
static size_t utf8_invalid_at(const char *s, size_t n) {
        for (size_t i = 0; i < n;) {
                size_t len = utf8_char_len((const unsigned char *) s + i, n - i);
                if (len == 0)
                        return i;
                i += len;
        }
        return SIZE_MAX;
}

static int error_at(char **ret_error, const char *data, size_t offset, const char *reason) {
        unsigned line, column;
        env_file_position(data, offset, &line, &column);
        if (ret_error && asprintf(ret_error, "%u:%u: %s", line, column, reason) < 0)
                *ret_error = NULL;
        return -EBADMSG;
}

/* The assignment being read. Buffers are sized for the whole file: a value byte never takes
 * less than one byte of the file. */
typedef struct Pending {
        char *key, *value;
        EnvSpan *origin;
        size_t n_key, n_value;
        size_t key_ws, value_ws;   /* where trailing whitespace starts, SIZE_MAX while there is none */
        size_t key_offset;
        unsigned line;
} Pending;

static void pending_done(Pending *p) {
        free(p->key);
        free(p->value);
        free(p->origin);
}

static void value_put(Pending *p, char c, size_t start, size_t end) {
        p->origin[p->n_value] = (EnvSpan) { start, end };
        p->value[p->n_value++] = c;
}

static int assignment_push(EnvFile *e, Pending *p, bool chomp_value, const char *data, char **ret_error) {
        size_t n_key = p->key_ws != SIZE_MAX ? p->key_ws : p->n_key;
        size_t n_value = chomp_value && p->value_ws != SIZE_MAX ? p->value_ws : p->n_value;
        size_t bad;

        p->n_key = p->n_value = 0;
        p->key_ws = p->value_ws = SIZE_MAX;
        /* systemd refuses the whole file then, not just this assignment. The key's bytes are the
         * file's, from key_offset on. */
        if ((bad = utf8_invalid_at(p->key, n_key)) != SIZE_MAX)
                return error_at(ret_error, data, p->key_offset + bad, "invalid UTF-8 in a variable name");
        if ((bad = utf8_invalid_at(p->value, n_value)) != SIZE_MAX)
                return error_at(ret_error, data, p->origin[bad].start, "invalid UTF-8 in a value");
        /* systemd drops these from the service's environment ("Ignoring invalid environment
         * assignment"); "export X=1" is the usual one. */
        if (!env_name_is_valid(p->key, n_key))
                return 0;

        EnvAssignment *items = realloc(e->assignments, (e->n_assignments + 1) * sizeof(EnvAssignment));
        if (!items)
                return -ENOMEM;
        e->assignments = items;
        _cleanup_free_ char *key = strndup(p->key, n_key), *value = malloc(n_value + 1);
        _cleanup_free_ EnvSpan *origin = malloc(MAX(n_value, (size_t) 1) * sizeof(EnvSpan));
        if (!key || !value || !origin)
                return -ENOMEM;
        memcpy(value, p->value, n_value);
        value[n_value] = 0;
        memcpy(origin, p->origin, n_value * sizeof(EnvSpan));
        items[e->n_assignments++] = (EnvAssignment) {
                .key = TAKE_PTR(key),
                .value = TAKE_PTR(value),
                .value_len = n_value,
                .origin = TAKE_PTR(origin),
                .key_offset = p->key_offset,
                .line = p->line,
        };
        return 0;
}

int env_file_parse(const char *data, size_t size, EnvFile *ret, char **ret_error) {
        enum {
                PRE_KEY, KEY, PRE_VALUE, VALUE, VALUE_ESCAPE, SINGLE_QUOTE_VALUE, DOUBLE_QUOTE_VALUE,
                DOUBLE_QUOTE_VALUE_ESCAPE, COMMENT, COMMENT_ESCAPE,
        } state = PRE_KEY;
        _cleanup_(env_file_done) EnvFile e = { .open_quote = SIZE_MAX, .comment_continued = SIZE_MAX };
        _cleanup_(pending_done) Pending p = {
                .key = malloc(size + 1),
                .value = malloc(size + 1),
                .origin = malloc((size + 1) * sizeof(EnvSpan)),
                .key_ws = SIZE_MAX,
                .value_ws = SIZE_MAX,
        };
        size_t quote_at = 0;
        unsigned line = 1;
        /* On a line swallowed into a comment, before its first non-blank byte. */
        bool swallowed_line = false;
        int r = 0;

        if (!p.key || !p.value || !p.origin)
                return -ENOMEM;
        /* read_full_stream() refuses an embedded NUL, so systemd loads nothing of the file. */
        const char *nul = size > 0 ? memchr(data, 0, size) : NULL;
        if (nul)
                return error_at(ret_error, data, (size_t) (nul - data), "NUL byte in environment file");
        for (size_t i = 0; i < size && r >= 0; i++) {
                char c = data[i];

                switch (state) {
                case PRE_KEY:
                        if (strchr(COMMENTS, c))
                                state = COMMENT;
                        else if (!strchr(WHITESPACE, c)) {
                                state = KEY;
                                p.key_ws = SIZE_MAX;
                                p.key_offset = i;
                                p.line = line;
                                p.key[p.n_key++] = c;
                        }
                        break;
                case KEY:
                        if (strchr(NEWLINE, c)) {   /* no '=': ignored */
                                state = PRE_KEY;
                                p.n_key = 0;
                        } else if (c == '=') {
                                state = PRE_VALUE;
                                p.value_ws = SIZE_MAX;
                        } else {
                                if (!strchr(WHITESPACE, c))
                                        p.key_ws = SIZE_MAX;
                                else if (p.key_ws == SIZE_MAX)
                                        p.key_ws = p.n_key;
                                p.key[p.n_key++] = c;
                        }
                        break;
                case PRE_VALUE:
                        if (strchr(NEWLINE, c)) {
                                state = PRE_KEY;
                                r = assignment_push(&e, &p, false, data, ret_error);
                        } else if (c == '\'' || c == '"') {
                                state = c == '\'' ? SINGLE_QUOTE_VALUE : DOUBLE_QUOTE_VALUE;
                                quote_at = i;
                        } else if (c == '\\')
                                state = VALUE_ESCAPE;
                        else if (!strchr(WHITESPACE, c)) {
                                state = VALUE;
                                value_put(&p, c, i, i + 1);
                        }
                        break;
                case VALUE:
                        if (strchr(NEWLINE, c)) {
                                state = PRE_KEY;
                                r = assignment_push(&e, &p, true, data, ret_error);
                        } else if (c == '\\') {
                                state = VALUE_ESCAPE;
                                p.value_ws = SIZE_MAX;
                        } else {
                                if (!strchr(WHITESPACE, c))
                                        p.value_ws = SIZE_MAX;
                                else if (p.value_ws == SIZE_MAX)
                                        p.value_ws = p.n_value;
                                value_put(&p, c, i, i + 1);
                        }
                        break;
                case VALUE_ESCAPE:
                        state = VALUE;
                        if (!strchr(NEWLINE, c))   /* an escaped newline continues the value */
                                value_put(&p, c, i - 1, i + 1);
                        break;
                case SINGLE_QUOTE_VALUE:
                        if (c == '\'')
                                state = PRE_VALUE;
                        else
                                value_put(&p, c, i, i + 1);
                        break;
                case DOUBLE_QUOTE_VALUE:
                        if (c == '"')
                                state = PRE_VALUE;
                        else if (c == '\\')
                                state = DOUBLE_QUOTE_VALUE_ESCAPE;
                        else
                                value_put(&p, c, i, i + 1);
                        break;
                case DOUBLE_QUOTE_VALUE_ESCAPE:
                        state = DOUBLE_QUOTE_VALUE;
                        if (strchr(SHELL_NEED_ESCAPE, c))
                                value_put(&p, c, i - 1, i + 1);
                        else if (c != '\n') {   /* like the shell, the backslash stays; "\\\r" too */
                                value_put(&p, '\\', i - 1, i);
                                value_put(&p, c, i, i + 1);
                        }
                        break;
                case COMMENT:
                        if (swallowed_line && !strchr(" \t", c)) {
                                swallowed_line = false;
                                if (!strchr(COMMENTS NEWLINE, c) && e.comment_continued == SIZE_MAX)
                                        e.comment_continued = i;
                        }
                        if (c == '\\')
                                state = COMMENT_ESCAPE;
                        else if (strchr(NEWLINE, c))
                                state = PRE_KEY;
                        break;
                case COMMENT_ESCAPE:
                        /* systemd 252 continues the comment onto the next line; 254 and later do not. */
                        state = COMMENT;
                        swallowed_line = c == '\n';
                        break;
                }
                if (c == '\n')
                        line++;
        }
        if (r < 0)
                return r;

        if (state == SINGLE_QUOTE_VALUE || state == DOUBLE_QUOTE_VALUE || state == DOUBLE_QUOTE_VALUE_ESCAPE)
                e.open_quote = quote_at;   /* systemd takes the rest of the file into the value */
        if (state != PRE_KEY && state != KEY && state != COMMENT && state != COMMENT_ESCAPE) {
                r = assignment_push(&e, &p, state == VALUE, data, ret_error);
                if (r < 0)
                        return r;
        }
        *ret = e;
        e = (EnvFile) {};
        return 0;
}

/* ---- words ---- */

static int hexval(char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static size_t utf8_put(char *out, unsigned cp) {
        if (cp < 0x80) {
                out[0] = (char) cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (char) (0xc0 | (cp >> 6));
                out[1] = (char) (0x80 | (cp & 0x3f));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (char) (0xe0 | (cp >> 12));
                out[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
                out[2] = (char) (0x80 | (cp & 0x3f));
                return 3;
        }
        out[0] = (char) (0xf0 | (cp >> 18));
        out[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
        out[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
        out[3] = (char) (0x80 | (cp & 0x3f));
        return 4;
}

/* cunescape_one(): the escape after a backslash at p, decoded into out (never longer than the
 * escape). Returns the characters used, or -EINVAL for what systemd keeps verbatim with a warning. */
static int cunescape_one(const char *p, char *out, size_t *ret_n) {
        static const char simple[] = "a\ab\bf\fn\nr\rt\tv\v\\\\\"\"''s ";
        unsigned v = 0;
        int digits;

        for (const char *s = simple; *s; s += 2)
                if (*p == s[0]) {
                        out[0] = s[1];
                        *ret_n = 1;
                        return 1;
                }
        if (*p >= '0' && *p <= '7') {
                for (int i = 0; i < 3; i++) {
                        if (p[i] < '0' || p[i] > '7')
                                return -EINVAL;
                        v = v * 8 + (unsigned) (p[i] - '0');
                }
                if (v == 0 || v > 255)
                        return -EINVAL;
                out[0] = (char) v;
                *ret_n = 1;
                return 3;
        }
        digits = *p == 'x' ? 2 : *p == 'u' ? 4 : *p == 'U' ? 8 : 0;
        if (digits == 0)
                return -EINVAL;
        for (int i = 1; i <= digits; i++) {
                int h = hexval(p[i]);
                if (h < 0)
                        return -EINVAL;
                v = v * 16 + (unsigned) h;
        }
        if (v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
                return -EINVAL;
        if (*p == 'x') {   /* a raw byte, as systemd's eight_bit */
                out[0] = (char) v;
                *ret_n = 1;
        } else
                *ret_n = utf8_put(out, v);
        return digits + 1;
}

int env_extract_word(const char *s, size_t *pos, unsigned flags, char **ret, size_t *ret_start, size_t *ret_end) {
        size_t i = *pos + strspn(s + *pos, WHITESPACE), start = i, n = 0;
        char quote = 0;

        if (!s[i]) {
                *pos = i;
                return 0;
        }
        _cleanup_free_ char *w = malloc(strlen(s + i) + 1);
        if (!w)
                return -ENOMEM;
        for (;;) {
                char c = s[i];
                if (c == 0) {
                        if (quote && !(flags & ENV_EXTRACT_RELAX))
                                return -EINVAL;
                        break;
                }
                if (c == '\\') {
                        size_t k;
                        int used;
                        if (!s[i + 1]) {
                                if (!(flags & ENV_EXTRACT_RELAX))
                                        return -EINVAL;
                                i++;
                                break;
                        }
                        if (!(flags & ENV_EXTRACT_CUNESCAPE)) {
                                w[n++] = s[i + 1];
                                i += 2;
                        } else if ((used = cunescape_one(s + i + 1, w + n, &k)) < 0) {
                                w[n++] = '\\';
                                w[n++] = s[i + 1];
                                i += 2;
                        } else {
                                n += k;
                                i += 1 + (size_t) used;
                        }
                        continue;
                }
                if (quote) {
                        if (c != quote)
                                w[n++] = c;
                        else
                                quote = 0;
                } else if ((flags & ENV_EXTRACT_UNQUOTE) && (c == '\'' || c == '"'))
                        quote = c;
                else if (strchr(WHITESPACE, c))
                        break;
                else
                        w[n++] = c;
                i++;
        }
        w[n] = 0;
        if (ret_start)
                *ret_start = start;
        if (ret_end)
                *ret_end = i;
        *pos = i + strspn(s + i, WHITESPACE);
        *ret = TAKE_PTR(w);
        return 1;
}

void env_words_free(EnvWord *w, size_t n) {
        for (size_t i = 0; w && i < n; i++)
                free(w[i].text);
        free(w);
}

int env_assignment_words(const EnvAssignment *a, EnvWord **ret, size_t *ret_n) {
        EnvWord *w = NULL;
        size_t n = 0;
        int r;

        for (size_t pos = 0;;) {
                _cleanup_free_ char *text = NULL;
                size_t start, end;
                r = env_extract_word(a->value, &pos, ENV_EXTRACT_UNQUOTE | ENV_EXTRACT_RELAX, &text, &start, &end);
                if (r < 0)
                        goto fail;
                if (r == 0)
                        break;
                EnvWord *nw = realloc(w, (n + 1) * sizeof(EnvWord));
                if (!nw) {
                        r = -ENOMEM;
                        goto fail;
                }
                w = nw;
                w[n++] = (EnvWord) { TAKE_PTR(text), a->origin[start].start, a->origin[end - 1].end };
        }
        *ret = w;
        *ret_n = n;
        return 0;
fail:
        env_words_free(w, n);
        return r;
}
