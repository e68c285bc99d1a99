/* SPDX-License-Identifier: MIT */
/*
 * The playbooks of the search path, by name. Running as root, remedy refuses playbooks that
 * anyone but root could have written, as doas refuses such a config: a playbook can rewrite any
 * file on the node.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "remedy/fileio.h"
#include "remedy/playbook.h"
#include "remedy/strv.h"
#include "remedy/trusted-file.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

/* While loading: one entry per name, valid or broken. */
typedef struct Entry {
        char *name;
        char *path;
        Playbook *playbook;   /* NULL when broken */
        char *error;
        const char *dir;      /* for telling duplicates in one directory from overrides */
} Entry;

typedef struct Entries {
        Entry *items;
        size_t n;
} Entries;

static void entry_done(Entry *e) {
        free(e->name);
        free(e->path);
        playbook_free(e->playbook);
        free(e->error);
}

static void entries_done(Entries *l) {
        for (size_t i = 0; i < l->n; i++)
                entry_done(&l->items[i]);
        free(l->items);
}

static void playbook_error_done(PlaybookError *e) {
        free(e->name);
        free(e->path);
        free(e->error);
}

PlaybookSet *playbook_set_free(PlaybookSet *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_items; i++)
                playbook_free(s->items[i]);
        free(s->items);
        for (size_t i = 0; i < s->n_errors; i++)
                playbook_error_done(&s->errors[i]);
        free(s->errors);
        free(s);
        return NULL;
}

/* Takes over the contents of e, which are freed on failure too. */
static int entries_add(Entries *l, Entry *e) {
        for (size_t i = 0; i < l->n; i++) {
                Entry *old = &l->items[i];
                if (!streq(old->name, e->name))
                        continue;
                if (old->dir == e->dir && old->dir) {
                        /* Which of two files in one directory is meant is anyone's guess. */
                        _cleanup_free_ char *msg = NULL;
                        if (asprintf(&msg, "%s: playbook name '%s' is also used by %s: rename one", e->path, e->name,
                                     old->path) < 0) {
                                entry_done(e);
                                return -ENOMEM;
                        }
                        playbook_free(TAKE_PTR(e->playbook));
                        free(e->error);
                        e->error = TAKE_PTR(msg);
                }
                entry_done(old);
                *old = *e;
                return 0;
        }

        Entry *items = realloc(l->items, (l->n + 1) * sizeof(Entry));
        if (!items) {
                entry_done(e);
                return -ENOMEM;
        }
        l->items = items;
        l->items[l->n++] = *e;
        return 0;
}

_printf_(2, 3) static int set_error(char **ret_error, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int k = vasprintf(ret_error, fmt, ap);
        va_end(ap);
        if (k < 0) {
                *ret_error = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* The name a broken playbook is listed under: its name: when that much parses, else the file's. */
static char *broken_name(const char *path, const char *file, const char *data, size_t size) {
        _cleanup_(yaml_document_freep) YamlDocument *doc = NULL;
        _cleanup_free_ char *ignored = NULL;

        if (data && yaml_document_parse(path, data, size, &doc, &ignored) >= 0) {
                const YamlNode *name = yaml_node_get(doc->root, "name");
                if (name && name->type == YAML_NODE_SCALAR && playbook_name_is_valid(name->scalar))
                        return strdup(name->scalar);
        }
        return strndup(file, strlen(file) - strlen(".yaml"));
}

/* Opens and reads one playbook file; any failure but -ENOMEM comes with *ret_error. */
static int read_playbook_file(int dir_fd, const char *path, const char *file, char **ret_data, size_t *ret_size,
                              char **ret_error) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        /* O_NONBLOCK: a FIFO named x.yaml must not hang the load. Symlinks are refused: the file
         * itself is what the ownership check is about. */
        fd = openat(dir_fd, file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0) {
                r = negative_errno();
                if (r == -ELOOP)
                        return set_error(ret_error, "%s: is a symlink; copy the playbook here instead", path) ?: r;
                return set_error(ret_error, "%s: %s", path, strerror(-r)) ?: r;
        }
        if (fstat(fd, &st) < 0) {
                r = negative_errno();
                return set_error(ret_error, "%s: %s", path, strerror(-r)) ?: r;
        }
        if (!S_ISREG(st.st_mode))
                return set_error(ret_error, "%s: not a regular file", path) ?: -EINVAL;
        if ((r = trusted_check_stat(&st, path, "the file", TRUST_PLAYBOOK, ret_error)) < 0)
                return r;

        r = read_full_fd(fd, YAML_MAX_SIZE, ret_data, ret_size);
        if (r == -EFBIG)
                return set_error(ret_error, "%s:1:1: larger than the %u bytes a playbook may have", path,
                                 YAML_MAX_SIZE) ?: -E2BIG;
        if (r < 0)
                return r == -ENOMEM ? r : (set_error(ret_error, "%s: %s", path, strerror(-r)) ?: r);
        return 0;
}

static int load_file(int dir_fd, const char *dir, const char *file, Entry *ret) {
        _cleanup_free_ char *path = path_join(dir, file), *data = NULL, *error = NULL;
        Playbook *p = NULL;
        size_t size = 0;
        int r;

        if (!path)
                return -ENOMEM;

        r = read_playbook_file(dir_fd, path, file, &data, &size, &error);
        if (r >= 0)
                r = playbook_load_data(path, data, size, &p, &error);
        if (r == -ENOMEM)
                return r;

        *ret = (Entry) { .dir = dir };
        if (p) {
                ret->playbook = p;
                ret->name = strdup(p->name);
        } else {
                if (!error && set_error(&error, "%s: cannot be loaded", path) < 0)
                        return -ENOMEM;
                ret->error = TAKE_PTR(error);
                ret->name = broken_name(path, file, data, size);
        }
        ret->path = TAKE_PTR(path);
        if (!ret->name) {
                entry_done(ret);
                return -ENOMEM;
        }
        return 0;
}

static int load_dir(const char *dir, bool must_exist, Entries *entries, char **ret_error) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_strv_free_ char **files = NULL;
        struct stat st;
        int r;

        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                r = negative_errno();
                if (r == -ENOENT && !must_exist)
                        return 0;
                int k = set_error(ret_error, "%s: cannot open the playbook directory: %s", dir, strerror(-r));
                return k < 0 ? k : r;
        }
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if ((r = trusted_check_stat(&st, dir, "the playbook directory", TRUST_PLAYBOOK, ret_error)) < 0 ||
            (r = trusted_check_dirs(dir, TRUST_PLAYBOOK, ret_error)) < 0)
                return r;

        int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (dup_fd < 0)
                return negative_errno();
        _cleanup_(closedirp) DIR *d = fdopendir(dup_fd);
        if (!d) {
                r = negative_errno();
                close(dup_fd);
                return r;
        }
        for (;;) {
                errno = 0;
                struct dirent *de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                return negative_errno();
                        break;
                }
                /* Hidden files are editors' and package managers' leftovers, not playbooks. */
                if (de->d_name[0] == '.' || !endswith(de->d_name, ".yaml") || streq(de->d_name, ".yaml"))
                        continue;
                if ((r = strv_extend(&files, de->d_name)) < 0)
                        return r;
        }
        strv_sort(files);

        STRV_FOREACH(f, files) {
                Entry e;
                if ((r = load_file(fd, dir, *f, &e)) < 0)
                        return r;
                if ((r = entries_add(entries, &e)) < 0)
                        return r;
        }
        return 0;
}

