/* SPDX-License-Identifier: MIT */
/*
 * What systemd does with the kubelet's unit when it starts it, and how the kubelet reads the
 * result: the environment files loaded and merged (src/core/execute.c,
 * exec_context_load_environment(); src/basic/env-file.c, parse_env_file_internal()), the
 * ExecStart= words expanded (src/basic/env-util.c, replace_env_argv() and replace_env_full()
 * without extensions), and argv read as pflag reads it with kubelet's flag set.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubelet-cmdline-internal.h"
#include "kubelet-flag-set.h"
#include "remedy/fileio.h"
#include "remedy/strv.h"
#include "unit-install.h"

#define WHITESPACE " \t\n\r"

/* ---- words, as extract_first_word() splits them ---- */

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

/* One word. 1 with *ret, 0 at the end, -EINVAL on an open quote or a trailing backslash (both
 * accepted with KUBELET_EXTRACT_RELAX). An unknown escape is kept as written. */
int kubelet_extract_word(const char **p, unsigned flags, char **ret) {
        const char *s = *p + strspn(*p, WHITESPACE);
        char quote = 0;
        size_t n = 0;

        if (!*s) {
                *p = s;
                return 0;
        }
        _cleanup_free_ char *w = malloc(strlen(s) + 1);
        if (!w)
                return -ENOMEM;
        for (;;) {
                char c = *s;
                if (c == 0) {
                        if (quote && !(flags & KUBELET_EXTRACT_RELAX))
                                return -EINVAL;
                        break;
                }
                if (c == '\\') {
                        size_t k;
                        int used;
                        if (!s[1]) {
                                if (!(flags & KUBELET_EXTRACT_RELAX))
                                        return -EINVAL;
                                s++;
                                break;
                        }
                        if (!(flags & KUBELET_EXTRACT_CUNESCAPE)) {
                                w[n++] = s[1];
                                s += 2;
                        } else if ((used = cunescape_one(s + 1, w + n, &k)) < 0) {
                                w[n++] = '\\';
                                w[n++] = s[1];
                                s += 2;
                        } else {
                                n += k;
                                s += 1 + used;
                        }
                        continue;
                }
                s++;
                if (quote) {
                        if (c == quote)
                                quote = 0;
                        else
                                w[n++] = c;
                } else if ((flags & KUBELET_EXTRACT_UNQUOTE) && (c == '\'' || c == '"'))
                        quote = c;
                else if (strchr(WHITESPACE, c))
                        break;
                else
                        w[n++] = c;
        }
        w[n] = 0;
        *p = s + strspn(s, WHITESPACE);
        *ret = TAKE_PTR(w);
        return 1;
}

static const KubeletEnvVar *env_get(const KubeletEnvVar *env, size_t n, const char *name, size_t len) {
        for (size_t i = 0; i < n; i++)
                if (strlen(env[i].name) == len && strncmp(env[i].name, name, len) == 0)
                        return &env[i];
        return NULL;
}

/* ---- environment files ---- */

typedef struct EnvParser {
        const char *path;
        KubeletEnvVar **env;
        size_t *n_env;
        char *key, *value;
        size_t n_key, n_value, key_ws, value_ws;
        unsigned key_line;
} EnvParser;

static int env_push(EnvParser *e, bool chomp_value) {
        _cleanup_free_ char *source = NULL;
        int r = 0;

        if (e->key_ws != SIZE_MAX)
                e->n_key = e->key_ws;
        if (chomp_value && e->value_ws != SIZE_MAX)
                e->n_value = e->value_ws;
        e->value[e->n_value] = 0;
        /* Invalid names are dropped with "Ignoring invalid environment assignment". */
        if (kubelet_env_name_valid(e->key, e->n_key)) {
                if (asprintf(&source, "%s:%u", e->path, e->key_line) < 0)
                        return -ENOMEM;
                r = kubelet_env_set(e->env, e->n_env, e->key, e->n_key, e->value, source);
        }
        e->n_key = e->n_value = 0;
        e->key_ws = e->value_ws = SIZE_MAX;
        return r;
}

