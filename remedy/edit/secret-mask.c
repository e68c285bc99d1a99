/* SPDX-License-Identifier: MIT */
/*
 * Secret masking for everything remedy prints. secret_marks() marks the bytes of a text that must
 * not be shown: the document rules (secret-mask-document.c: YAML and JSON parsed, credentials found
 * by their place) and the line rules here, which need no parser: PEM private keys, values of
 * secret keys (YAML, TOML, INI, env), assignments of secret names anywhere in a line
 * (Environment="DB_PASSWORD=..."), secret command-line flags, credentials in URLs and bootstrap
 * tokens. Diffs print each line with its marks, so that hunks and line numbers stay those of the
 * real text while no secret byte (nor its length) reaches the output; secret_mask() and
 * text_mask_secrets() print a string or a whole text the same way. The little line state that
 * spans lines (PEM blocks, YAML values continued on deeper indented lines, TOML multi-line
 * strings) is carried in SecretState.
 */
#include "secret-mask.h"

#include <errno.h>
#include <string.h>

#include "remedy/diff.h"
#include "remedy/macro.h"
#include "remedy/secret-mask.h"

#define REDACTED "<redacted>"

typedef struct KeyLine {
        size_t indent; /* where the first non-blank byte is */
        const char *key;
        size_t key_len;
        char separator;
        size_t value; /* first non-blank byte after the separator, len when none */
} KeyLine;

static bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

static size_t skip_blank(const char *s, size_t i, size_t len) {
        while (i < len && is_blank(s[i]))
                i++;
        return i;
}

static bool key_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
               c == '_' || c == '.';
}

/* "  - key: value", "key = value", "\"key\": value", "export KEY=value" */
static bool parse_key_line(const char *s, size_t len, KeyLine *ret) {
        size_t i = skip_blank(s, 0, len);
        char quote = 0;

        ret->indent = i;
        while (i + 1 < len && s[i] == '-' && is_blank(s[i + 1]))
                i = skip_blank(s, i + 1, len);
        if (len - i > 7 && memcmp(s + i, "export ", 7) == 0)
                i = skip_blank(s, i + 7, len);
        if (i < len && (s[i] == '"' || s[i] == '\''))
                quote = s[i++];
        ret->key = s + i;
        while (i < len && (quote ? s[i] != quote : key_char(s[i])))
                i++;
        ret->key_len = (size_t) (s + i - ret->key);
        if (quote && i++ == len)
                return false;
        i = skip_blank(s, i, len);
        if (ret->key_len == 0 || i == len || (s[i] != ':' && s[i] != '='))
                return false;
        ret->separator = s[i];
        ret->value = skip_blank(s, i + 1, len);
        return true;
}

/* Where the text after a "-----BEGIN ... PRIVATE KEY...-----" marker starts, or NULL. */
static const char *find_private_key_begin(const char *s, size_t len) {
        const char *begin = memmem(s, len, "-----BEGIN", 10), *end = s + len;
        if (!begin)
                return NULL;
        const char *kind = memmem(begin, (size_t) (end - begin), "PRIVATE KEY", 11);
        if (!kind)
                return NULL;
        const char *close = memmem(kind, (size_t) (end - kind), "-----", 5);
        return close ? close + 5 : end;
}

static bool is_block_indicator(const char *s, size_t len) {
        size_t i = 1;
        if (len == 0 || (s[0] != '|' && s[0] != '>'))
                return false;
        while (i < len && (s[i] == '+' || s[i] == '-' || (s[i] >= '1' && s[i] <= '9')))
                i++;
        i = skip_blank(s, i, len);
        return i == len || s[i] == '#';
}

