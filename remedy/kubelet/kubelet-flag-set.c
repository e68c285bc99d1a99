/* SPDX-License-Identifier: MIT */
/*
 * The set of flags a kubelet accepts, from the shipped per-minor-version list (data/kubelet-flags.tsv)
 * or from the installed kubelet's --help. Kept sorted by name so that the flag reader in
 * kubelet-flags.c can look every word up cheaply.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubelet-flag-set.h"
#include "remedy/kubelet-flags.h"
#include "remedy/strv.h"

typedef struct FlagEntry {
        char *name;
        bool is_bool;
        char shorthand;   /* 0: none */
} FlagEntry;

struct KubeletFlagSet {
        FlagEntry *entries;
        size_t n;
};

KubeletFlagSet *kubelet_flag_set_free(KubeletFlagSet *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n; i++)
                free(s->entries[i].name);
        free(s->entries);
        free(s);
        return NULL;
}

static int flag_set_add(KubeletFlagSet *s, const char *name, size_t len, bool is_bool, char shorthand) {
        FlagEntry *e = realloc(s->entries, (s->n + 1) * sizeof(FlagEntry));
        if (!e)
                return -ENOMEM;
        s->entries = e;
        e[s->n] = (FlagEntry) { .name = strndup(name, len), .is_bool = is_bool, .shorthand = shorthand };
        if (!e[s->n].name)
                return -ENOMEM;
        s->n++;
        return 0;
}

static int entry_compare(const void *a, const void *b) {
        return strcmp(((const FlagEntry *) a)->name, ((const FlagEntry *) b)->name);
}

static const FlagEntry *flag_set_find(const KubeletFlagSet *s, const char *name) {
        if (!s || !name || s->n == 0)
                return NULL;
        FlagEntry key = { .name = (char *) name };
        return bsearch(&key, s->entries, s->n, sizeof(FlagEntry), entry_compare);
}

bool kubelet_flag_set_has(const KubeletFlagSet *s, const char *name) {
        return flag_set_find(s, name) != NULL;
}

bool kubelet_flag_set_is_bool(const KubeletFlagSet *s, const char *name) {
        const FlagEntry *e = flag_set_find(s, name);
        return e && e->is_bool;
}

const char *kubelet_flag_set_long_name(const KubeletFlagSet *s, char shorthand) {
        for (size_t i = 0; s && i < s->n; i++)
                if (s->entries[i].shorthand == shorthand)
                        return s->entries[i].name;
        return NULL;
}

int kubelet_version_minor(const char *version, unsigned *ret) {
        const char *p = version;
        char *end;

        if (!p)
                return -EINVAL;
        if (*p == 'v')
                p++;
        if (!startswith(p, "1."))
                return -EINVAL;
        p += 2;
        if (!isdigit((unsigned char) *p))
                return -EINVAL;
        errno = 0;
        unsigned long minor = strtoul(p, &end, 10);
        if (errno != 0 || minor > 999 || (*end && !strchr(".-+~", *end)))
                return -EINVAL;
        *ret = (unsigned) minor;
        return 0;
}

/* Splits one line of the shipped list into its tab-separated fields. */
static size_t split_tabs(char *line, char **fields, size_t max) {
        size_t n = 0;
        for (char *p = line; n < max;) {
                fields[n++] = p;
                p = strchr(p, '\t');
                if (!p)
                        break;
                *p++ = 0;
        }
        return n;
}

/* data_walk()'s minor for the flags of every covered version, and for those of all of them. */
#define MINOR_EVER UINT_MAX
#define MINOR_ALWAYS (UINT_MAX - 1)

/*
 * Walks the shipped list. With minor != 0, adds the flags that minor accepts to s (MINOR_EVER:
 * that any covered minor accepts; MINOR_ALWAYS: that every covered minor does); always validates
 * every line and reports the covered range.
 */
