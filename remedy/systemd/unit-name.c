/* SPDX-License-Identifier: MIT */
/*
 * Unit names: validity, the kinds (plain, template, instance), systemctl's completion of a bare
 * name, and the name systemd gives a unit for a path (swap and mount units), all by the rules of
 * systemd's src/basic/unit-name.c.
 */
#include "remedy/unit-file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit-internal.h"

#define UNIT_NAME_MAX 255

static const char * const unit_types[] = {
        "service", "socket", "target", "device", "mount", "automount",
        "swap", "timer", "path", "slice", "scope", NULL,
};

int unit_name_mangle(const char *name, char **ret) {
        char *n;
        if (!strchr(name, '.') && !strchr(name, '/') && *name) {
                if (asprintf(&n, "%s.service", name) < 0)
                        return -ENOMEM;
        } else if (!(n = strdup(name)))
                return -ENOMEM;
        if (!unit_name_is_valid(n)) {
                free(n);
                return -EINVAL;
        }
        *ret = n;
        return 0;
}

int unit_name_kind(const char *name) {
        size_t n = strlen(name);
        const char *dot = strrchr(name, '.');

        if (n == 0 || n > UNIT_NAME_MAX || !dot || dot == name || !in_set(dot + 1, unit_types))
                return -EINVAL;

        const char *at = memchr(name, '@', dot - name);
        if (!at)
                return in_charset(name, dot - name, UNIT_NAME_CHARS) ? UNIT_NAME_PLAIN : -EINVAL;
        if (at == name || !in_charset(name, at - name, UNIT_NAME_CHARS))
                return -EINVAL;
        if (at + 1 == dot)
                return UNIT_NAME_TEMPLATE;
        return in_charset(at + 1, dot - at - 1, "@" UNIT_NAME_CHARS) ? UNIT_NAME_INSTANCE : -EINVAL;
}

bool unit_name_is_valid(const char *name) {
        return unit_name_kind(name) >= 0;
}

int unit_name_replace_instance(const char *name, const char *instance, char **ret) {
        int k = unit_name_kind(name);
        if (k < 0 || k == UNIT_NAME_PLAIN || !*instance || !in_charset(instance, strlen(instance), "@" UNIT_NAME_CHARS))
                return -EINVAL;
        const char *at = strchr(name, '@');
        if (asprintf(ret, "%.*s@%s%s", (int) (at - name), name, instance, unit_suffix(name)) < 0)
                return -ENOMEM;
        return unit_name_is_valid(*ret) ? 0 : -EINVAL;
}

int unit_name_template(const char *name, char **ret) {
        if (unit_name_kind(name) != UNIT_NAME_INSTANCE)
                return -EINVAL;
        const char *at = strchr(name, '@');
        if (asprintf(ret, "%.*s@%s", (int) (at - name), name, unit_suffix(name)) < 0)
                return -ENOMEM;
        return 0;
}

int unit_name_split(const char *name, char **ret_prefix, char **ret_instance) {
        const char *dot = unit_suffix(name), *at = strchr(name, '@');
        if (!dot)
                return -EINVAL;
        if (!at || at > dot)
                at = dot;
        *ret_prefix = strndup(name, at - name);
        *ret_instance = at < dot ? strndup(at + 1, dot - at - 1) : strdup("");
        if (!*ret_prefix || !*ret_instance)
                return -ENOMEM;
        return 0;
}

/* systemd's do_escape(): '/' becomes '-'; '-', '\' and every byte outside [0-9A-Za-z:_.] become
 * \xNN; a leading '.' is escaped too, so that no unit name starts with one. */
static int escape_path_part(const char *p, size_t n, FILE *out) {
        for (size_t i = 0; i < n; i++) {
                unsigned char ch = p[i];
                if (ch == '/')
                        fputc('-', out);
                else if ((i == 0 && ch == '.') || ch == '-' || ch == '\\' || !strchr(UNIT_NAME_CHARS, ch) || !ch)
                        fprintf(out, "\\x%02x", ch);
                else
                        fputc(ch, out);
        }
        return 0;
}

int unit_name_from_path(const char *path, const char *suffix, char **ret) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;

        /* A relative path is fine too ("swapfile" -> swapfile.swap), as systemd 252's
         * unit_name_from_path() takes any normalized path. */
        if (!path || !*path || !suffix || suffix[0] != '.')
                return -EINVAL;
        FILE *out = open_memstream(&text, &size);
        if (!out)
                return -ENOMEM;

        /* path_simplify(): "//" and "/./" fold; the slashes at either end go. ".." is refused, as
         * systemd refuses a path that is not normalized. */
        const char *p = path;
        bool first = true, empty = true;
        while (*p) {
                p += strspn(p, "/");
                size_t n = strcspn(p, "/");
                if (n == 0)
                        break;
                if (n == 1 && p[0] == '.') {
                        p += n;
                        continue;
                }
                if (n == 2 && p[0] == '.' && p[1] == '.') {
                        fclose(out);
                        return -EINVAL;
                }
                if (!first)
                        fputc('-', out);
                escape_path_part(p, n, out);
                first = empty = false;
                p += n;
        }
        if (empty)
                fputc('-', out);   /* "/" is "-" */
        fputs(suffix, out);
        if (fclose(out) != 0)
                return -ENOMEM;
        if (strlen(text) > UNIT_NAME_MAX)
                return -ENAMETOOLONG;
        if (!unit_name_is_valid(text))
                return -EINVAL;
        *ret = TAKE_PTR(text);
        return 0;
}
