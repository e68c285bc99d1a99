/* SPDX-License-Identifier: MIT */
/*
 * What the node sets at boot: the sysctl.d and modules-load.d files, read as systemd 252's
 * systemd-sysctl (src/sysctl/sysctl.c) and systemd-modules-load (src/modules-load/modules-load.c)
 * read them, through the Context.
 */
#include "remedy/kernel-config.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "remedy/context.h"
#include "remedy/str-index.h"
#include "remedy/strv.h"

/* CONF_PATHS("sysctl.d") of systemd 252 as Debian builds it (split-usr: /lib too; on a merged
 * /usr it is the same directory as /usr/lib and its files are the same names). */
const char * const sysctl_dirs[] = {
        "/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d", NULL,
};

const char * const modules_load_dirs[] = {
        "/etc/modules-load.d", "/run/modules-load.d", "/usr/local/lib/modules-load.d", "/usr/lib/modules-load.d",
        "/lib/modules-load.d", NULL,
};

int sysctl_name_normalize(const char *name, char **ret) {
        _cleanup_free_ char *s = NULL;

        if (!name || !*name)
                return -EINVAL;
        if (!(s = strdup(name)))
                return -ENOMEM;
        /* systemd-sysctl's sysctl_normalize(): when the first separator is a '/', the name is
         * written with slashes (and a '.' in it is part of a component, "eth0.100"). */
        char *sep = strpbrk(s, "./");
        if (sep && *sep == '/')
                for (char *p = s; *p; p++)
                        *p = *p == '/' ? '.' : *p == '.' ? '/' : *p;
        /* Components of /proc/sys file names: no empty one, no "..", nothing a path or a glob
         * would read differently. */
        const char *part = s;
        for (char *p = s;; p++) {
                if (*p == '.' || *p == '\0') {
                        size_t n = (size_t) (p - part);
                        if (n == 0)
                                return -EINVAL;
                        if (*p == '\0')
                                break;
                        part = p + 1;
                        continue;
                }
                if (!isalnum((unsigned char) *p) && !strchr("_-/:@+", *p))
                        return -EINVAL;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

int sysctl_proc_path(const char *key, char **ret) {
        _cleanup_free_ char *p = NULL;
        if (asprintf(&p, "/proc/sys/%s", key) < 0)
                return -ENOMEM;
        /* Dots separate directories; a '/' in a dotted name is a '.' of a component. */
        for (char *q = p + strlen("/proc/sys/"); *q; q++)
                *q = *q == '.' ? '/' : *q == '/' ? '.' : *q;
        *ret = TAKE_PTR(p);
        return 0;
}

/* A value as the kernel would give it back: outer whitespace gone, inner runs one space. */
static char *value_normalize(const char *v) {
        char *out = malloc(strlen(v) + 1), *o = out;
        bool space = false;
        if (!out)
                return NULL;
        for (; *v; v++) {
                if (isspace((unsigned char) *v)) {
                        space = o > out;
                        continue;
                }
                if (space)
                        *o++ = ' ';
                space = false;
                *o++ = *v;
        }
        *o = '\0';
        return out;
}

static bool parse_number(const char *s, long long *ret) {
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno != 0 || end == s || *end)
                return false;
        *ret = v;
        return true;
}

bool sysctl_value_satisfies(const char *value, const char *want, bool at_least) {
        _cleanup_free_ char *v = value_normalize(value), *w = value_normalize(want);
        long long nv, nw;

        if (!v || !w)
                return false;
        if (streq(v, w))
                return true;
        return at_least && parse_number(v, &nv) && parse_number(w, &nw) && nv >= nw;
}

/*
 * The files systemd reads from dirs, in reading order: for each name the file of the first
 * directory that has it (a later directory's file of that name is hidden), sorted by name.
 */
static int conf_files_list(Context *c, const char * const *dirs, char ***ret) {
        _cleanup_strv_free_ char **names = NULL, **paths = NULL;
        _cleanup_(str_index_freep) StrIndex *seen = NULL;
        int r;

        for (const char * const *d = dirs; *d; d++) {
                _cleanup_strv_free_ char **matches = NULL;
                _cleanup_free_ char *pattern = path_join(*d, "*.conf");
                if (!pattern)
                        return -ENOMEM;
                if ((r = ctx_glob(c, pattern, &matches)) < 0)
                        return r;
                STRV_FOREACH(m, matches) {
                        const char *base = path_basename(*m);
                        if (str_index_get(seen, base, NULL))
                                continue;
                        if ((r = str_index_put(&seen, base, 0)) < 0 || (r = strv_extend(&names, base)) < 0)
                                return r;
                        /* The path as found (in the directory, not where a symlink leads): the
                         * name is what orders it, and the file a message names. */
                        _cleanup_free_ char *p = path_join(*d, base);
                        if (!p || strv_consume(&paths, TAKE_PTR(p)) < 0)
                                return -ENOMEM;
                }
        }
        /* Reading order is by file name alone, whichever directory the file is in. */
        size_t n = strv_length(names);
        for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
                        char *t = names[j];
                        names[j] = names[j - 1];
                        names[j - 1] = t;
                        t = paths[j];
                        paths[j] = paths[j - 1];
                        paths[j - 1] = t;
                }
        *ret = TAKE_PTR(paths);
        return 0;
}

