/* SPDX-License-Identifier: MIT */
/*
 * What systemd does with the kubelet's unit when it starts it, and how the kubelet reads the
 * result: the environment files loaded and merged (src/core/execute.c,
 * exec_context_load_environment(); each file read by env-file.c), the
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
#include "remedy/env-file.h"
#include "remedy/fileio.h"
#include "remedy/strv.h"
#include "remedy/error-line.h"
#include "remedy/unit-file.h"

/* strv_env_replace_consume(): the variable keeps its place, the value and source are replaced. */
int kubelet_env_set(KubeletEnvVar **env, size_t *n, const char *name, size_t name_len, const char *value,
                   const char *source) {
        _cleanup_free_ char *v = strdup(value), *src = strdup(source), *nm = strndup(name, name_len);
        if (!v || !src || !nm)
                return -ENOMEM;
        for (size_t i = 0; i < *n; i++)
                if (streq((*env)[i].name, nm)) {
                        free((*env)[i].value);
                        free((*env)[i].source);
                        (*env)[i].value = TAKE_PTR(v);
                        (*env)[i].source = TAKE_PTR(src);
                        return 0;
                }
        KubeletEnvVar *e = realloc(*env, (*n + 1) * sizeof(KubeletEnvVar));
        if (!e)
                return -ENOMEM;
        *env = e;
        e[(*n)++] = (KubeletEnvVar) { TAKE_PTR(nm), TAKE_PTR(v), TAKE_PTR(src) };
        return 0;
}

static const KubeletEnvVar *env_get(const KubeletEnvVar *env, size_t n, const char *name, size_t len) {
        for (size_t i = 0; i < n; i++)
                if (strlen(env[i].name) == len && strncmp(env[i].name, name, len) == 0)
                        return &env[i];
        return NULL;
}

/* ---- environment files ---- */

/* load_env_file(): a file systemd cannot read is skipped when optional and stops the start
 * otherwise. Later assignments replace earlier ones in their place. */
static int env_file_load(const KubeletEnvFileRef *f, const char *path, const NodeFile *nf, KubeletEnvVar **env,
                         size_t *n_env, char **ret_error) {
        _cleanup_(env_file_done) EnvFile e = {};
        _cleanup_free_ char *error = NULL;
        int r = env_file_parse(nf->data, nf->size, &e, &error);
        if (r == -EBADMSG && f->optional)
                return 0;
        if (r == -EBADMSG)
                return fail(ret_error, r, "%s: EnvironmentFile=%s: %s:%s: systemd refuses the file, the service fails to start",
                            f->source, f->path, path, strempty(error));
        if (r < 0)
                return r;
        for (size_t i = 0; i < e.n_assignments; i++) {
                const EnvAssignment *a = &e.assignments[i];
                _cleanup_free_ char *source = NULL;
                if (asprintf(&source, "%s:%u", path, a->line) < 0)
                        return -ENOMEM;
                r = kubelet_env_set(env, n_env, a->key, strlen(a->key), a->value, source);
                if (r < 0)
                        return r;
        }
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

int kubelet_exec_environment(const NodeFS *fs, const KubeletEnvVar *environment, size_t n_environment,
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
                                r = env_file_load(&files[i], *p, nf, &from_files, &n_from_files, ret_error);
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
                        else if (!v && env_name_is_valid(name, strlen(name)))
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
                                if (env_name_is_valid(name, strlen(name)) && strv_extend_unique(&c->unset_variables, name) < 0)
                                        return -ENOMEM;
                                continue;
                        }
                        for (size_t pos = 0;;) {
                                char *part;
                                r = env_extract_word(v->value, &pos, ENV_EXTRACT_UNQUOTE | ENV_EXTRACT_RELAX, &part, NULL,
                                                     NULL);
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

/* hyperkube (OpenShift's ExecStart=/usr/bin/hyperkube kubelet ...) takes the kubelet as its
 * first word, a subcommand rather than an argument of the kubelet's. */
static size_t first_argument(const Words *w) {
        if (w->n < 2 || !streq(w->items[1].text, "kubelet"))
                return 1;
        const char *slash = strrchr(w->items[0].text, '/');
        return streq(slash ? slash + 1 : w->items[0].text, "hyperkube") ? 2 : 1;
}

static int parse_flags(const Words *w, const KubeletFlagSet *known, KubeletCommandLine *c) {
        bool dashdash = false;
        int r;

        for (size_t i = first_argument(w); i < w->n; i++) {
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
        return parse_flags(&w, known, c);
}