static int data_walk(const char *data, size_t size, unsigned minor, KubeletFlagSet *s, unsigned *ret_first,
                     unsigned *ret_last, char **ret_error) {
        unsigned covers_first = 0, covers_last = 0, line = 0;
        const char *p = data, *end = data + size;
        int r;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t len = nl ? (size_t) (nl - p) : (size_t) (end - p);
                _cleanup_free_ char *copy = strndup(p, len);
                char *f[6];
                unsigned a, b;

                if (!copy)
                        return -ENOMEM;
                line++;
                p += len + (nl ? 1 : 0);
                if (len == 0 || copy[0] == '#')
                        continue;

                size_t n = split_tabs(copy, f, ELEMENTSOF(f));
                if (streq(f[0], "@covers")) {
                        if (n != 3 || kubelet_version_minor(f[1], &covers_first) < 0 ||
                            kubelet_version_minor(f[2], &covers_last) < 0 || covers_first > covers_last)
                                goto bad;
                        continue;
                }
                if (n < 4 || n > 5 || !*f[0] || strspn(f[0], "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(f[0]) ||
                    (!streq(f[1], "bool") && !streq(f[1], "value")) || kubelet_version_minor(f[2], &a) < 0 ||
                    (streq(f[3], "*") ? (b = 999, false) : kubelet_version_minor(f[3], &b) < 0) || a > b ||
                    (n == 5 && strlen(f[4]) != 1))
                        goto bad;
                bool wanted = minor == MINOR_EVER     ? true
                              : minor == MINOR_ALWAYS ? covers_first && a <= covers_first && b >= covers_last
                                                      : minor >= a && minor <= b;
                if (s && wanted && (r = flag_set_add(s, f[0], strlen(f[0]), streq(f[1], "bool"), n == 5 ? f[4][0] : 0)) < 0)
                        return r;
        }
        if (covers_first == 0) {
                if (ret_error && asprintf(ret_error, "%u: no @covers line", line) < 0)
                        *ret_error = NULL;
                return -EBADMSG;
        }
        *ret_first = covers_first;
        *ret_last = covers_last;
        return 0;
bad:
        if (ret_error && asprintf(ret_error, "%u: malformed line", line) < 0)
                *ret_error = NULL;
        return -EBADMSG;
}

static int flag_set_finish(KubeletFlagSet *s) {
        if (s->n > 1)
                qsort(s->entries, s->n, sizeof(FlagEntry), entry_compare);
        for (size_t i = 1; i < s->n; i++)
                if (streq(s->entries[i - 1].name, s->entries[i].name))
                        return -EBADMSG;
        return 0;
}