/* The text of a conf file, or NULL for one that sets nothing (a symlink to /dev/null masks). */
static int conf_file_read(Context *c, const char *path, const char **ret) {
        const NodeFile *f;
        int r = ctx_read(c, path, true, &f);
        if (r < 0)
                return r;
        *ret = f->kind == FILE_REGULAR ? f->data : NULL;
        return 0;
}

/* The next line of text (without its newline) into a malloc'd string; NULL at the end. */
static char *next_line(const char **p) {
        if (!**p)
                return NULL;
        const char *nl = strchrnul(*p, '\n');
        char *line = strndup(*p, (size_t) (nl - *p));
        *p = *nl ? nl + 1 : nl;
        return line;
}

static char *strip(char *s) {
        while (isspace((unsigned char) *s))
                s++;
        char *e = s + strlen(s);
        while (e > s && isspace((unsigned char) e[-1]))
                *--e = '\0';
        return s;
}

typedef struct Assignment {
        char *value;
        char *file;
} Assignment;

static void assignment_done(Assignment *a) {
        free(a->value);
        free(a->file);
        *a = (Assignment) {};
}

static int assignment_set(Assignment *a, const char *value, const char *file) {
        assignment_done(a);
        a->value = value_normalize(value);
        a->file = strdup(file);
        return a->value && a->file ? 0 : -ENOMEM;
}