/* Feeds one line (without its terminator) through the state that spans lines. */
SecretLine secret_state_next(SecretState *st, const char *s, size_t len) {
        size_t indent = skip_blank(s, 0, len);
        bool blank = indent == len;
        KeyLine k;

        if (st->open_quote) {
                if (memmem(s, len, st->open_quote, 3))
                        st->open_quote = NULL;
                return blank ? SECRET_NONE : SECRET_BODY;
        }
        /* YAML continues a scalar (plain, quoted or block) on lines indented deeper than its key. */
        if (st->in_value) {
                if (blank)
                        return SECRET_NONE;
                if (indent > st->value_indent)
                        return SECRET_BODY;
                st->in_value = false;
        }
        if (st->in_pem) {
                if (memmem(s, len, "-----END", 8)) {
                        st->in_pem = false;
                        return SECRET_PEM_END;
                }
                return blank ? SECRET_NONE : SECRET_BODY;
        }

        const char *after = find_private_key_begin(s, len);
        if (after && !memmem(after, (size_t) (s + len - after), "-----END", 8))
                st->in_pem = true;

        if (parse_key_line(s, len, &k) && secret_name(k.key, k.key_len)) {
                const char *v = s + k.value;
                size_t vlen = len - k.value;

                if (k.separator == ':') {
                        st->in_value = true;
                        st->value_indent = k.indent;
                } else if (vlen >= 3 && (memcmp(v, "\"\"\"", 3) == 0 || memcmp(v, "'''", 3) == 0) &&
                           !memmem(v + 3, vlen - 3, v, 3))
                        st->open_quote = v[0] == '"' ? "\"\"\"" : "'''";
        }
        return SECRET_NONE;
}

static void mark_range(uint8_t *marks, size_t from, size_t to) {
        if (from < to)
                memset(marks + from, 1, to - from);
}

static size_t flag_value_end(const char *s, size_t i, size_t len) {
        char quote = 0;
        for (; i < len; i++) {
                if (quote) {
                        if (s[i] == quote)
                                quote = 0;
                } else if (s[i] == '"' || s[i] == '\'')
                        quote = s[i];
                else if (is_blank(s[i]))
                        break;
        }
        return i;
}

/* --token=VALUE, --password VALUE, anywhere in a line (command lines, env files, drop-ins). */
static void mark_secret_flags(const char *s, size_t len, uint8_t *marks) {
        for (size_t i = 0; i + 2 < len; i++) {
                if (s[i] != '-' || s[i + 1] != '-' || (i > 0 && (s[i - 1] == 0 || !strchr(" \t\"'=([,", s[i - 1]))))
                        continue;
                size_t name = i + 2, e = name, v;
                while (e < len && key_char(s[e]) && s[e] != '.')
                        e++;
                if (e == name || !secret_flag_name(s + name, e - name))
                        continue;
                if (e < len && s[e] == '=')
                        v = e + 1;
                else if (e < len && is_blank(s[e]))
                        v = skip_blank(s, e, len);
                else
                        continue;
                if (v < len && s[v] == '-' && s[v - 1] != '=')
                        continue; /* "--token --next": a flag without a value */
                i = flag_value_end(s, v, len);
                mark_range(marks, v, i);
        }
}

/* Where the value of an assignment that starts at v ends: a quoted value at its closing quote,
 * a value inside a quoted word (Environment="DB_PASSWORD=a b") at the word's closing quote, else
 * at the first blank or separator. */
static size_t assignment_value_end(const char *s, size_t v, size_t len, char enclosing) {
        char quote = enclosing;
        size_t i = v;

        if (!quote && i < len && (s[i] == '"' || s[i] == '\''))
                quote = s[i++];
        if (quote) {
                for (; i < len && s[i] != quote; i++)
                        if (s[i] == '\\' && quote == '"' && i + 1 < len)
                                i++;
                return enclosing ? i : MIN(i + 1, len);
        }
        while (i < len && !is_blank(s[i]) && !strchr(",;\"'", s[i]))
                i++;
        return i;
}

static bool is_separator(const char *s, size_t i, size_t len) {
        if (s[i] == '=')
                return s[i - 1] != '=' && s[i - 1] != '!' && (i + 1 == len || s[i + 1] != '=');
        /* "key: value" as YAML writes it; "host:port" and "::" are no keys */
        return s[i] == ':' && s[i - 1] != ':' && (i + 1 == len || is_blank(s[i + 1]));
}