/* parse_env_file_internal(): KEY=value lines, '...' and "..." values, backslash escapes and
 * continuations, # and ; comment lines (a comment ends at its newline, as in systemd 254+). */
static int env_file_parse(const char *path, const char *data, size_t size, KubeletEnvVar **env, size_t *n_env) {
        enum {
                PRE_KEY, KEY, PRE_VALUE, VALUE, VALUE_ESCAPE, SINGLE_QUOTE, DOUBLE_QUOTE, DOUBLE_QUOTE_ESCAPE, COMMENT,
        } state = PRE_KEY;
        _cleanup_free_ char *key = malloc(size + 1), *value = malloc(2 * size + 1);
        EnvParser e = { .path = path, .env = env, .n_env = n_env, .key_ws = SIZE_MAX, .value_ws = SIZE_MAX };
        unsigned line = 1;
        int r = 0;

        if (!key || !value)
                return -ENOMEM;
        e.key = key;
        e.value = value;
        for (size_t i = 0; i < size && data[i] && r >= 0; i++) {
                char c = data[i];
                bool newline = c == '\n' || c == '\r', space = strchr(WHITESPACE, c);

                switch (state) {
                case PRE_KEY:
                        if (c == '#' || c == ';')
                                state = COMMENT;
                        else if (!space) {
                                state = KEY;
                                e.key_line = line;
                                key[e.n_key++] = c;
                        }
                        break;
                case KEY:
                        if (newline) {   /* no '=': ignored */
                                state = PRE_KEY;
                                e.n_key = 0;
                                e.key_ws = SIZE_MAX;
                        } else if (c == '=')
                                state = PRE_VALUE;
                        else {
                                if (!space)
                                        e.key_ws = SIZE_MAX;
                                else if (e.key_ws == SIZE_MAX)
                                        e.key_ws = e.n_key;
                                key[e.n_key++] = c;
                        }
                        break;
                case PRE_VALUE:
                        if (newline) {
                                state = PRE_KEY;
                                r = env_push(&e, false);
                        } else if (c == '\'' || c == '"')
                                state = c == '\'' ? SINGLE_QUOTE : DOUBLE_QUOTE;
                        else if (c == '\\')
                                state = VALUE_ESCAPE;
                        else if (!space) {
                                state = VALUE;
                                value[e.n_value++] = c;
                        }
                        break;
                case VALUE:
                        if (newline) {
                                state = PRE_KEY;
                                r = env_push(&e, true);
                        } else if (c == '\\') {
                                state = VALUE_ESCAPE;
                                e.value_ws = SIZE_MAX;
                        } else {
                                if (!space)
                                        e.value_ws = SIZE_MAX;
                                else if (e.value_ws == SIZE_MAX)
                                        e.value_ws = e.n_value;
                                value[e.n_value++] = c;
                        }
                        break;
                case VALUE_ESCAPE:
                        state = VALUE;
                        if (!newline)   /* an escaped newline continues the value */
                                value[e.n_value++] = c;
                        break;
                case SINGLE_QUOTE:
                        if (c == '\'')
                                state = PRE_VALUE;
                        else
                                value[e.n_value++] = c;
                        break;
                case DOUBLE_QUOTE:
                        if (c == '"')
                                state = PRE_VALUE;
                        else if (c == '\\')
                                state = DOUBLE_QUOTE_ESCAPE;
                        else
                                value[e.n_value++] = c;
                        break;
                case DOUBLE_QUOTE_ESCAPE:
                        state = DOUBLE_QUOTE;
                        if (strchr("\"\\`$", c))
                                value[e.n_value++] = c;
                        else if (c != '\n') {   /* like the shell, the backslash stays */
                                value[e.n_value++] = '\\';
                                value[e.n_value++] = c;
                        }
                        break;
                case COMMENT:
                        if (newline)
                                state = PRE_KEY;
                        break;
                }
                if (c == '\n')
                        line++;
        }
        if (r < 0)
                return r;
        /* systemd takes an open quote to the end of the file. */
        if (state != PRE_KEY && state != KEY && state != COMMENT)
                return env_push(&e, state == VALUE);
        return 0;
}

