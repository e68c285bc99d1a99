/* SPDX-License-Identifier: MIT */
#include "remedy/zram-config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/context.h"
#include "remedy/fileio.h"
#include "remedy/strv.h"
#include "remedy/unit-file.h"

/* Highest priority first: the main file is the first of these that exists. Drop-ins of the same
 * name override one another the other way round (liboverdrop scans from the last). */
static const char * const zram_config_dirs[] = { "/run", "/etc", "/usr/local/lib", "/usr/lib" };
#define N_ZRAM_CONFIG_DIRS (sizeof(zram_config_dirs) / sizeof(zram_config_dirs[0]))

/* A [zramN] section as the files so far leave it: the last value of each key that decides
 * whether it is a swap device that gets set up. */
typedef struct ZramDevice {
        char *name;
        char *file;
        unsigned line;
        bool mount_point;
        char *fs_type;
        char *zram_size;
        char *zram_fraction;
        char *max_zram_size;
} ZramDevice;

typedef struct ZramParse {
        const char *file;
        ZramDevice *devices;
        size_t n_devices;
        ZramDevice *current;   /* NULL outside a [zramN] section */
} ZramParse;

static void zram_device_done(ZramDevice *d) {
        free(d->name);
        free(d->file);
        free(d->fs_type);
        free(d->zram_size);
        free(d->zram_fraction);
        free(d->max_zram_size);
}

static void zram_parse_done(ZramParse *p) {
        for (size_t i = 0; i < p->n_devices; i++)
                zram_device_done(&p->devices[i]);
        free(p->devices);
        *p = (ZramParse) {};
}

void zram_swaps_free(ZramSwap *s, size_t n) {
        for (size_t i = 0; s && i < n; i++) {
                free(s[i].device);
                free(s[i].unit);
                free(s[i].file);
        }
        free(s);
}

static char *strip(char *s) {
        s += strspn(s, " \t\n\r\f\v");
        size_t n = strlen(s);
        while (n > 0 && strchr(" \t\n\r\f\v", s[n - 1]))
                s[--n] = 0;
        return s;
}

/* rust-ini takes a value wholly in quotes without them. */
static char *unquote(char *v) {
        size_t n = strlen(v);
        if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
                v[n - 1] = 0;
                return v + 1;
        }
        return v;
}

/* "zram" and a number the generator's u64 parse takes (decimal digits, no sign). */
static bool is_device_section(const char *name, unsigned long long *ret_number) {
        const char *digits = startswith(name, "zram");
        if (!digits || !*digits || digits[strspn(digits, "0123456789")] != 0)
                return false;
        errno = 0;
        unsigned long long n = strtoull(digits, NULL, 10);
        if (errno == ERANGE)
                return false;
        *ret_number = n;
        return true;
}

/* A size written as the number 0 ("0", "0.0"): what can be known without the node's RAM. */
static bool is_literal_zero(const char *v) {
        if (!v)
                return false;
        size_t zeros = strspn(v, "0");
        if (v[zeros] == '.')
                return v[zeros + 1 + strspn(v + zeros + 1, "0")] == 0 && (zeros > 0 || v[zeros + 1] == '0');
        return zeros > 0 && v[zeros] == 0;
}

static int set_value(char **field, const char *value) {
        char *copy = strdup(value);
        if (!copy)
                return -ENOMEM;
        free(*field);
        *field = copy;
        return 0;
}

_printf_(4, 5)
static int line_error(char **ret_error, const char *file, unsigned line, const char *fmt, ...) {
        _cleanup_free_ char *reason = NULL;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&reason, fmt, ap);
        va_end(ap);
        if (r < 0 || asprintf(ret_error, "%s:%u: %s", file, line, reason) < 0)
                return -ENOMEM;
        return -EINVAL;
}

static int open_section(ZramParse *p, unsigned line, const char *name) {
        unsigned long long number;
        p->current = NULL;
        if (!is_device_section(name, &number))
                return 0;   /* the generator ignores other sections */
        for (size_t i = 0; i < p->n_devices; i++)
                if (streq(p->devices[i].name, name)) {
                        p->current = &p->devices[i];
                        return 0;
                }
        ZramDevice *devices = reallocarray(p->devices, p->n_devices + 1, sizeof(ZramDevice));
        if (!devices)
                return -ENOMEM;
        p->devices = devices;
        ZramDevice *d = &p->devices[p->n_devices];
        *d = (ZramDevice) { .line = line };
        if (!(d->name = strdup(name)) || !(d->file = strdup(p->file))) {
                zram_device_done(d);
                return -ENOMEM;
        }
        p->n_devices++;
        p->current = d;
        return 0;
}

