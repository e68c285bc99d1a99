/* SPDX-License-Identifier: MIT */
/*
 * What systemd does with a service's unit when it starts it: the environment files loaded and
 * merged (src/core/execute.c, exec_context_load_environment(); each file read by env-file.c), and
 * the ExecStart= words expanded (src/basic/env-util.c, replace_env_argv() and replace_env_full()
 * without extensions).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit-exec-internal.h"
#include "remedy/env-file.h"
#include "remedy/fileio.h"
#include "remedy/strv.h"
#include "remedy/error-line.h"

/* strv_env_replace_consume(): the variable keeps its place, the value and source are replaced. */
int unit_env_set(UnitEnvVar **env, size_t *n, const char *name, size_t name_len, const char *value,
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
        UnitEnvVar *e = realloc(*env, (*n + 1) * sizeof(UnitEnvVar));
        if (!e)
                return -ENOMEM;
        *env = e;
        e[(*n)++] = (UnitEnvVar) { TAKE_PTR(nm), TAKE_PTR(v), TAKE_PTR(src) };
        return 0;
}

static const UnitEnvVar *env_get(const UnitEnvVar *env, size_t n, const char *name, size_t len) {
        for (size_t i = 0; i < n; i++)
                if (strlen(env[i].name) == len && strncmp(env[i].name, name, len) == 0)
                        return &env[i];
        return NULL;
}

const UnitEnvVar *unit_exec_env_get(const UnitExec *e, const char *name) {
        return env_get(e->env, e->n_env, name, strlen(name));
}

void unit_env_vars_free(UnitEnvVar *v, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(v[i].name);
                free(v[i].value);
                free(v[i].source);
        }
        free(v);
}

/* ---- environment files ---- */

/* load_env_file(): a file systemd cannot read is skipped when optional and stops the start
 * otherwise. Later assignments replace earlier ones in their place. */
static int env_file_load(const UnitEnvFileRef *f, const char *path, const NodeFile *nf, UnitEnvVar **env,
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
                r = unit_env_set(env, n_env, a->key, strlen(a->key), a->value, source);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool is_glob(const char *s) {
        return strpbrk(s, "*?[") != NULL;
}

static int env_file_missing(const UnitEnvFileRef *f, const char *path, const char *what, UnitExec *c,
                            char **ret_error) {
        if (f->optional)
                return strv_extend_unique(&c->env_files_missing, path);
        return fail(ret_error, -ENOENT, "%s: EnvironmentFile=%s %s: the service fails to start (a leading '-' makes it optional)",
                    f->source, f->path, what);
}

int unit_exec_environment(const NodeFS *fs, const UnitEnvVar *environment, size_t n_environment,
                          const UnitEnvFileRef *files, size_t n_files, UnitExec *c, char **ret_error) {
        UnitEnvVar *from_files = NULL;
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
                r = unit_env_set(&c->env, &c->n_env, environment[i].name, strlen(environment[i].name),
                                 environment[i].value, environment[i].source);
        for (size_t i = 0; i < n_from_files && r >= 0; i++)
                r = unit_env_set(&c->env, &c->n_env, from_files[i].name, strlen(from_files[i].name), from_files[i].value,
                                 from_files[i].source);
        unit_env_vars_free(from_files, n_from_files);
        return r < 0 ? r : 0;
}

/* ---- the expansion ---- */

/* Appends a word to c->words, taking text; source and variable are copied. */
static int words_add(UnitExec *c, char *text, const char *source, const char *variable) {
        _cleanup_free_ char *t = text, *src = strdup(source), *var = variable ? strdup(variable) : NULL;
        if (!src || (variable && !var))
                return -ENOMEM;
        UnitExecWord *words = realloc(c->words, (c->n_words + 1) * sizeof(UnitExecWord));
        if (!words)
                return -ENOMEM;
        c->words = words;
        words[c->n_words++] = (UnitExecWord) { TAKE_PTR(t), TAKE_PTR(src), TAKE_PTR(var) };
        return 0;
}

/* replace_env_full() without extensions: ${NAME} replaced (by nothing when unset), $$ is '$',
 * anything else kept. The first variable used is where the word came from. */
static int replace_env(const char *format, UnitExec *c, char **ret, const UnitEnvVar **ret_first) {
        _cleanup_free_ char *out = NULL;
        const UnitEnvVar *first = NULL;
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
                        const UnitEnvVar *v = env_get(c->env, c->n_env, e + 2, end - e - 2);
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

int unit_exec_expand(char * const *words, const char *source, bool no_env_expand, UnitExec *c) {
        int r;

        c->no_env_expand = no_env_expand;
        STRV_FOREACH(w, words) {
                const char *name = *w + 1;
                if (no_env_expand) {
                        char *t = strdup(*w);
                        if (!t || words_add(c, t, source, NULL) < 0)
                                return -ENOMEM;
                } else if ((*w)[0] == '$' && name[0] != '{' && name[0] != '$') {
                        /* $NAME as a word of its own: the value split at whitespace, quotes removed. */
                        const UnitEnvVar *v = env_get(c->env, c->n_env, name, strlen(name));
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
                                if (words_add(c, part, v->source, v->name) < 0)
                                        return -ENOMEM;
                        }
                } else {
                        const UnitEnvVar *first;
                        char *t;
                        r = replace_env(*w, c, &t, &first);
                        if (r < 0)
                                return r;
                        if (words_add(c, t, first ? first->source : source, first ? first->name : NULL) < 0)
                                return -ENOMEM;
                }
        }
        strv_sort(c->unset_variables);
        for (size_t i = 0; i < c->n_words; i++)
                if (strv_extend(&c->argv, c->words[i].text) < 0)
                        return -ENOMEM;
        return 0;
}