static bool is_glob(const char *s) {
        return strpbrk(s, "*?[") != NULL;
}

static int env_file_missing(const KubeletEnvFileRef *f, const char *path, const char *what, KubeletCommandLine *c,
                            char **ret_error) {
        if (f->optional)
                return strv_extend_unique(&c->env_files_missing, path);
        return fail(ret_error, -ENOENT, "%s: EnvironmentFile=%s %s: the service fails to start (a leading '-' makes it optional)",
                    f->source, f->path, what);
}

int kubelet_exec_environment(const UnitFS *fs, const KubeletEnvVar *environment, size_t n_environment,
                             const KubeletEnvFileRef *files, size_t n_files, KubeletCommandLine *c, char **ret_error) {
        KubeletEnvVar *from_files = NULL;
        size_t n_from_files = 0;
        int r = 0;

        for (size_t i = 0; i < n_files && r >= 0; i++) {
                _cleanup_strv_free_ char **paths = NULL;
                _cleanup_free_ char *normalized = NULL;

                if (is_glob(files[i].path)) {
                        r = fs->glob(fs->userdata, files[i].path, &paths);
                        if (r == -ENOMEM)
                                break;
                        if (r < 0 || !paths) {
                                r = env_file_missing(&files[i], files[i].path, "matches nothing", c, ret_error);
                                continue;
                        }
                } else if ((r = path_normalize(files[i].path, &normalized)) < 0) {
                        if (r != -ENOMEM)
                                r = env_file_missing(&files[i], files[i].path, "is not a valid path", c, ret_error);
                        continue;
                } else if ((r = strv_consume(&paths, TAKE_PTR(normalized))) < 0)
                        break;

                STRV_FOREACH(p, paths) {
                        const NodeFile *nf;
                        r = fs->read(fs->userdata, *p, true, &nf);
                        if (r >= 0 && nf->kind != FILE_REGULAR)
                                r = env_file_missing(&files[i], *p,
                                                     nf->kind == FILE_ABSENT ? "does not exist" : "is not a regular file", c,
                                                     ret_error);
                        else if (r >= 0)
                                r = env_file_parse(*p, nf->data, nf->size, &from_files, &n_from_files);
                        if (r < 0)
                                break;
                }
        }

        /* Environment= first, every file over it. */
        for (size_t i = 0; i < n_environment && r >= 0; i++)
                r = kubelet_env_set(&c->env, &c->n_env, environment[i].name, strlen(environment[i].name),
                                    environment[i].value, environment[i].source);
        for (size_t i = 0; i < n_from_files && r >= 0; i++)
                r = kubelet_env_set(&c->env, &c->n_env, from_files[i].name, strlen(from_files[i].name), from_files[i].value,
                                    from_files[i].source);
        for (size_t i = 0; i < n_from_files; i++) {
                free(from_files[i].name);
                free(from_files[i].value);
                free(from_files[i].source);
        }
        free(from_files);
        if (r < 0)
                return r;
        c->config_dir_alpha_env = env_get(c->env, c->n_env, "KUBELET_CONFIG_DROPIN_DIR_ALPHA",
                                          strlen("KUBELET_CONFIG_DROPIN_DIR_ALPHA")) != NULL;
        return 0;
}

/* ---- the expansion ---- */

typedef struct Word {
        char *text;
        const char *source;     /* borrowed: the ExecStart= line or the variable's assignment */
        const char *variable;   /* borrowed */
} Word;

typedef struct Words {
        Word *items;
        size_t n;
} Words;

static void words_done(Words *w) {
        for (size_t i = 0; i < w->n; i++)
                free(w->items[i].text);
        free(w->items);
        *w = (Words) {};
}

