/* SPDX-License-Identifier: MIT */
#include "remedy/fstab.h"

#include <errno.h>
#include <libmount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "remedy/macro.h"
#include "remedy/strv.h"
#include "remedy/unit-file.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_table *, mnt_unref_table);

static void swap_entry_clear(FstabSwap *s) {
        free(s->source);
        free(s->node);
        free(s->unit);
        *s = (FstabSwap) {};
}

void fstab_swaps_free(FstabSwap *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                swap_entry_clear(&s[i]);
        free(s);
}

/* udev's encode_devnode_name(): bytes outside the whitelist (and valid UTF-8 sequences) become
 * \xNN, so that a label with a space is /dev/disk/by-label/my\x20swap. */
static void encode_devnode_name(const char *s, FILE *out) {
        static const char allowed[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#+-.:=@_";
        const unsigned char *p = (const unsigned char *) s;
        while (*p) {
                size_t seq = 0;
                if (*p >= 0xc2 && *p <= 0xdf)
                        seq = 2;
                else if (*p >= 0xe0 && *p <= 0xef)
                        seq = 3;
                else if (*p >= 0xf0 && *p <= 0xf4)
                        seq = 4;
                bool valid = seq > 0;
                for (size_t i = 1; valid && i < seq; i++)
                        valid = (p[i] & 0xc0) == 0x80;
                if (valid) {
                        fwrite(p, 1, seq, out);
                        p += seq;
                } else if (*p != '\\' && strchr(allowed, *p)) {
                        fputc(*p++, out);
                } else
                        fprintf(out, "\\x%02x", *p++);
        }
}

int fstab_source_to_node(const char *tag, const char *value, char **ret) {
        static const struct {
                const char *tag, *dir;
        } links[] = {
                { "LABEL", "/dev/disk/by-label/" },
                { "UUID", "/dev/disk/by-uuid/" },
                { "PARTUUID", "/dev/disk/by-partuuid/" },
                { "PARTLABEL", "/dev/disk/by-partlabel/" },
        };
        _cleanup_free_ char *text = NULL;
        size_t size = 0;

        if (!tag)
                return (*ret = strdup(value)) ? 0 : -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                if (strcasecmp(tag, links[i].tag) != 0)
                        continue;
                FILE *out = open_memstream(&text, &size);
                if (!out)
                        return -ENOMEM;
                fputs(links[i].dir, out);
                encode_devnode_name(value, out);
                if (fclose(out) != 0)
                        return -ENOMEM;
                *ret = TAKE_PTR(text);
                return 0;
        }
        /* a tag systemd 252 does not turn into a link (ID=, ...): the source is taken as written */
        return asprintf(ret, "%s=%s", tag, value) < 0 ? -ENOMEM : 0;
}

typedef struct ParseError {
        bool failed;
} ParseError;

static int on_parse_error(struct libmnt_table *tb, const char *filename, int line) {
        ParseError *e = mnt_table_get_userdata(tb);
        e->failed = true;
        return 1;   /* stop: one line is parsed at a time, and a bad one is bad input */
}

/* One fstab line, parsed by libmount as if it were the whole file. 0 with *ret NULL for a line
 * that holds no entry (libmount skips comments and blank lines). */
static int parse_line(const char *line, size_t n, struct libmnt_table **ret) {
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = mnt_new_table();
        ParseError e = {};
        if (!tb)
                return -ENOMEM;
        mnt_table_set_userdata(tb, &e);
        mnt_table_set_parser_errcb(tb, on_parse_error);
        FILE *f = fmemopen((void *) line, n, "r");
        if (!f)
                return -errno;
        int r = mnt_table_parse_stream(tb, f, "fstab");
        fclose(f);
        if (r < 0 || e.failed)
                return -EINVAL;
        *ret = mnt_table_get_nents(tb) > 0 ? TAKE_PTR(tb) : NULL;
        return 0;
}

/* One line of an fstab at a time, as fstab_swaps() and fstab_mount_for() both read it. */
typedef struct FstabCursor {
        const char *data;
        size_t size, pos;
        unsigned line;
} FstabCursor;

typedef struct FstabLine {
        unsigned line;                  /* 1-based */
        size_t start, end;              /* the line's bytes, without its newline */
        struct libmnt_table *table;     /* owned; NULL when the line holds no entry */
        struct libmnt_fs *fs;           /* the entry, in table */
        const char *skipped;            /* why libmount and systemd skip the line, or NULL */
} FstabLine;

static void fstab_line_done(FstabLine *l) {
        mnt_unref_table(l->table);
        *l = (FstabLine) {};
}