/* NAME=VALUE, "NAME" = VALUE and NAME: VALUE anywhere in a line for a secret NAME: Environment=
 * lines with several assignments, TOML inline tables, notes that quote a key and its values
 * ("users[0].user.token: OLD → NEW", after other clauses). A ':' value runs to the end of the
 * line, as in the notes that print the old and the new one. */
static void mark_secret_assignments(const char *s, size_t len, uint8_t *marks) {
        for (size_t eq = 1; eq < len; eq++) {
                size_t b, e = eq;
                char enclosing = 0;

                if (!is_separator(s, eq, len))
                        continue;
                while (e > 0 && is_blank(s[e - 1]))
                        e--;
                if (e > 0 && (s[e - 1] == '"' || s[e - 1] == '\'')) {
                        char q = s[--e];
                        for (b = e; b > 0 && s[b - 1] != q; b--)
                                ;
                        if (b == 0)
                                continue;
                } else {
                        b = e;
                        for (;;) {
                                while (b > 0 && key_char(s[b - 1]))
                                        b--;
                                /* A quoted part of a dotted TOML key: configs."registry.example".auth.password */
                                if (b < 2 || b >= e || s[b] != '.' || (s[b - 1] != '"' && s[b - 1] != '\''))
                                        break;
                                char q = s[--b];
                                while (b > 0 && s[b - 1] != q)
                                        b--;
                                if (b == 0)
                                        break;
                                b--;
                        }
                        if (b > 0 && (s[b - 1] == '"' || s[b - 1] == '\''))
                                enclosing = s[b - 1];
                }
                if (b == e || !secret_name(s + b, e - b))
                        continue;
                size_t v = skip_blank(s, eq + 1, len);
                if (s[eq] == ':' && is_block_indicator(s + v, len - v))
                        continue; /* "password: |": the lines below are the value, and marked as such */
                mark_range(marks, v, s[eq] == ':' ? len : assignment_value_end(s, v, len, enclosing));
        }
}

/* scheme://USER:PASSWORD@host: the user information, up to its last "@" (a password may hold
 * one unencoded). */
static void mark_url_credentials(const char *s, size_t len, uint8_t *marks) {
        for (const char *p = s; (p = memmem(p, (size_t) (s + len - p), "://", 3)); p += 3) {
                size_t from = (size_t) (p + 3 - s), at = 0;
                for (size_t i = from; i < len && !is_blank(s[i]) && !strchr("/?#\"'", s[i]); i++)
                        if (s[i] == '@')
                                at = i;
                if (at > from)
                        mark_range(marks, from, at);
        }
}

static bool token_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* Kubernetes bootstrap tokens, [a-z0-9]{6}.[a-z0-9]{16}, wherever they appear. */
static void mark_bootstrap_tokens(const char *s, size_t len, uint8_t *marks) {
        for (size_t i = 0; i + 23 <= len; i++) {
                size_t j = 0;
                if (i > 0 && token_char(s[i - 1]))
                        continue;
                while (j < 23 && (j == 6 ? s[i + j] == '.' : token_char(s[i + j])))
                        j++;
                if (j == 23 && (i + 23 == len || !token_char(s[i + 23])))
                        mark_range(marks, i, i + 23);
        }
}

static bool has_content(const char *s, size_t from, size_t to) {
        for (size_t i = from; i < to; i++)
                if (!is_blank(s[i]) && s[i] != '"' && s[i] != '\'')
                        return true;
        return false;
}

/* Sets marks[i] for every byte of the line (without terminator) that must not be shown. */
void secret_mark_line(const char *s, size_t len, SecretLine kind, uint8_t *marks) {
        size_t indent = skip_blank(s, 0, len);
        KeyLine k;

        memset(marks, 0, len);
        if (kind == SECRET_BODY) {
                mark_range(marks, indent, len);
                return;
        }
        if (kind == SECRET_PEM_END) {
                size_t end = (size_t) ((const char *) memmem(s, len, "-----END", 8) - s);
                if (has_content(s, indent, end))
                        mark_range(marks, indent, end);
        }
        if (parse_key_line(s, len, &k) && secret_name(k.key, k.key_len) &&
            !is_block_indicator(s + k.value, len - k.value))
                mark_range(marks, k.value, len);

        const char *after = find_private_key_begin(s, len);
        if (after) {
                size_t from = (size_t) (after - s);
                const char *end = memmem(after, len - from, "-----END", 8);
                size_t to = end ? (size_t) (end - s) : len;
                if (has_content(s, from, to))
                        mark_range(marks, from, to);
        }
        mark_secret_flags(s, len, marks);
        mark_secret_assignments(s, len, marks);
        mark_url_credentials(s, len, marks);
        mark_bootstrap_tokens(s, len, marks);
}