static int words_add(Words *w, char *text, const char *source, const char *variable) {
        Word *items = realloc(w->items, (w->n + 1) * sizeof(Word));
        if (!items) {
                free(text);
                return -ENOMEM;
        }
        w->items = items;
        items[w->n++] = (Word) { text, source, variable };
        return 0;
}

/* replace_env_full() without extensions: ${NAME} replaced (by nothing when unset), $$ is '$',
 * anything else kept. The first variable used is where the word came from. */
static int replace_env(const char *format, KubeletCommandLine *c, char **ret, const KubeletEnvVar **ret_first) {
        _cleanup_free_ char *out = NULL;
        const KubeletEnvVar *first = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);
        int r = 0;

        if (!f)
                return -ENOMEM;
        for (const char *e = format; *e && r >= 0; e++) {
                const char *end = e[0] == '$' && e[1] == '{' ? e + 2 + strcspn(e + 2, "}:") : NULL;
                if (e[0] == '$' && e[1] == '$')
                        fputc(*e++, f);
                else if (end && *end == '}') {   /* not ${NAME:-...}: kept as written */
                        const KubeletEnvVar *v = env_get(c->env, c->n_env, e + 2, end - e - 2);
                        _cleanup_free_ char *name = strndup(e + 2, end - e - 2);
                        if (!name)
                                r = -ENOMEM;
                        else if (!v && kubelet_env_name_valid(name, strlen(name)))
                                r = strv_extend_unique(&c->unset_variables, name);
                        fputs(v ? v->value : "", f);
                        first = first ?: v;
                        e = end;
                } else
                        fputc(*e, f);
        }
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(out);
        *ret_first = first;
        return 0;
}

static int expand(char * const *words, const char *source, bool no_env_expand, KubeletCommandLine *c, Words *ret) {
        _cleanup_(words_done) Words out = {};
        int r;

        STRV_FOREACH(w, words) {
                const char *name = *w + 1;
                if (no_env_expand) {
                        char *t = strdup(*w);
                        if (!t || words_add(&out, t, source, NULL) < 0)
                                return -ENOMEM;
                } else if ((*w)[0] == '$' && name[0] != '{' && name[0] != '$') {
                        /* $NAME as a word of its own: the value split at whitespace, quotes removed. */
                        const KubeletEnvVar *v = env_get(c->env, c->n_env, name, strlen(name));
                        if (!v) {
                                if (kubelet_env_name_valid(name, strlen(name)) && strv_extend_unique(&c->unset_variables, name) < 0)
                                        return -ENOMEM;
                                continue;
                        }
                        for (const char *p = v->value;;) {
                                char *part;
                                r = kubelet_extract_word(&p, KUBELET_EXTRACT_UNQUOTE | KUBELET_EXTRACT_RELAX, &part);
                                if (r < 0)
                                        return r;
                                if (r == 0)
                                        break;
                                if (words_add(&out, part, v->source, v->name) < 0)
                                        return -ENOMEM;
                        }
                } else {
                        const KubeletEnvVar *first;
                        char *t;
                        r = replace_env(*w, c, &t, &first);
                        if (r < 0)
                                return r;
                        if (words_add(&out, t, first ? first->source : source, first ? first->name : NULL) < 0)
                                return -ENOMEM;
                }
        }
        strv_sort(c->unset_variables);
        *ret = out;
        out = (Words) {};
        return 0;
}

/* ---- argv as pflag reads it ---- */

static int arg_add(KubeletCommandLine *c, const Word *w, size_t index, size_t n_words, const char *flag,
                   size_t flag_len, const char *value, int accepted) {
        KubeletArg *a = realloc(c->args, (c->n_args + 1) * sizeof(KubeletArg));
        if (!a)
                return -ENOMEM;
        c->args = a;
        a = &a[c->n_args];
        *a = (KubeletArg) {
                .word = strdup(w->text),
                .flag = flag ? strndup(flag, flag_len) : NULL,
                .value = value ? strdup(value) : NULL,
                .source = strdup(w->source),
                .variable = w->variable ? strdup(w->variable) : NULL,
                .index = index,
                .n_words = n_words,
                .accepted = accepted,
        };
        c->n_args++;
        if (!a->word || (flag && !a->flag) || (value && !a->value) || !a->source || (w->variable && !a->variable))
                return -ENOMEM;
        for (char *s = a->flag; s && *s; s++)
                if (*s == '_')
                        *s = '-';   /* kubelet's flag set normalises with WordSepNormalizeFunc */
        return 0;
}