/* 1 with the next line in *ret, 0 at the end, <0 on errors. */
static int fstab_next_line(FstabCursor *c, FstabLine *ret) {
        if (c->pos >= c->size)
                return 0;
        const char *nl = memchr(c->data + c->pos, '\n', c->size - c->pos);
        FstabLine l = { .line = ++c->line, .start = c->pos, .end = nl ? (size_t) (nl - c->data) : c->size };

        c->pos = nl ? l.end + 1 : c->size;
        if (memchr(c->data + l.start, 0, l.end - l.start))
                l.skipped = "a NUL byte; libmount reads the line only up to it";
        else {
                int r = parse_line(c->data + l.start, l.end - l.start, &l.table);
                if (r == -EINVAL)
                        l.skipped = "libmount cannot parse this line; it and systemd skip it";
                else if (r < 0)
                        return r;
                else if (l.table && mnt_table_first_fs(l.table, &l.fs) != 0)
                        l.fs = NULL;
        }
        *ret = l;
        return 1;
}

/* 1 with s filled, 0 with *ret_note for an entry systemd skips, <0 on errors. */
static int swap_entry(struct libmnt_fs *fs, FstabSwap *s, char **ret_note) {
        const char *tag = NULL, *value = NULL;
        int r;

        if (mnt_fs_get_tag(fs, &tag, &value) != 0) {
                tag = NULL;
                value = mnt_fs_get_srcpath(fs);
        }
        if (!value || !*value)
                return asprintf(ret_note, "%u: a swap entry without a source; systemd ignores it", s->line) < 0 ? -ENOMEM : 0;
        s->source = strdup(mnt_fs_get_source(fs));
        if (!s->source)
                return -ENOMEM;
        r = fstab_source_to_node(tag, value, &s->node);
        if (r < 0)
                return r;
        r = unit_name_from_path(s->node, ".swap", &s->unit);
        if (r == -EINVAL || r == -ENAMETOOLONG)
                return asprintf(ret_note, "%u: %s: not a path systemd can name a swap unit after; it ignores the line",
                                s->line, s->source) < 0 ? -ENOMEM : 0;
        if (r < 0)
                return r;
        const char *opts = mnt_fs_get_options(fs);
        /* Not mnt_match_options(): its "noauto" pattern means "auto is absent". */
        s->noauto = opts && mnt_optstr_get_option(opts, "noauto", NULL, NULL) == 0;
        return 1;
}

static int add_note(char ***notes, unsigned line, const char *reason) {
        char *n;
        if (asprintf(&n, "%u: %s", line, reason) < 0)
                return -ENOMEM;
        return strv_consume(notes, n);
}

int fstab_swaps(const char *data, size_t size, FstabSwap **ret, size_t *ret_n, char ***ret_notes) {
        _cleanup_strv_free_ char **notes = NULL;
        FstabCursor c = { .data = data, .size = size };
        FstabSwap *swaps = NULL;
        size_t n = 0;
        int r;

        for (;;) {
                _cleanup_(fstab_line_done) FstabLine l = {};
                if ((r = fstab_next_line(&c, &l)) <= 0)
                        break;
                if (l.skipped) {
                        if ((r = add_note(&notes, l.line, l.skipped)) < 0)
                                goto fail;
                        continue;
                }
                if (!l.fs || !streq(mnt_fs_get_fstype(l.fs), "swap"))
                        continue;

                FstabSwap *grown = reallocarray(swaps, n + 1, sizeof(FstabSwap));
                if (!grown) {
                        r = -ENOMEM;
                        goto fail;
                }
                swaps = grown;
                swaps[n] = (FstabSwap) { .line = l.line, .start = l.start, .end = l.end };
                _cleanup_free_ char *note = NULL;
                if ((r = swap_entry(l.fs, &swaps[n], &note)) < 0) {
                        n++;
                        goto fail;
                }
                if (r > 0)
                        n++;
                else {
                        swap_entry_clear(&swaps[n]);
                        if ((r = strv_consume(&notes, TAKE_PTR(note))) < 0)
                                goto fail;
                }
        }
        if (r < 0)
                goto fail;
        *ret = swaps;
        *ret_n = n;
        *ret_notes = TAKE_PTR(notes);
        return 0;
fail:
        fstab_swaps_free(swaps, n);
        return r;
}

int fstab_comment_out(const char *data, size_t size, const FstabSwap *s, size_t n, char **ret, size_t *ret_size) {
        char *out = malloc(size + n + 1);
        size_t o = 0, pos = 0;
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                memcpy(out + o, data + pos, s[i].start - pos);
                o += s[i].start - pos;
                out[o++] = '#';
                pos = s[i].start;
        }
        memcpy(out + o, data + pos, size - pos);
        o += size - pos;
        out[o] = 0;
        *ret = out;
        *ret_size = o;
        return 0;
}

void fstab_mount_done(FstabMount *m) {
        free(m->target);
        *m = (FstabMount) {};
}

bool mount_options_noexec(const char *options) {
        unsigned long flags = 0;
        if (!options || mnt_optstr_get_flags(options, &flags, mnt_get_builtin_optmap(MNT_LINUX_MAP)) != 0)
                return false;
        return flags & MS_NOEXEC;
}

