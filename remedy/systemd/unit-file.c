/* SPDX-License-Identifier: MIT */
#include "remedy/unit-file.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/strv.h"
#include "remedy/utf8.h"
#include "unit-internal.h"

#define WHITESPACE " \t\n\r"
#define ALIAS_DEPTH_MAX 8

/* The unit types systemd lets have Alias= (unit_type_may_alias()). */
static const char * const alias_types[] = { "service", "socket", "target", "device", "timer", "path", NULL };



int unit_install_printf(const char *unit_name, const char *default_instance, const char *format, char **ret) {
        _cleanup_free_ char *prefix = NULL, *instance = NULL, *out = NULL;
        size_t size = 0;
        FILE *f;
        int r;

        r = unit_name_split(unit_name, &prefix, &instance);
        if (r < 0)
                return r;
        if (!*instance && default_instance) {
                free(instance);
                instance = strdup(default_instance);
                if (!instance)
                        return -ENOMEM;
        }

        f = open_memstream(&out, &size);
        if (!f)
                return -ENOMEM;
        r = 0;
        for (const char *p = format; *p && r == 0; p++) {
                if (*p != '%') {
                        fputc(*p, f);
                        continue;
                }
                const char *dash;
                switch (*++p) {
                case '%':
                        fputc('%', f);
                        break;
                case 'n':
                case 'N':
                        if (*instance || strchr(unit_name, '@'))
                                fprintf(f, "%s@%s", prefix, instance);
                        else
                                fputs(prefix, f);
                        if (*p == 'n')
                                fputs(unit_suffix(unit_name), f);
                        break;
                case 'p':
                        fputs(prefix, f);
                        break;
                case 'i':
                        fputs(instance, f);
                        break;
                case 'j':
                        dash = strrchr(prefix, '-');
                        fputs(dash ? dash + 1 : prefix, f);
                        break;
                default:
                        r = *p ? -EOPNOTSUPP : -EINVAL;
                }
        }
        if (fclose(f) != 0 && r == 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(out);
        return 0;
}

void unit_install_done(UnitInstall *i) {
        i->wanted_by = strv_free(i->wanted_by);
        i->required_by = strv_free(i->required_by);
        i->aliases = strv_free(i->aliases);
        i->also = strv_free(i->also);
        free(i->default_instance);
        i->default_instance = NULL;
}

/*
 * One whitespace-separated word, as systemd's extract_first_word(): with unquote, '…' and "…" are
 * removed and backslash escapes kept as written (EXTRACT_UNQUOTE|EXTRACT_RETAIN_ESCAPE, for
 * WantedBy= and friends); without, quotes are literal and a backslash escapes the next character
 * (flags 0, for Also=). Returns 1 with a word, 0 at the end, -EINVAL on an open quote or a
 * trailing backslash.
 */
static int extract_word(const char **p, bool unquote, char **ret) {
        _cleanup_free_ char *word = NULL;
        size_t n = 0;
        char quote = 0;
        const char *s = *p + strspn(*p, WHITESPACE);

        if (!*s) {
                *p = s;
                return 0;
        }
        word = malloc(strlen(s) + 1);
        if (!word)
                return -ENOMEM;
        for (; *s; s++) {
                if (*s == '\\') {
                        if (!s[1])
                                return -EINVAL;
                        if (unquote)
                                word[n++] = '\\';
                        word[n++] = *++s;
                } else if (quote) {
                        if (*s == quote)
                                quote = 0;
                        else
                                word[n++] = *s;
                } else if (unquote && (*s == '\'' || *s == '"'))
                        quote = *s;
                else if (strchr(WHITESPACE, *s))
                        break;
                else
                        word[n++] = *s;
        }
        if (quote)
                return -EINVAL;
        word[n] = 0;
        *p = s;
        *ret = TAKE_PTR(word);
        return 1;
}

/* systemd ignores lines that are not UTF-8. */
char *unit_file_strip(char *s) {
        s += strspn(s, WHITESPACE);
        size_t n = strlen(s);
        while (n > 0 && strchr(WHITESPACE, s[n - 1]))
                s[--n] = 0;
        return s;
}

/* config_parse_strv(): an empty value resets the list; a syntax error drops the rest. */
static int install_parse_list(char ***list, const char *value) {
        int r;

        if (!*value) {
                *list = strv_free(*list);
                return 0;
        }
        for (const char *p = value;;) {
                char *word = NULL;
                r = extract_word(&p, true, &word);
                if (r == -EINVAL)
                        return 0;
                if (r <= 0)
                        return r;
                r = strv_consume(list, word);
                if (r < 0)
                        return r;
        }
}

static int install_assign(UnitInstall *i, const char *unit_name, const char *file, unsigned line,
                          const char *key, const char *value, char **ret_error) {
        int r;

        if (streq(key, "WantedBy"))
                return install_parse_list(&i->wanted_by, value);
        if (streq(key, "RequiredBy"))
                return install_parse_list(&i->required_by, value);
        if (streq(key, "Alias"))
                return in_set(unit_suffix(unit_name) + 1, alias_types) ? install_parse_list(&i->aliases, value) : 0;
        if (streq(key, "Also")) {
                for (const char *p = value;;) {
                        _cleanup_free_ char *word = NULL, *name = NULL;
                        r = extract_word(&p, false, &word);
                        if (r == 0)
                                return 0;
                        if (r < 0)
                                return fail(ret_error, r, "%s:%u: Invalid syntax in Also=", file, line);
                        r = unit_install_printf(unit_name, i->default_instance, word, &name);
                        if (r < 0)
                                return fail(ret_error, r, "%s:%u: Failed to resolve unit name in Also=\"%s\"",
                                            file, line, word);
                        r = strv_consume(&i->also, TAKE_PTR(name));
                        if (r < 0)
                                return r;
                }
        }
        if (streq(key, "DefaultInstance")) {
                _cleanup_free_ char *instance = NULL;
                /* Installing an instance ignores it; on a non-template it is a (warned) no-op. */
                if (unit_name_kind(unit_name) != UNIT_NAME_TEMPLATE)
                        return 0;
                r = unit_install_printf(unit_name, i->default_instance, value, &instance);
                if (r < 0)
                        return fail(ret_error, r, "%s:%u: Failed to resolve DefaultInstance=\"%s\"", file, line, value);
                if (*instance && !in_charset(instance, strlen(instance), "@" UNIT_NAME_CHARS))
                        return fail(ret_error, -EINVAL, "%s:%u: Invalid DefaultInstance= value \"%s\"", file, line,
                                    instance);
                free(i->default_instance);
                i->default_instance = *instance ? TAKE_PTR(instance) : NULL;
                return 0;
        }
        return 0;   /* UpheldBy= and unknown keys: systemd 252 ignores them */
}

/* One logical line (continuations joined). */
static int install_parse_line(UnitInstall *i, const char *unit_name, const char *file, unsigned line, char *l,
                              bool *in_install, char **ret_error) {
        l = unit_file_strip(l);
        if (!*l || !utf8_is_valid_n(l, strlen(l)))
                return 0;
        if (*l == '[') {
                size_t n = strlen(l);
                if (l[n - 1] != ']')
                        return fail(ret_error, -EBADMSG, "%s:%u: Invalid section header '%s'", file, line, l);
                *in_install = streq(l, "[Install]");
                return 0;
        }
        char *eq = strchr(l, '=');
        if (!*in_install || !eq || eq == l)
                return 0;
        *eq = 0;
        return install_assign(i, unit_name, file, line, unit_file_strip(l), unit_file_strip(eq + 1), ret_error);
}

int unit_file_parse_lines(const char *data, UnitLineFn fn, void *userdata, char **ret_error) {
        _cleanup_free_ char *continuation = NULL;
        unsigned line = 0, first_line = 0;
        int r;

        if (startswith(data, "\xef\xbb\xbf"))
                data += 3;

        for (const char *p = data; *p;) {
                size_t n = strcspn(p, "\r\n");
                _cleanup_free_ char *buf = strndup(p, n);
                if (!buf)
                        return -ENOMEM;
                p += n;
                if (*p == '\r' && p[1] == '\n')
                        p += 2;
                else if (*p)
                        p++;
                line++;

                /* Comment lines are dropped even inside a continuation. */
                const char *first = buf + strspn(buf, WHITESPACE);
                if (*first == '#' || *first == ';')
                        continue;

                if (continuation) {
                        char *joined;
                        if (asprintf(&joined, "%s%s", continuation, buf) < 0)
                                return -ENOMEM;
                        free(continuation);
                        continuation = joined;
                } else
                        first_line = line;
                char *l = continuation ?: buf;

                /* An odd run of trailing backslashes continues the line; the last one becomes a space. */
                size_t len = strlen(l), k = 0;
                while (k < len && l[len - 1 - k] == '\\')
                        k++;
                if (k % 2 == 1) {
                        l[len - 1] = ' ';
                        if (!continuation)
                                continuation = TAKE_PTR(buf);
                        continue;
                }

                r = fn(userdata, first_line, l, ret_error);
                if (r < 0)
                        return r;
                continuation = mfree(continuation);
        }
        if (continuation)
                return fn(userdata, first_line, continuation, ret_error);
        return 0;
}

typedef struct InstallParse {
        UnitInstall *install;
        const char *unit_name;
        const char *file;
        bool in_install;
} InstallParse;

static int install_line(void *userdata, unsigned line, char *text, char **ret_error) {
        InstallParse *ip = userdata;
        return install_parse_line(ip->install, ip->unit_name, ip->file, line, text, &ip->in_install, ret_error);
}

int unit_install_parse(UnitInstall *i, const char *unit_name, const char *file, const char *data, char **ret_error) {
        InstallParse ip = { .install = i, .unit_name = unit_name, .file = file };
        return unit_file_parse_lines(data, install_line, &ip, ret_error);
}

static char *dir_of(const char *path) {
        const char *s = strrchr(path, '/');
        return s == path ? strdup("/") : strndup(path, s ? (size_t) (s - path) : 0);
}

static bool is_search_dir(const char *dir) {
        return in_set(dir, (const char * const *) unit_search_path);
}

UnitFile *unit_file_free(UnitFile *u) {
        if (!u)
                return NULL;
        free(u->name);
        free(u->path);
        unit_install_done(&u->install);
        free(u);
        return NULL;
}

/* The first search directory holding file_name (of any kind). */
static int find_in_search_path(const NodeFS *fs, const char *file_name, char **ret_path, const NodeFile **ret_file) {
        for (const char * const *d = unit_search_path; *d; d++) {
                _cleanup_free_ char *path = unit_path_join(*d, file_name);
                const NodeFile *f;
                if (!path)
                        return -ENOMEM;
                int r = unit_fs_read(fs, path, false, &f);
                if (r < 0)
                        return r;
                if (f->kind != FILE_ABSENT) {
                        *ret_path = TAKE_PTR(path);
                        *ret_file = f;
                        return 1;
                }
        }
        return 0;
}

/* [Install] sections of drop-ins, in the directories systemctl reads them from (not the manager's). */
static int load_dropins(const NodeFS *fs, UnitFile *u, char **ret_error) {
        _cleanup_strv_free_ char **files = NULL;
        int r;

        r = unit_dropin_files(fs, (char *[]) { u->name, NULL }, UNIT_DROPINS_INSTALL, &files);
        if (r < 0)
                return r;
        STRV_FOREACH(f, files) {
                const NodeFile *nf;
                r = unit_fs_read(fs, *f, true, &nf);
                if (r < 0)
                        return r;
                /* install.c unit_file_load(): a link to /dev/null or an empty file sets nothing;
                 * anything else that is not a regular file fails the whole operation. */
                if (streq_ptr(nf->path, "/dev/null") || (nf->kind == FILE_REGULAR && (nf->size == 0 || !nf->data)))
                        continue;
                if (nf->kind == FILE_ABSENT)
                        return fail(ret_error, -ENOENT, "Drop-in %s is a dangling symlink", *f);
                if (nf->kind == FILE_DIRECTORY)
                        return fail(ret_error, -EISDIR, "Drop-in %s is a directory", *f);
                if (nf->kind != FILE_REGULAR)
                        return fail(ret_error, -EBADFD, "Drop-in %s is not a regular file", *f);
                r = unit_install_parse(&u->install, u->name, *f, nf->data, ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int unit_file_find_depth(const NodeFS *fs, const char *name, bool dropins, unsigned depth, UnitFile **ret,
                                char **ret_error) {
        _cleanup_(unit_file_freep) UnitFile *u = NULL;
        _cleanup_free_ char *path = NULL, *template = NULL;
        const NodeFile *f = NULL;
        int kind, r;

        kind = unit_name_kind(name);
        if (kind < 0)
                return fail(ret_error, -EINVAL, "\"%s\" is not a valid unit name", name);

        r = find_in_search_path(fs, name, &path, &f);
        if (r == 0 && kind == UNIT_NAME_INSTANCE) {
                r = unit_name_template(name, &template);
                if (r < 0)
                        return r;
                r = find_in_search_path(fs, template, &path, &f);
        }
        if (r < 0)
                return r;
        if (r == 0)
                return fail(ret_error, -ENOENT, "Unit file %s does not exist", name);

        u = calloc(1, sizeof(UnitFile));
        if (!u)
                return -ENOMEM;
        u->name = strdup(name);
        if (!u->name)
                return -ENOMEM;
        u->runtime = startswith(path, "/run/");

        if (f->kind == FILE_SYMLINK) {
                _cleanup_free_ char *dir = dir_of(path), *target = NULL;
                const NodeFile *resolved;
                if (!dir || !(target = unit_link_target_abs(dir, f->data)))
                        return -ENOMEM;
                r = unit_fs_read(fs, path, true, &resolved);
                if (r < 0)
                        return r;
                if (streq(target, "/dev/null") || streq_ptr(resolved->path, "/dev/null") ||
                    (resolved->kind == FILE_REGULAR && resolved->size == 0)) {
                        u->masked = true;
                        u->path = TAKE_PTR(path);
                        *ret = TAKE_PTR(u);
                        return 0;
                }
                _cleanup_free_ char *target_dir = dir_of(target);
                if (!target_dir)
                        return -ENOMEM;
                if (!is_search_dir(target_dir))
                        return fail(ret_error, -EOPNOTSUPP,
                                    "%s is a linked unit file (a symlink to %s, outside the unit search path): not supported",
                                    path, f->data);
                if (!streq(unit_path_base(target), unit_path_base(path))) {
                        /* An alias: the unit is the one it points to. */
                        if (depth >= ALIAS_DEPTH_MAX)
                                return fail(ret_error, -ELOOP, "%s: too many levels of aliases", path);
                        r = unit_file_find_depth(fs, unit_path_base(target), dropins, depth + 1, ret, ret_error);
                        if (r < 0)
                                return r;
                        (*ret)->alias = true;
                        return 0;
                }
                /* Same name in another search directory: that file is the fragment. */
                free(path);
                path = TAKE_PTR(target);
                f = resolved;
        }

        u->path = TAKE_PTR(path);
        if (f->kind == FILE_ABSENT)
                return fail(ret_error, -ENOENT, "Unit file %s is a dangling symlink", u->path);
        if (f->kind != FILE_REGULAR)
                return fail(ret_error, -EBADF, "Unit file %s is not a regular file", u->path);
        if (f->size == 0 || !f->data) {
                u->masked = true;
                *ret = TAKE_PTR(u);
                return 0;
        }
        r = unit_install_parse(&u->install, u->name, u->path, f->data, ret_error);
        if (r < 0)
                return r;
        r = dropins ? load_dropins(fs, u, ret_error) : 0;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(u);
        return 0;
}

int unit_file_find(const NodeFS *fs, const char *name, UnitFile **ret, char **ret_error) {
        return unit_file_find_depth(fs, name, true, 0, ret, ret_error);
}

int unit_file_find_fragment(const NodeFS *fs, const char *name, UnitFile **ret, char **ret_error) {
        return unit_file_find_depth(fs, name, false, 0, ret, ret_error);
}