static int parse_flags(const Words *w, const KubeletFlagSet *known, KubeletCommandLine *c) {
        bool dashdash = false;
        int r;

        for (size_t i = 1; i < w->n; i++) {
                const char *t = w->items[i].text, *next = i + 1 < w->n ? w->items[i + 1].text : NULL, *value = NULL;
                _cleanup_free_ char *name = NULL;
                size_t used = 1;
                bool good;

                if (dashdash || t[0] != '-' || !t[1]) {   /* kubelet: "unknown command" */
                        r = arg_add(c, &w->items[i], i, 1, NULL, 0, NULL, known ? 0 : -1);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (streq(t, "--")) {
                        dashdash = true;
                        continue;
                }
                if (t[1] == '-') {
                        const char *body = t + 2, *eq = strchr(body, '=');
                        name = strndup(body, eq ? (size_t) (eq - body) : strlen(body));
                        if (!name)
                                return -ENOMEM;
                        for (char *s = name; *s; s++)
                                if (*s == '_')
                                        *s = '-';
                        bool is_bool = kubelet_flag_set_is_bool(known, name), is_known = kubelet_flag_set_has(known, name);
                        value = eq ? eq + 1 : NULL;
                        /* pflag takes the next word as the value whatever it looks like; for a flag it
                         * does not know it stops, so guess as a reader would. */
                        if (!eq && !is_bool && next && (is_known || next[0] != '-')) {
                                value = next;
                                used = 2;
                        }
                        good = is_known && body[0] != '-' && body[0] != '=' && (eq || is_bool || used == 2);
                } else {
                        /* "-v 2", "-v=2", "-v2": a shorthand letter */
                        const char *lng = kubelet_flag_set_long_name(known, t[1]), *rest = t + 2;
                        name = lng ? strdup(lng) : strndup(t + 1, 1);
                        if (!name)
                                return -ENOMEM;
                        bool is_bool = kubelet_flag_set_is_bool(known, name);
                        if (*rest == '=')
                                value = rest + 1;
                        else if (*rest && !is_bool)
                                value = rest;
                        else if (!*rest && !is_bool && next && (lng || next[0] != '-')) {
                                value = next;
                                used = 2;
                        }
                        good = lng && (value || is_bool);
                }
                r = arg_add(c, &w->items[i], i, used, name, strlen(name), value, known ? good : -1);
                if (r < 0)
                        return r;
                i += used - 1;
        }
        return 0;
}

static int dup_value(const KubeletCommandLine *c, const char *flag, char **ret) {
        const KubeletArg *a = kubelet_cmdline_find(c, flag);
        if (!a || !a->value)
                return 0;
        *ret = strdup(a->value);
        return *ret ? 0 : -ENOMEM;
}

int kubelet_exec_argv(char * const *words, const char *source, bool no_env_expand, const KubeletFlagSet *known,
                      KubeletCommandLine *c) {
        _cleanup_(words_done) Words w = {};
        int r;

        c->no_env_expand = no_env_expand;
        r = expand(words, source, no_env_expand, c, &w);
        if (r < 0)
                return r;
        for (size_t i = 0; i < w.n; i++)
                if (strv_extend(&c->argv, w.items[i].text) < 0)
                        return -ENOMEM;
        if ((r = parse_flags(&w, known, c)) < 0 || (r = dup_value(c, "config", &c->config_path)) < 0 ||
            (r = dup_value(c, "config-dir", &c->config_dir)) < 0 || (r = dup_value(c, "kubeconfig", &c->kubeconfig_path)) < 0)
                return r;
        return 0;
}