/* One REDACTED per run, whatever its length: the length of a secret is a secret too. */
void secret_write_masked(FILE *out, const char *s, size_t len, const uint8_t *marks) {
        size_t i = 0;
        while (i < len) {
                size_t j = i;
                if (marks[i]) {
                        while (j < len && marks[j])
                                j++;
                        fputs(REDACTED, out);
                } else {
                        while (j < len && !marks[j])
                                j++;
                        fwrite(s + i, 1, j - i, out);
                }
                i = j;
        }
}

/* ---- Whole texts ------------------------------------------------------------------------ */

/* Line at *off without "\n" and a "\r" before it; moves *off to the next line. */
static const char *next_line(const char *data, size_t size, size_t *off, size_t *ret_len, bool *ret_cr,
                             bool *ret_nl) {
        const char *s = data + *off, *nl = memchr(s, '\n', size - *off);
        size_t len = nl ? (size_t) (nl - s) : size - *off;

        *off += len + (nl != NULL);
        *ret_cr = len > 0 && s[len - 1] == '\r';
        *ret_len = len - *ret_cr;
        *ret_nl = nl != NULL;
        return s;
}

int secret_marks(const char *data, size_t size, uint8_t **ret) {
        _cleanup_free_ uint8_t *marks = NULL;
        SecretState st = {};
        int r;

        size = data ? size : 0;
        marks = calloc(size + 1, 1);
        if (!marks)
                return -ENOMEM;
        for (size_t off = 0; off < size;) {
                size_t start = off, len;
                bool cr, nl;
                const char *s = next_line(data, size, &off, &len, &cr, &nl);

                secret_mark_line(s, len, secret_state_next(&st, s, len), marks + start);
        }
        r = secret_mark_document(data, size, marks);
        if (r < 0)
                return r;
        /* Indentation and line ends stay visible: they are layout, not the secret, and a diff of
         * a block scalar reads better with them. */
        bool indent = true;
        for (size_t i = 0; i < size; i++) {
                if (data[i] == '\n' || data[i] == '\r')
                        marks[i] = 0;
                else if (indent && is_blank(data[i]))
                        marks[i] = 0;
                indent = data[i] == '\n' || (indent && is_blank(data[i]));
        }
        *ret = TAKE_PTR(marks);
        return 0;
}

bool text_has_secret(const char *data, size_t size) {
        _cleanup_free_ uint8_t *marks = NULL;

        /* Out of memory: claim a secret, so that a caller never prints the text on our word. */
        if (secret_marks(data, size, &marks) < 0)
                return true;
        return memchr(marks, 1, data ? size : 0) != NULL;
}

char *text_mask_secrets(const char *data, size_t size) {
        _cleanup_free_ uint8_t *marks = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t buf_size = 0;

        size = data ? size : 0;
        if (secret_marks(data, size, &marks) < 0)
                return NULL;
        FILE *f = open_memstream(&buf, &buf_size);
        if (!f)
                return NULL;
        for (size_t off = 0; off < size;) {
                size_t start = off, len;
                bool cr, nl;
                const char *s = next_line(data, size, &off, &len, &cr, &nl);

                secret_write_masked(f, s, len, marks + start);
                fputs(cr ? "\r" : "", f);
                fputs(nl ? "\n" : "", f);
        }
        if (fclose(f) != 0)
                return NULL;
        return TAKE_PTR(buf);
}

char *secret_mask(const char *s) {
        if (!s)
                return NULL;
        return text_mask_secrets(s, strlen(s));
}