int sysctl_boot_value(Context *c, const char *key, const char *want, bool at_least, char **ret_value,
                      char **ret_file, char **ret_last_other) {
        _cleanup_strv_free_ char **files = NULL;
        Assignment exact = {}, glob = {}, exact_other = {}, glob_other = {};
        int r;

        if ((r = conf_files_list(c, sysctl_dirs, &files)) < 0)
                return r;
        STRV_FOREACH(f, files) {
                const char *text, *p;
                if ((r = conf_file_read(c, *f, &text)) < 0)
                        goto finish;
                for (p = text; p;) {
                        _cleanup_free_ char *line = next_line(&p);
                        _cleanup_free_ char *name = NULL;
                        if (!line)
                                break;
                        char *s = strip(line);
                        if (!*s || *s == '#' || *s == ';')
                                continue;
                        char *eq = strchr(s, '=');
                        if (!eq)
                                continue;   /* systemd-sysctl warns and goes on */
                        *eq = '\0';
                        char *k = strip(s), *value = strip(eq + 1);
                        if (*k == '-')   /* "ignore a failure to set it": set all the same */
                                k = strip(k + 1);
                        bool is_glob = strpbrk(k, "*?[");
                        if (sysctl_name_normalize(k, &name) < 0)
                                continue;
                        if (is_glob ? fnmatch(name, key, 0) != 0 : !streq(name, key))
                                continue;
                        if ((r = assignment_set(is_glob ? &glob : &exact, value, *f)) < 0)
                                goto finish;
                        if (want && !sysctl_value_satisfies(value, want, at_least) &&
                            (r = assignment_set(is_glob ? &glob_other : &exact_other, value, *f)) < 0)
                                goto finish;
                }
        }

        /* A glob never overrides a name set explicitly (systemd-sysctl skips the paths it has an
         * explicit entry for), wherever it is read. */
        Assignment *won = exact.value ? &exact : glob.value ? &glob : NULL;
        if (ret_value)
                *ret_value = won ? TAKE_PTR(won->value) : NULL;
        if (ret_file)
                *ret_file = won ? TAKE_PTR(won->file) : NULL;
        if (ret_last_other) {
                /* The last file that says otherwise, explicitly or by a glob: ours must come
                 * after both to be the one read last. */
                const char *a = exact_other.file, *b = glob_other.file;
                const char *last = !a ? b : !b ? a : strcmp(path_basename(a), path_basename(b)) >= 0 ? a : b;
                *ret_last_other = NULL;
                if (last && !(*ret_last_other = strdup(last)))
                        r = -ENOMEM;
        }
        r = r < 0 ? r : 0;
finish:
        assignment_done(&exact);
        assignment_done(&glob);
        assignment_done(&exact_other);
        assignment_done(&glob_other);
        return r;
}

int kernel_module_name_normalize(const char *name, char **ret) {
        if (!name || !*name || strlen(name) > 55)   /* MODULE_NAME_LEN - 1 */
                return -EINVAL;
        char *s = strdup(name);
        if (!s)
                return -ENOMEM;
        for (char *p = s; *p; p++) {
                if (*p == '-')
                        *p = '_';
                if (!isalnum((unsigned char) *p) && *p != '_') {
                        free(s);
                        return -EINVAL;
                }
        }
        *ret = s;
        return 0;
}

int kernel_module_boot_file(Context *c, const char *name, char **ret_file) {
        _cleanup_strv_free_ char **files = NULL;
        int r;

        *ret_file = NULL;
        if ((r = conf_files_list(c, modules_load_dirs, &files)) < 0)
                return r;
        STRV_FOREACH(f, files) {
                const char *text, *p;
                if ((r = conf_file_read(c, *f, &text)) < 0)
                        return r;
                for (p = text; p;) {
                        _cleanup_free_ char *line = next_line(&p), *module = NULL;
                        if (!line)
                                break;
                        char *s = strip(line);
                        /* One module name a line, '#' and ';' begin comments (modules-load.d(5)). */
                        if (!*s || *s == '#' || *s == ';')
                                continue;
                        if (kernel_module_name_normalize(s, &module) < 0 || !streq(module, name))
                                continue;
                        return (*ret_file = strdup(*f)) ? 1 : -ENOMEM;
                }
        }
        return 0;
}

bool kernel_is_nodes(const Context *c) {
        static const char * const markers[] = { "/run/systemd/container", "/.dockerenv", "/run/.containerenv", NULL };
        if (c->offline || !root_is_host(c->root))
                return false;
        for (const char * const *m = markers; *m; m++)
                if (access(*m, F_OK) >= 0)
                        return false;
        return true;
}

/* Read after last_other (a path), or last_other itself when it is that file of /etc/sysctl.d:
 * replacing its line for the key then removes the assignment that says otherwise. A file of the
 * same name elsewhere (/usr/lib) is never hidden by one of ours: that would drop its other lines. */
static bool name_qualifies(const char *candidate, const char *last_other) {
        if (!last_other)
                return true;
        int c = strcmp(candidate, path_basename(last_other));
        if (c != 0)
                return c > 0;
        const char *rest = startswith(last_other, "/etc/sysctl.d/");
        return rest && streq(rest, candidate);
}