/* One logical line. The syntax errors are rust-ini's, which fail the whole generator wherever
 * they are; the value errors are the generator's own for a [zramN] section. */
static int zram_line(void *userdata, unsigned line, char *text, char **ret_error) {
        ZramParse *p = userdata;
        char *l = strip(text);

        if (!*l)
                return 0;
        if (*l == '[') {
                size_t n = strlen(l);
                if (l[n - 1] != ']')
                        return line_error(ret_error, p->file, line, "invalid section header \"%s\"", l);
                l[n - 1] = 0;
                return open_section(p, line, strip(l + 1));
        }
        char *sep = strpbrk(l, "=:");
        if (!sep)
                return line_error(ret_error, p->file, line, "\"%s\" is neither a section header nor KEY=VALUE", l);
        *sep = 0;
        const char *key = strip(l);
        const char *value = unquote(strip(sep + 1));
        if (!*key)
                return line_error(ret_error, p->file, line, "no key before \"%s\"", value);

        ZramDevice *d = p->current;
        if (!d)
                return 0;
        if (streq(key, "zram-size")) {
                if (!*value)
                        return line_error(ret_error, p->file, line, "%s: empty zram-size=", d->name);
                return set_value(&d->zram_size, value);
        }
        if (streq(key, "zram-fraction"))
                return set_value(&d->zram_fraction, value);
        if (streq(key, "max-zram-size"))
                return set_value(&d->max_zram_size, value);
        if (streq(key, "fs-type"))
                return set_value(&d->fs_type, value);
        if (streq(key, "mount-point")) {
                if (*value != '/')
                        return line_error(ret_error, p->file, line, "mount-point=%s is not an absolute path", value);
                d->mount_point = true;
        }
        return 0;
}

static int parse_file(Context *c, ZramParse *p, const char *path, const char *data) {
        _cleanup_free_ char *error = NULL;
        p->file = path;
        p->current = NULL;
        int r = unit_file_parse_lines(data, zram_line, p, &error);
        if (r == -EINVAL && error)
                return ctx_error(c, r, "%s", error);
        return r;
}

/* The first main file that exists; a link to /dev/null exists, and reads empty. */
static int parse_main(Context *c, ZramParse *p) {
        for (size_t i = 0; i < N_ZRAM_CONFIG_DIRS; i++) {
                _cleanup_free_ char *path = NULL;
                const NodeFile *f;
                int r;

                if (asprintf(&path, "%s/systemd/" ZRAM_CONFIG_NAME, zram_config_dirs[i]) < 0)
                        return -ENOMEM;
                if ((r = ctx_read(c, path, true, &f)) < 0)
                        return r;
                if (streq(f->path, "/dev/null"))
                        return 0;
                if (f->kind == FILE_ABSENT)
                        continue;
                if (f->kind != FILE_REGULAR)
                        return ctx_error(c, -EINVAL, "%s: is a %s, not a zram-generator configuration", path,
                                         file_kind_name(f->kind));
                return parse_file(c, p, path, f->data);
        }
        return 0;
}

static ssize_t strv_index(char * const *l, const char *s) {
        for (size_t i = 0; l && l[i]; i++)
                if (streq(l[i], s))
                        return (ssize_t) i;
        return -1;
}

/* The drop-ins in the order the generator reads them: by file name. */
static int dropin_paths(Context *c, char ***ret_paths) {
        _cleanup_strv_free_ char **names = NULL, **paths = NULL;
        int r;

        for (size_t i = N_ZRAM_CONFIG_DIRS; i-- > 0;) {
                _cleanup_strv_free_ char **found = NULL;
                _cleanup_free_ char *pattern = NULL;
                if (asprintf(&pattern, "%s/systemd/" ZRAM_CONFIG_NAME ".d/*.conf", zram_config_dirs[i]) < 0)
                        return -ENOMEM;
                if ((r = ctx_glob(c, pattern, &found)) < 0)
                        return r;
                STRV_FOREACH(path, found) {
                        const NodeFile *f;
                        const char *name = path_basename(*path);
                        if ((r = ctx_read(c, *path, false, &f)) < 0)
                                return r;
                        bool masks = f->kind == FILE_SYMLINK && streq(f->data, "/dev/null");
                        if (f->kind != FILE_REGULAR && !masks)
                                continue;
                        ssize_t k = strv_index(names, name);
                        if (k < 0) {
                                if (masks)
                                        continue;
                                if (strv_extend(&names, name) < 0 || strv_extend(&paths, *path) < 0)
                                        return -ENOMEM;
                                continue;
                        }
                        if (!masks) {
                                char *copy = strdup(*path);
                                if (!copy)
                                        return -ENOMEM;
                                free(paths[k]);
                                paths[k] = copy;
                                continue;
                        }
                        free(names[k]);
                        free(paths[k]);
                        size_t n = strv_length(names);
                        memmove(names + k, names + k + 1, (n - (size_t) k) * sizeof(char *));
                        memmove(paths + k, paths + k + 1, (n - (size_t) k) * sizeof(char *));
                }
        }

        /* Sorted by name, each with its path. */
        _cleanup_strv_free_ char **sorted = strv_copy(names), **ordered = NULL;
        if (names && !sorted)
                return -ENOMEM;
        strv_sort(sorted);
        STRV_FOREACH(name, sorted)
                if (strv_extend(&ordered, paths[strv_index(names, *name)]) < 0)
                        return -ENOMEM;
        *ret_paths = TAKE_PTR(ordered);
        return 0;
}