static int cmp_playbooks(const void *a, const void *b) {
        return strcmp((*(Playbook * const *) a)->name, (*(Playbook * const *) b)->name);
}

static int cmp_errors(const void *a, const void *b) {
        return strcmp(((const PlaybookError *) a)->name, ((const PlaybookError *) b)->name);
}

int playbook_set_load(char * const *dirs, PlaybookSet **ret, char **ret_error) {
        static char * const default_dirs[] = { (char *) REMEDY_PLAYBOOKS_SYSTEM_DIR, (char *) REMEDY_PLAYBOOKS_ADMIN_DIR, NULL };
        _cleanup_(playbook_set_freep) PlaybookSet *s = NULL;
        Entries entries = {};
        int r = 0;

        *ret_error = NULL;
        STRV_FOREACH(d, dirs ?: default_dirs)
                if ((r = load_dir(*d, dirs != NULL, &entries, ret_error)) < 0)
                        break;
        if (r >= 0 && !(s = calloc(1, sizeof(PlaybookSet))))
                r = -ENOMEM;
        if (r >= 0) {
                s->items = calloc(entries.n ?: 1, sizeof(Playbook *));
                s->errors = calloc(entries.n ?: 1, sizeof(PlaybookError));
                if (!s->items || !s->errors)
                        r = -ENOMEM;
        }
        if (r < 0) {
                entries_done(&entries);
                return r;
        }

        for (size_t i = 0; i < entries.n; i++) {
                Entry *e = &entries.items[i];
                if (e->playbook) {
                        s->items[s->n_items++] = TAKE_PTR(e->playbook);
                        continue;
                }
                s->errors[s->n_errors++] = (PlaybookError) {
                        .name = TAKE_PTR(e->name),
                        .path = TAKE_PTR(e->path),
                        .error = TAKE_PTR(e->error),
                };
        }
        entries_done(&entries);

        qsort(s->items, s->n_items, sizeof(Playbook *), cmp_playbooks);
        qsort(s->errors, s->n_errors, sizeof(PlaybookError), cmp_errors);
        *ret = TAKE_PTR(s);
        return 0;
}

Playbook *playbook_set_find(const PlaybookSet *s, const char *name) {
        for (size_t i = 0; i < s->n_items; i++)
                if (streq(s->items[i]->name, name))
                        return s->items[i];
        return NULL;
}

const PlaybookError *playbook_set_find_error(const PlaybookSet *s, const char *name) {
        for (size_t i = 0; i < s->n_errors; i++)
                if (streq(s->errors[i].name, name))
                        return &s->errors[i];
        return NULL;
}