size_t mount_point_len(const char *target) {
        size_t n = strlen(target);
        while (n > 0 && target[n - 1] == '/')
                n--;
        return n;
}

bool mount_point_holds(const char *target, const char *path) {
        size_t n = mount_point_len(target);
        return target[0] == '/' && strncmp(path, target, n) == 0 && (path[n] == 0 || path[n] == '/');
}

int fstab_mount_for(const char *data, size_t size, const char *path, FstabMount *ret) {
        FstabCursor c = { .data = data, .size = size };
        FstabMount best = {};
        int r;

        for (;;) {
                _cleanup_(fstab_line_done) FstabLine l = {};
                if ((r = fstab_next_line(&c, &l)) <= 0)
                        break;
                /* a skipped line is fstab_swaps()' to note */
                if (!l.fs || mnt_fs_is_swaparea(l.fs))
                        continue;
                const char *target = mnt_fs_get_target(l.fs), *opts = mnt_fs_get_options(l.fs);
                if (!target || !mount_point_holds(target, path) ||
                    (opts && mnt_optstr_get_option(opts, "noauto", NULL, NULL) == 0))
                        continue;
                /* the longest mount point is the one on top; of two lines with the same one,
                 * systemd-fstab-generator mounts the first and refuses the other */
                if (best.target && mount_point_len(target) <= mount_point_len(best.target))
                        continue;
                fstab_mount_done(&best);
                if (!(best.target = strdup(target)))
                        return -ENOMEM;
                best.line = l.line;
                best.noexec = mount_options_noexec(opts);
        }
        if (r < 0) {
                fstab_mount_done(&best);
                return r;
        }
        *ret = best;
        return !!best.target;
}

typedef struct MountUnitParse {
        FstabMount *mount;
        char *options;
        size_t file, options_file;
        bool in_mount;
} MountUnitParse;

static int mount_unit_line(void *userdata, unsigned line, char *text, char **ret_error) {
        MountUnitParse *p = userdata;
        /* systemd's WHITESPACE, as its unit file parser strips it */
        char *l = unit_file_strip(text), *eq;

        if (*l == '[') {
                p->in_mount = streq(l, "[Mount]");
                return 0;
        }
        if (!p->in_mount || !(eq = strchr(l, '=')))
                return 0;
        *eq = 0;
        const char *key = unit_file_strip(l), *value = unit_file_strip(eq + 1);
        char **slot = streq(key, "Where") ? &p->mount->target : streq(key, "Options") ? &p->options : NULL;
        if (!slot)
                return 0;
        free(*slot);
        *slot = NULL;
        if (*value && !(*slot = strdup(value)))
                return -ENOMEM;
        if (slot == &p->options) {
                p->mount->options_set = true;
                p->mount->line = *value ? line : 0;
                p->options_file = p->file;
        }
        return 0;
}

int mount_unit_parse_files(const char * const *data, size_t n, FstabMount *ret, size_t *ret_options_file) {
        FstabMount m = {};
        MountUnitParse p = { .mount = &m };
        int r = 0;

        /* each file starts outside any section, as systemd reads a drop-in */
        for (p.file = 0; p.file < n && r >= 0; p.file++, p.in_mount = false) {
                _cleanup_free_ char *error = NULL;
                r = unit_file_parse_lines(data[p.file], mount_unit_line, &p, &error);
        }
        if (r >= 0)
                m.noexec = mount_options_noexec(p.options);
        free(p.options);
        if (r < 0) {
                fstab_mount_done(&m);
                return r;
        }
        *ret = m;
        if (ret_options_file)
                *ret_options_file = p.options_file;
        return 0;
}

/* seq_file's mangle_path() writes space, tab, newline and backslash as \ooo. */
static char *unescape_octal(const char *s, size_t n) {
        char *out = malloc(n + 1), *o = out;
        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
                    s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
                        *o++ = (char) (((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));
                        i += 3;
                } else
                        *o++ = s[i];
        }
        *o = 0;
        return out;
}

int proc_swaps_parse(const char *data, char ***ret_paths) {
        _cleanup_strv_free_ char **paths = NULL;
        const char *p = data;

        if (!startswith(p, "Filename"))
                return -EBADMSG;
        p += strcspn(p, "\n");
        while (*p) {
                p += strspn(p, "\n");
                size_t n = strcspn(p, " \t\n");
                if (n == 0) {
                        if (*p && *p != '\n')
                                return -EBADMSG;
                        continue;
                }
                char *path = unescape_octal(p, n);
                if (!path || strv_consume(&paths, path) < 0)
                        return -ENOMEM;
                p += strcspn(p, "\n");
        }
        *ret_paths = TAKE_PTR(paths);
        return 0;
}
