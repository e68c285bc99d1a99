/* SPDX-License-Identifier: MIT */
/*
 * A service's command line as systemd would start it: the unit's fragment and drop-ins read as
 * systemd 252 reads them (src/shared/dropin.c, src/core/load-fragment.c config_parse_exec(),
 * config_parse_environ(), config_parse_unit_env_file()); the environment files loaded as at
 * exec time and the words expanded as src/basic/env-util.c replace_env_argv() does are in
 * unit-exec-env.c.
 */
#include "remedy/unit-exec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit-exec-internal.h"
#include "remedy/env-file.h"
#include "remedy/strv.h"
#include "remedy/error-line.h"
#include "remedy/unit-file.h"

#define WHITESPACE " \t\n\r"

/* ---- the [Service] settings of the fragment and drop-ins ---- */

typedef struct ExecCommand {
        char *path;
        char **argv;
        char *source;
        bool no_env_expand;
} ExecCommand;

typedef struct Service {
        const char *unit;
        ExecCommand *exec;
        size_t n_exec;
        UnitEnvVar *environment;
        size_t n_environment;
        UnitEnvFileRef *env_files;
        size_t n_env_files;
        bool oneshot;
} Service;

static void exec_commands_free(ExecCommand *e, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(e[i].path);
                strv_free(e[i].argv);
                free(e[i].source);
        }
        free(e);
}

static void env_file_refs_free(UnitEnvFileRef *f, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(f[i].path);
                free(f[i].source);
        }
        free(f);
}

static void service_done(Service *s) {
        exec_commands_free(s->exec, s->n_exec);
        unit_env_vars_free(s->environment, s->n_environment);
        env_file_refs_free(s->env_files, s->n_env_files);
        *s = (Service) { .unit = s->unit };
}

/* extract_first_word(p, EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE), as config_parse_exec() and
 * config_parse_environ() split a setting: 1 with *ret and *p past the word, 0 at the end. */
static int extract_word(const char **p, char **ret) {
        size_t pos = 0;
        int r = env_extract_word(*p, &pos, ENV_EXTRACT_UNQUOTE | ENV_EXTRACT_CUNESCAPE, ret, NULL, NULL);
        if (r >= 0)
                *p += pos;
        return r;
}

/* unit_full_printf(), for the specifiers unit-file.c knows. */
static int expand_specifiers(const Service *s, const char *source, const char *word, char **ret, char **ret_error) {
        if (!strchr(word, '%'))
                return (*ret = strdup(word)) ? 0 : -ENOMEM;
        int r = unit_install_printf(s->unit, NULL, word, ret);
        if (r < 0 && r != -ENOMEM)
                return fail(ret_error, -EOPNOTSUPP, "%s: cannot resolve the specifiers in \"%s\" (remedy knows %%n %%N %%p %%i %%j %%%%)",
                            source, word);
        return r;
}

static int parse_exec(Service *s, const char *source, const char *value, char **ret_error) {
        const char *p = value;
        bool semicolon;
        int r;

        if (!*value) {   /* an empty assignment resets the list */
                exec_commands_free(s->exec, s->n_exec);
                s->exec = NULL;
                s->n_exec = 0;
                return 0;
        }
        do {
                _cleanup_free_ char *first = NULL, *path = NULL;
                _cleanup_strv_free_ char **argv = NULL;
                bool ignore = false, separate_argv0 = false, no_env_expand = false, privileged = false;
                unsigned bangs = 0;

                semicolon = false;
                r = extract_word(&p, &first);
                if (r == -ENOMEM)
                        return r;
                if (r <= 0)
                        return 0;   /* systemd warns and ignores the line */

                const char *f = first;
                for (;; f++) {
                        if (*f == '-' && !ignore)
                                ignore = true;
                        else if (*f == '@' && !separate_argv0)
                                separate_argv0 = true;
                        else if (*f == ':' && !no_env_expand)
                                no_env_expand = true;
                        else if (*f == '+' && !privileged && bangs == 0)
                                privileged = true;
                        else if (*f == '!' && !privileged && bangs < 2)
                                bangs++;
                        else
                                break;
                }
                r = expand_specifiers(s, source, f, &path, ret_error);
                if (r < 0)
                        return r == -ENOMEM || !ignore ? r : 0;
                if (!*path)
                        return ignore ? 0 : fail(ret_error, -ENOEXEC, "%s: Empty path in command line", source);
                if (!separate_argv0 && strv_extend(&argv, path) < 0)
                        return -ENOMEM;

                while (*p) {
                        _cleanup_free_ char *word = NULL, *resolved = NULL;
                        /* A lone ';' separates commands; "\;" is a literal one. */
                        if (p[0] == ';' && (!p[1] || strchr(WHITESPACE, p[1]))) {
                                p += 1 + strspn(p + 1, WHITESPACE);
                                semicolon = true;
                                break;
                        }
                        if (p[0] == '\\' && p[1] == ';' && (!p[2] || strchr(WHITESPACE, p[2]))) {
                                p += 2 + strspn(p + 2, WHITESPACE);
                                if (strv_extend(&argv, ";") < 0)
                                        return -ENOMEM;
                                continue;
                        }
                        r = extract_word(&p, &word);
                        if (r == -ENOMEM)
                                return r;
                        if (r < 0)
                                return ignore ? 0 : fail(ret_error, -ENOEXEC, "%s: Unbalanced quoting in ExecStart=", source);
                        if (r == 0)
                                break;
                        r = expand_specifiers(s, source, word, &resolved, ret_error);
                        if (r < 0)
                                return r == -ENOMEM || !ignore ? r : 0;
                        if (strv_consume(&argv, TAKE_PTR(resolved)) < 0)
                                return -ENOMEM;
                }
                if (!argv)
                        return ignore ? 0 : fail(ret_error, -ENOEXEC, "%s: Empty executable name or zeroeth argument", source);

                ExecCommand *e = realloc(s->exec, (s->n_exec + 1) * sizeof(ExecCommand));
                if (!e)
                        return -ENOMEM;
                s->exec = e;
                e[s->n_exec] = (ExecCommand) { .path = TAKE_PTR(path), .argv = TAKE_PTR(argv), .source = strdup(source),
                                               .no_env_expand = no_env_expand };
                if (!e[s->n_exec++].source)
                        return -ENOMEM;
        } while (semicolon);
        return 0;
}