int sysctl_file_choose(Context *c, const char *name, const char *last_other, char **ret_file) {
        _cleanup_free_ char *first = NULL, *second = NULL, *after = NULL;
        int r;

        if (asprintf(&first, "90-%s", name) < 0 || asprintf(&second, "99-zz-%s", name) < 0)
                return -ENOMEM;
        if (last_other) {
                const char *base = path_basename(last_other), *dot = strrchr(base, '.');
                size_t stem = dot && streq(dot, ".conf") ? (size_t) (dot - base) : strlen(base);
                if (asprintf(&after, "%.*s.zz-%s", (int) stem, base, name) < 0)
                        return -ENOMEM;
        }
        const char *candidates[] = { first, second, after, NULL };

        /* One that exists already (an earlier step's, or an earlier run's) and comes late enough. */
        for (const char **n = candidates; *n; n++) {
                _cleanup_free_ char *path = path_join("/etc/sysctl.d", *n);
                const NodeFile *f;
                if (!path)
                        return -ENOMEM;
                if (!name_qualifies(*n, last_other))
                        continue;
                if ((r = ctx_read(c, path, false, &f)) < 0)
                        return r;
                if (f->kind == FILE_REGULAR) {
                        *ret_file = TAKE_PTR(path);
                        return 0;
                }
        }
        for (const char **n = candidates; *n; n++)
                if (name_qualifies(*n, last_other))
                        return (*ret_file = path_join("/etc/sysctl.d", *n)) ? 0 : -ENOMEM;
        return -EINVAL;   /* not reached: "STEM.zz-" sorts after "STEM.conf" */
}

int sysctl_file_set(const char *data, const char *header, const char *key, const char *value, char **ret) {
        _cleanup_free_ char *out = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        size_t size = 0;
        bool replaced = false;

        if (!(f = open_memstream(&out, &size)))
                return -ENOMEM;
        if (!data)
                fputs(strempty(header), f);
        for (const char *p = data; p && *p;) {
                const char *nl = strchrnul(p, '\n');
                _cleanup_free_ char *line = strndup(p, (size_t) (nl - p)), *name = NULL;
                if (!line)
                        return -ENOMEM;
                char *s = strip(line), *eq = strchr(s, '=');
                bool ours = false;
                if (*s && *s != '#' && *s != ';' && eq) {
                        *eq = '\0';
                        char *k = strip(s);
                        if (*k == '-')
                                k = strip(k + 1);
                        ours = sysctl_name_normalize(k, &name) >= 0 && streq(name, key);
                }
                if (ours)
                        fprintf(f, "%s = %s\n", key, value);
                else
                        fprintf(f, "%.*s%s", (int) (nl - p), p, *nl ? "\n" : "");
                /* The line is kept as it was, its newline too (a last line without one gets one
                 * only if something is appended after it). */
                replaced = replaced || ours;
                p = *nl ? nl + 1 : nl;
                if (!*nl && !ours && !replaced)
                        fputc('\n', f);
        }
        if (!replaced)
                fprintf(f, "%s = %s\n", key, value);
        if (fclose(f) != 0) {
                f = NULL;
                return -ENOMEM;
        }
        f = NULL;
        *ret = TAKE_PTR(out);
        return 0;
}

int modules_load_file_add(const char *data, const char *header, const char *name, char **ret) {
        size_t n = data ? strlen(data) : 0;
        if (asprintf(ret, "%s%s%s\n", data ? data : strempty(header), n > 0 && data[n - 1] != '\n' ? "\n" : "", name) < 0)
                return -ENOMEM;
        return 0;
}

/* A file name a conf directory reads: NAME.conf, no path, nothing hidden. */
int kernel_conf_name_check(const char *name) {
        if (!name || !*name || *name == '.' || strchr(name, '/') || !endswith(name, ".conf") || strlen(name) > 200)
                return -EINVAL;
        for (const char *p = name; *p; p++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *p))
                        return -EINVAL;
        return 0;
}