int kubelet_flag_set_from_data(const char *data, size_t size, const char *minor, KubeletFlagSet **ret,
                               char **ret_error) {
        _cleanup_(kubelet_flag_set_freep) KubeletFlagSet *s = calloc(1, sizeof(KubeletFlagSet));
        unsigned want, first, last;
        int r;

        if (!s)
                return -ENOMEM;
        if (kubelet_version_minor(minor, &want) < 0)
                return -EINVAL;
        r = data_walk(data, size, want, s, &first, &last, ret_error);
        if (r < 0)
                return r;
        if (want < first || want > last)
                return -ENOENT;
        if (flag_set_finish(s) < 0) {
                if (ret_error && asprintf(ret_error, "0: a flag is listed twice for 1.%u", want) < 0)
                        *ret_error = NULL;
                return -EBADMSG;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

int kubelet_flag_set_across_versions(const char *data, size_t size, bool every, KubeletFlagSet **ret,
                                     char **ret_error) {
        _cleanup_(kubelet_flag_set_freep) KubeletFlagSet *s = calloc(1, sizeof(KubeletFlagSet));
        unsigned first, last;
        int r;

        if (!s)
                return -ENOMEM;
        r = data_walk(data, size, every ? MINOR_ALWAYS : MINOR_EVER, s, &first, &last, ret_error);
        if (r < 0)
                return r;
        /* a flag listed for several ranges (its type changed) counts once, boolean only if always */
        if (s->n > 1)
                qsort(s->entries, s->n, sizeof(FlagEntry), entry_compare);
        size_t o = 0;
        for (size_t i = 0; i < s->n; i++) {
                if (o > 0 && streq(s->entries[o - 1].name, s->entries[i].name)) {
                        s->entries[o - 1].is_bool = s->entries[o - 1].is_bool && s->entries[i].is_bool;
                        free(s->entries[i].name);
                        continue;
                }
                s->entries[o++] = s->entries[i];
        }
        s->n = o;
        *ret = TAKE_PTR(s);
        return 0;
}

int kubelet_flag_data_versions(const char *data, size_t size, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        unsigned first, last;
        int r = data_walk(data, size, 0, NULL, &first, &last, NULL);
        if (r < 0)
                return r;
        for (unsigned m = first; m <= last; m++) {
                char *v;
                if (asprintf(&v, "1.%u", m) < 0 || (r = strv_consume(&l, v)) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/*
 * pflag's usage lines: "  -v, --v Level   usage" or "      --name type   usage". A boolean flag
 * has no type word; a flag whose value is optional shows "[=default]" and takes no separate value
 * either (--version). The type word is replaced by the first `quoted` word of the usage text, and
 * kubelet's --seccomp-default usage quotes `RuntimeDefault`: that flag is boolean all the same.
 */
int kubelet_flag_set_from_help(const char *help, size_t size, KubeletFlagSet **ret) {
        static const char * const quoted_bools[] = { "seccomp-default" };
        _cleanup_(kubelet_flag_set_freep) KubeletFlagSet *s = calloc(1, sizeof(KubeletFlagSet));
        const char *p = help, *end = help + size;
        int r;

        if (!s)
                return -ENOMEM;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                const char *line = p, *eol = nl ? nl : end, *q = p;
                char shorthand = 0;

                p = nl ? nl + 1 : end;
                while (q < eol && *q == ' ')
                        q++;
                /* Continuation lines of a multi-line usage are indented to the usage column. */
                if (q - line > 8 || q == eol || *q != '-')
                        continue;
                if (eol - q >= 4 && q[1] != '-' && q[2] == ',' && q[3] == ' ') {
                        shorthand = q[1];
                        q += 4;
                }
                if (eol - q < 3 || q[0] != '-' || q[1] != '-')
                        continue;
                q += 2;
                const char *name = q;
                while (q < eol && (isalnum((unsigned char) *q) || *q == '-' || *q == '_'))
                        q++;
                size_t len = (size_t) (q - name);
                if (len == 0 || (q < eol && *q != ' ' && *q != '['))
                        continue;

                bool is_bool;
                if (q == eol || (q + 1 < eol && q[0] == ' ' && q[1] == ' '))
                        is_bool = true;                    /* no type word */
                else {
                        /* The type word ends at a space, or at the '>' of "<comma-separated ...>". */
                        const char *t = q + (*q == ' ');
                        char close = *t == '<' ? '>' : ' ';
                        while (t < eol && *t != close)
                                t++;
                        if (close == '>' && t < eol)
                                t++;
                        is_bool = memmem(q, (size_t) (t - q), "[=", 2) != NULL;   /* optional value */
                }
                for (size_t i = 0; i < ELEMENTSOF(quoted_bools); i++)
                        if (strlen(quoted_bools[i]) == len && strncmp(quoted_bools[i], name, len) == 0)
                                is_bool = true;
                r = flag_set_add(s, name, len, is_bool, shorthand);
                if (r < 0)
                        return r;
                for (char *c = s->entries[s->n - 1].name; *c; c++)
                        if (*c == '_')
                                *c = '-';
        }
        /* Help text never lists a flag twice; a duplicate means this was not kubelet's help. */
        if (flag_set_finish(s) < 0)
                return -EBADMSG;
        *ret = TAKE_PTR(s);
        return 0;
}