static int parse_environment(Service *s, const char *source, const char *value, char **ret_error) {
        int r;

        if (!*value) {
                unit_env_vars_free(s->environment, s->n_environment);
                s->environment = NULL;
                s->n_environment = 0;
                return 0;
        }
        for (const char *p = value;;) {
                _cleanup_free_ char *raw = NULL, *word = NULL;
                r = extract_word(&p, &raw);
                if (r <= 0)
                        return r == -ENOMEM ? r : 0;   /* a syntax error drops the rest, with a warning */
                r = expand_specifiers(s, source, raw, &word, ret_error);
                if (r < 0)
                        return r;
                const char *eq = strchr(word, '=');
                if (!eq || !env_name_is_valid(word, eq - word))
                        continue;   /* "Invalid environment assignment, ignoring" */
                r = unit_env_set(&s->environment, &s->n_environment, word, eq - word, eq + 1, source);
                if (r < 0)
                        return r;
        }
}

static int parse_env_file_setting(Service *s, const char *source, const char *value, char **ret_error) {
        _cleanup_free_ char *path = NULL;
        int r;

        if (!*value) {
                env_file_refs_free(s->env_files, s->n_env_files);
                s->env_files = NULL;
                s->n_env_files = 0;
                return 0;
        }
        /* The whole value is one path: no quoting, no splitting. */
        r = expand_specifiers(s, source, value, &path, ret_error);
        if (r < 0)
                return r;
        bool optional = path[0] == '-';
        if (path[optional] != '/')
                return 0;   /* "Path is not absolute, ignoring" */
        UnitEnvFileRef *f = realloc(s->env_files, (s->n_env_files + 1) * sizeof(UnitEnvFileRef));
        if (!f)
                return -ENOMEM;
        s->env_files = f;
        f[s->n_env_files] = (UnitEnvFileRef) { .path = strdup(path + optional), .optional = optional, .source = strdup(source) };
        if (!f[s->n_env_files].path || !f[s->n_env_files].source) {
                free(f[s->n_env_files].path);
                free(f[s->n_env_files].source);
                return -ENOMEM;
        }
        s->n_env_files++;
        return 0;
}

static int service_line(Service *s, const char *file, unsigned line, char *l, bool *in_service, char **ret_error) {
        _cleanup_free_ char *source = NULL;

        l = unit_file_strip(l);
        if (!*l)
                return 0;
        if (*l == '[') {
                if (l[strlen(l) - 1] != ']')
                        return fail(ret_error, -EBADMSG, "%s:%u: Invalid section header '%s'", file, line, l);
                *in_service = streq(l, "[Service]");
                return 0;
        }
        char *eq = strchr(l, '=');
        if (!*in_service || !eq)
                return 0;
        *eq = 0;
        const char *key = unit_file_strip(l), *value = unit_file_strip(eq + 1);
        if (asprintf(&source, "%s:%u", file, line) < 0)
                return -ENOMEM;
        if (streq(key, "ExecStart"))
                return parse_exec(s, source, value, ret_error);
        if (streq(key, "Environment"))
                return parse_environment(s, source, value, ret_error);
        if (streq(key, "EnvironmentFile"))
                return parse_env_file_setting(s, source, value, ret_error);
        if (streq(key, "Type"))
                s->oneshot = streq(value, "oneshot");
        return 0;
}