static bool zram_device_is_swap_at_boot(const ZramDevice *d) {
        if (d->mount_point || (d->fs_type && !streq(d->fs_type, "swap")))
                return false;
        /* zram-fraction= and max-zram-size= (deprecated) replace zram-size= when either is set. */
        if (d->zram_fraction || d->max_zram_size)
                return !is_literal_zero(d->zram_fraction) && !is_literal_zero(d->max_zram_size);
        return !is_literal_zero(d->zram_size);
}

static int zram_swap_compare(const void *a, const void *b) {
        const ZramSwap *x = a, *y = b;
        unsigned long long nx = strtoull(x->device + 4, NULL, 10), ny = strtoull(y->device + 4, NULL, 10);
        if (nx != ny)
                return nx < ny ? -1 : 1;
        return strcmp(x->device, y->device);
}

typedef struct ZramSwaps {
        ZramSwap *items;
        size_t n;
} ZramSwaps;

static void zram_swaps_done(ZramSwaps *s) {
        zram_swaps_free(s->items, s->n);
        *s = (ZramSwaps) {};
}

/* Where systemd looks for system generators (Debian's /lib too). A configuration left behind by
 * a removed package sets nothing up: without the generator there are no devices. */
static const char * const generator_paths[] = {
        "/run/systemd/system-generators/zram-generator",
        "/etc/systemd/system-generators/zram-generator",
        "/usr/local/lib/systemd/system-generators/zram-generator",
        "/usr/lib/systemd/system-generators/zram-generator",
        "/lib/systemd/system-generators/zram-generator",
        NULL,
};

static int generator_installed(Context *c) {
        for (const char * const *g = generator_paths; *g; g++) {
                FileKind kind;
                mode_t mode;
                int r = ctx_stat(c, *g, &kind, &mode);
                if (r == -ENOENT || r == -ENOTDIR)
                        continue;
                if (r < 0)
                        return r;
                if (kind == FILE_REGULAR && (mode & 0111))
                        return 1;
        }
        return 0;
}

int zram_config_swaps(Context *c, ZramSwap **ret, size_t *ret_n) {
        _cleanup_(zram_parse_done) ZramParse p = {};
        _cleanup_(zram_swaps_done) ZramSwaps out = {};
        _cleanup_strv_free_ char **dropins = NULL;
        int r;

        if ((r = generator_installed(c)) <= 0) {
                *ret = NULL;
                *ret_n = 0;
                return r;
        }

        if ((r = parse_main(c, &p)) < 0)
                return r;
        if ((r = dropin_paths(c, &dropins)) < 0)
                return r;
        STRV_FOREACH(path, dropins) {
                const NodeFile *f;
                if ((r = ctx_read(c, *path, false, &f)) < 0)
                        return r;
                if ((r = parse_file(c, &p, *path, f->data)) < 0)
                        return r;
        }

        for (size_t i = 0; i < p.n_devices; i++) {
                ZramDevice *d = &p.devices[i];
                _cleanup_free_ char *node = NULL, *unit = NULL;
                if (!zram_device_is_swap_at_boot(d))
                        continue;
                if (asprintf(&node, "/dev/%s", d->name) < 0)
                        return -ENOMEM;
                if ((r = unit_name_from_path(node, ".swap", &unit)) < 0)
                        return r;
                ZramSwap *grown = reallocarray(out.items, out.n + 1, sizeof(ZramSwap));
                if (!grown)
                        return -ENOMEM;
                out.items = grown;
                out.items[out.n++] = (ZramSwap) {
                        .device = TAKE_PTR(d->name),
                        .unit = TAKE_PTR(unit),
                        .file = TAKE_PTR(d->file),
                        .line = d->line,
                };
        }
        if (out.n > 1)
                qsort(out.items, out.n, sizeof(ZramSwap), zram_swap_compare);
        *ret = TAKE_PTR(out.items);
        *ret_n = out.n;
        out.n = 0;
        return 0;
}