typedef struct ServiceParse {
        Service *service;
        const char *file;
        bool in_service;
} ServiceParse;

static int service_parse_line(void *userdata, unsigned line, char *text, char **ret_error) {
        ServiceParse *sp = userdata;
        return service_line(sp->service, sp->file, line, text, &sp->in_service, ret_error);
}

static int service_parse(Service *s, const char *file, const char *data, char **ret_error) {
        ServiceParse sp = { .service = s, .file = file };
        return unit_file_parse_lines(data, service_parse_line, &sp, ret_error);
}

/* ---- which files: the fragment, then the drop-ins the manager reads ---- */

static int find_unit_files(const NodeFS *fs, const char *name, char ***ret, char **ret_error) {
        _cleanup_(unit_file_freep) UnitFile *u = NULL;
        _cleanup_strv_free_ char **files = NULL, **dropins = NULL;
        int r;

        r = unit_file_find_fragment(fs, name, &u, ret_error);
        if (r < 0)
                return r;
        if (u->masked)
                return fail(ret_error, -ERFKILL, "Unit %s is masked (%s)", u->name, u->path);

        /* The unit's own name first, then the alias it was asked for by. */
        char *names[] = { u->name, streq(u->name, name) ? NULL : (char *) name, NULL };
        r = unit_dropin_files(fs, names, UNIT_DROPINS_MANAGER, &dropins);
        if (r < 0)
                return r;
        r = strv_extend(&files, u->path);
        if (r < 0)
                return r;
        STRV_FOREACH(d, dropins) {
                r = strv_extend(&files, *d);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(files);
        return 0;
}

/* ---- exported ---- */

void unit_exec_done(UnitExec *e) {
        strv_free(e->unit_files);
        free(e->exec_source);
        free(e->executable);
        strv_free(e->argv);
        for (size_t i = 0; i < e->n_words; i++) {
                free(e->words[i].text);
                free(e->words[i].source);
                free(e->words[i].variable);
        }
        free(e->words);
        unit_env_vars_free(e->env, e->n_env);
        strv_free(e->env_files_missing);
        strv_free(e->unset_variables);
        *e = (UnitExec) {};
}

int unit_exec_resolve(const NodeFS *fs, const char *unit, UnitExec *ret, char **ret_error) {
        _cleanup_(unit_exec_done) UnitExec c = {};
        _cleanup_(service_done) Service s = { .unit = unit };
        _cleanup_free_ char *mangled = NULL;
        int r;

        r = unit_name_mangle(unit, &mangled);
        if (r < 0)
                return r == -EINVAL ? fail(ret_error, r, "\"%s\" is not a valid unit name", unit) : r;
        s.unit = mangled;
        r = find_unit_files(fs, mangled, &c.unit_files, ret_error);
        if (r < 0)
                return r;
        STRV_FOREACH(f, c.unit_files) {
                const NodeFile *nf;
                r = fs->read(fs->userdata, *f, true, &nf);
                if (r < 0)
                        return r;
                /* A drop-in linked to /dev/null (or gone since the listing) sets nothing. */
                if (nf->kind != FILE_REGULAR || !nf->data)
                        continue;
                r = service_parse(&s, *f, nf->data, ret_error);
                if (r < 0)
                        return r;
        }

        if (s.n_exec == 0)
                return fail(ret_error, -ENOEXEC, "%s: Service has no ExecStart= setting (or only an empty one). Refusing.",
                            c.unit_files[0]);
        if (s.n_exec > 1)
                return fail(ret_error, -ENOEXEC,
                            "%s: Service has more than one ExecStart= setting (also %s), which is only allowed for Type=oneshot services%s",
                            s.exec[s.n_exec - 1].source, s.exec[0].source,
                            s.oneshot ? "; remedy does not pick one" : ". Refusing. Reset it with an empty ExecStart= first");

        const ExecCommand *e = &s.exec[0];
        if (!(c.exec_source = strdup(e->source)) || !(c.executable = strdup(e->path)))
                return -ENOMEM;

        r = unit_exec_environment(fs, s.environment, s.n_environment, s.env_files, s.n_env_files, &c, ret_error);
        if (r < 0)
                return r;
        r = unit_exec_expand(e->argv, e->source, e->no_env_expand, &c);
        if (r < 0)
                return r;
        *ret = c;
        c = (UnitExec) {};
        return 0;
}
