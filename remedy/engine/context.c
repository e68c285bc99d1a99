/* SPDX-License-Identifier: MIT */
#include "remedy/context.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/log.h"
#include "remedy/str-index.h"
#include "remedy/strv.h"
#include "remedy/systemd-bus.h"

/*
 * The overlay maps canonical node paths to the state the planned steps leave them in. Entries are
 * also made for files only read, so that every step sees one consistent snapshot of the disk. A
 * run touches a handful of files: a plain array is enough.
 */
typedef struct OverlayEntry {
        NodeFile *file;
} OverlayEntry;

struct Overlay {
        OverlayEntry *entries;
        size_t n_entries;
        StrIndex *index;   /* path -> position in entries */
};

int change_add_unit(Change *c, const char *name, const char *unit_file_state, const char *active_state) {
        UnitTouch *units = reallocarray(c->units, c->n_units + 1, sizeof(UnitTouch));
        if (!units)
                return -ENOMEM;
        c->units = units;
        UnitTouch t = {
                .name = strdup(name),
                .unit_file_state = strdup(strempty(unit_file_state)),
                .active_state = strdup(active_state ? active_state : "inactive"),
        };
        if (!t.name || !t.unit_file_state || !t.active_state) {
                free(t.name);
                free(t.unit_file_state);
                free(t.active_state);
                return -ENOMEM;
        }
        c->units[c->n_units++] = t;
        return 0;
}

int change_add_kernel(Change *c, const char *kind, const char *name, const char *before) {
        KernelTouch *kernel = reallocarray(c->kernel, c->n_kernel + 1, sizeof(KernelTouch));
        if (!kernel)
                return -ENOMEM;
        c->kernel = kernel;
        KernelTouch t = { .kind = strdup(kind), .name = strdup(name), .before = strdup(strempty(before)) };
        if (!t.kind || !t.name || !t.before) {
                free(t.kind);
                free(t.name);
                free(t.before);
                return -ENOMEM;
        }
        c->kernel[c->n_kernel++] = t;
        return 0;
}

void change_done(Change *c) {
        for (size_t i = 0; i < c->n_ops; i++) {
                node_file_free(c->ops[i].before);
                node_file_free(c->ops[i].after);
        }
        free(c->ops);
        str_index_free(c->op_index);
        free(c->note);
        for (size_t i = 0; i < c->n_units; i++) {
                free(c->units[i].name);
                free(c->units[i].unit_file_state);
                free(c->units[i].active_state);
        }
        free(c->units);
        for (size_t i = 0; i < c->n_kernel; i++) {
                free(c->kernel[i].kind);
                free(c->kernel[i].name);
                free(c->kernel[i].before);
        }
        free(c->kernel);
        if (c->data && c->free_data)
                c->free_data(c->data);
        *c = (Change) {};
}

int change_set_note(Change *c, const char *fmt, ...) {
        va_list ap;
        char *s;
        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        free(c->note);
        c->note = s;
        return 0;
}

int context_new(Root *root, bool offline, Context **ret) {
        Context *c = calloc(1, sizeof(Context));
        if (!c)
                return -ENOMEM;
        c->overlay = calloc(1, sizeof(Overlay));
        if (!c->overlay) {
                free(c);
                return -ENOMEM;
        }
        c->root = root;
        c->offline = offline;
        c->read_parent = ROOT_PARENT_INIT;
        *ret = c;
        return 0;
}

Context *context_free(Context *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->overlay->n_entries; i++)
                node_file_free(c->overlay->entries[i].file);
        free(c->overlay->entries);
        str_index_free(c->overlay->index);
        free(c->overlay);
        free(c->error);
        strv_free(c->evidence);
        strv_free(c->notes);
        resolved_dir_done(&c->resolved_dir);
        root_parent_done(&c->read_parent);
        free(c);
        return NULL;
}

int ctx_note(Context *c, const char *fmt, ...) {
        _cleanup_free_ char *note = NULL;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&note, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return strv_extend_unique(&c->notes, note);
}

int ctx_error(Context *c, int err, const char *fmt, ...) {
        if (!c->error) {
                va_list ap;
                va_start(ap, fmt);
                if (vasprintf(&c->error, fmt, ap) < 0)
                        c->error = NULL;
                va_end(ap);
        }
        return err < 0 ? err : -EINVAL;
}

int ctx_edit_error(Context *c, int err, const char *path, const char *error, const char *fallback) {
        bool at_line = error && *error >= '0' && *error <= '9';
        return ctx_error(c, err, "%s:%s%s", path, at_line ? "" : " ", error ? error : fallback);
}

int ctx_render(Context *c, const Template *t, char **ret) {
        _cleanup_free_ char *error = NULL;
        int r = template_render(t, c->values, ret, &error);
        if (r < 0)
                return ctx_error(c, r, "%s", error ? error : "failed to substitute parameters");
        return 0;
}

static NodeFile *overlay_find(Overlay *o, const char *path) {
        size_t i;
        return str_index_get(o->index, path, &i) ? o->entries[i].file : NULL;
}

/* Puts f (owned) in the overlay, replacing any entry for the same path. */
static int overlay_put(Overlay *o, NodeFile *f) {
        size_t i;
        int r;

        if (str_index_get(o->index, f->path, &i)) {
                node_file_free(o->entries[i].file);
                o->entries[i].file = f;
                return 0;
        }
        OverlayEntry *e = realloc(o->entries, sizeof(OverlayEntry) * (o->n_entries + 1));
        if (!e) {
                node_file_free(f);
                return -ENOMEM;
        }
        o->entries = e;
        if ((r = str_index_put(&o->index, f->path, o->n_entries)) < 0) {
                node_file_free(f);
                return r;
        }
        o->entries[o->n_entries++].file = f;
        return 0;
}

static FileKind file_kind_of(mode_t mode) {
        return S_ISREG(mode) ? FILE_REGULAR : S_ISLNK(mode) ? FILE_SYMLINK : S_ISDIR(mode) ? FILE_DIRECTORY : FILE_OTHER;
}

static int load_from_disk(Context *c, const char *path, NodeFile **ret) {
        _cleanup_(node_file_freep) NodeFile *f = calloc(1, sizeof(NodeFile));
        struct stat st;
        int r;

        if (!f || !(f->path = strdup(path)))
                return -ENOMEM;

        /* The directory stays open for the next file in it, as resolved_dir keeps its path: a
         * glob's ten thousand files are read without walking to each from the root. */
        const char *base;
        int pfd = streq(path, "/") ? -EINVAL : root_parent_get_in_root(&c->read_parent, c->root, path, &base);
        if (pfd == -EINVAL)
                r = root_lstat(c->root, path, &st);
        else if (pfd < 0)
                r = pfd;
        else
                r = fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
        if (r == -ENOENT || r == -ENOTDIR) {
                f->kind = FILE_ABSENT;
                *ret = TAKE_PTR(f);
                return 0;
        }
        if (r < 0)
                return ctx_error(c, r, "%s: cannot stat: %s", path, strerror(-r));

        f->mode = st.st_mode & 07777;
        f->uid = st.st_uid;
        f->gid = st.st_gid;
        f->kind = file_kind_of(st.st_mode);
        if (f->kind == FILE_REGULAR) {
                r = read_file_at(pfd, base, NODE_FILE_MAX, &f->data, &f->size);
                if (r < 0)
                        return ctx_error(c, r, "%s: cannot read: %s", path, strerror(-r));
        } else if (f->kind == FILE_SYMLINK) {
                r = readlinkat_malloc(pfd, base, &f->data);
                if (r < 0)
                        return ctx_error(c, r, "%s: cannot read link: %s", path, strerror(-r));
                f->size = strlen(f->data);
        }

        *ret = TAKE_PTR(f);
        return 0;
}

static int canonical(Context *c, const char *path, bool follow, char **ret) {
        /* Planning reads the disk only, which remedy does not change until the plan is made, and
         * never turns a directory into a symlink afterwards. */
        int r = root_canonicalize_via_dir(c->root, &c->resolved_dir, path, follow, ret);
        if (r == -EINVAL)
                return ctx_error(c, r, "%s: not an absolute, normalised path", path);
        if (r < 0)
                return ctx_error(c, r, "%s: cannot resolve: %s", path, strerror(-r));
        return 0;
}

/* True when the plan puts something below dir: the directory will exist once applied. */
static bool overlay_has_below(Overlay *o, const char *dir) {
        size_t n = strlen(dir);
        for (size_t i = 0; i < o->n_entries; i++) {
                const NodeFile *f = o->entries[i].file;
                if (f->kind != FILE_ABSENT && strncmp(f->path, dir, n) == 0 && f->path[n] == '/')
                        return true;
        }
        return false;
}

static int read_canonical(Context *c, const char *canon, const NodeFile **ret) {
        NodeFile *f = overlay_find(c->overlay, canon);
        if (!f) {
                int r = load_from_disk(c, canon, &f);
                if (r < 0)
                        return r;
                if ((r = overlay_put(c->overlay, f)) < 0)
                        return r;
        }
        /* Parent directories of planned files are created when the plan is applied. */
        if (f->kind == FILE_ABSENT && overlay_has_below(c->overlay, canon)) {
                f->kind = FILE_DIRECTORY;
                f->mode = 0755;
                f->uid = 0;
                f->gid = 0;
        }
        *ret = f;
        return 0;
}

int ctx_read(Context *c, const char *path, bool follow, const NodeFile **ret) {
        _cleanup_free_ char *canon = NULL;
        int r = canonical(c, path, follow, &canon);
        if (r < 0)
                return r;
        return read_canonical(c, canon, ret);
}

int ctx_want_unit_links(Context *c, Change *change, const UnitLinks *links, const char *verb, FILE *note) {
        bool first = true;
        int changed = 0;
        for (size_t i = 0; i < links->n_items; i++) {
                const UnitLink *l = &links->items[i];
                int r = l->target ? ctx_want_symlink(c, change, l->path, l->target) : ctx_want_absent(c, change, l->path);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                changed = 1;
                if (!note)
                        continue;
                if (first)
                        fprintf(note, "%s%s: ", ftell(note) > 0 ? "; " : "", verb);
                else
                        fputs(", ", note);
                if (l->target)
                        fprintf(note, "%s → %s", l->path, l->target);
                else
                        fprintf(note, "removes %s", l->path);
                first = false;
        }
        return changed;
}

int ctx_read_regular(Context *c, const char *path, const char *what, const NodeFile **ret) {
        const NodeFile *f;
        int r = ctx_read(c, path, true, &f);
        if (r < 0)
                return r;
        if (f->kind == FILE_ABSENT)
                return ctx_error(c, -ENOENT, "%s: does not exist", path);
        if (f->kind != FILE_REGULAR)
                return ctx_error(c, -EINVAL, "%s: is a %s, not %s", path, file_kind_name(f->kind), what);
        *ret = f;
        return 0;
}

int ctx_stat(Context *c, const char *path, FileKind *ret_kind, mode_t *ret_mode) {
        _cleanup_free_ char *canon = NULL;
        struct stat st;
        int r = canonical(c, path, true, &canon);
        if (r < 0)
                return r;

        /* What the plan has touched, as the plan leaves it. */
        if (overlay_find(c->overlay, canon) || overlay_has_below(c->overlay, canon)) {
                const NodeFile *f;
                if ((r = read_canonical(c, canon, &f)) < 0)
                        return r;
                *ret_kind = f->kind;
                *ret_mode = f->mode;
                return 0;
        }
        r = root_lstat(c->root, canon, &st);
        if (r == -ENOENT || r == -ENOTDIR) {
                *ret_kind = FILE_ABSENT;
                *ret_mode = 0;
                return 0;
        }
        if (r < 0)
                return ctx_error(c, r, "%s: cannot stat: %s", canon, strerror(-r));
        *ret_kind = file_kind_of(st.st_mode);
        *ret_mode = st.st_mode & 07777;
        return 0;
}

int ctx_glob(Context *c, const char *pattern, char ***ret_paths) {
        _cleanup_free_ char *dir = path_dirname(pattern), *canon_dir = NULL;
        _cleanup_strv_free_ char **names = NULL, **paths = NULL;
        size_t n_names, n_paths = 0;
        const char *base = path_basename(pattern);
        int r;

        if (!dir)
                return -ENOMEM;
        if (strpbrk(dir, "*?["))
                return ctx_error(c, -EINVAL, "%s: wildcards are only allowed in the last component", pattern);
        if ((r = canonical(c, dir, true, &canon_dir)) < 0)
                return r;

        r = root_list_dir(c->root, canon_dir, &names);
        if (r < 0 && r != -ENOENT && r != -ENOTDIR)
                return ctx_error(c, r, "%s: cannot list: %s", canon_dir, strerror(-r));

        n_names = strv_length(names);
        /* Names the plan has created in that directory count too. */
        _cleanup_(str_index_freep) StrIndex *seen = NULL;
        STRV_FOREACH(n, names)
                if ((r = str_index_put(&seen, *n, 0)) < 0)
                        return r;
        for (size_t i = 0; i < c->overlay->n_entries; i++) {
                const NodeFile *f = c->overlay->entries[i].file;
                _cleanup_free_ char *parent = path_dirname(f->path);
                if (!parent)
                        return -ENOMEM;
                if (!streq(parent, canon_dir) || f->kind == FILE_ABSENT || str_index_get(seen, path_basename(f->path), NULL))
                        continue;
                if ((r = strv_extend_with_size(&names, &n_names, path_basename(f->path))) < 0 ||
                    (r = str_index_put(&seen, path_basename(f->path), 0)) < 0)
                        return r;
        }

        STRV_FOREACH(n, names) {
                if (fnmatch(base, *n, FNM_PERIOD) != 0)
                        continue;
                _cleanup_free_ char *p = path_join(canon_dir, *n);
                const NodeFile *f;
                if (!p)
                        return -ENOMEM;
                if ((r = read_canonical(c, p, &f)) < 0)
                        return r;
                if (f->kind == FILE_ABSENT)
                        continue;
                if ((r = strv_consume_with_size(&paths, &n_paths, TAKE_PTR(p))) < 0)
                        return r;
        }
        strv_sort(paths);
        if (!paths && !(paths = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret_paths = TAKE_PTR(paths);
        return 0;
}

/* Records before -> after for path in change, merging with an earlier op of the same change on the
 * same path so that the change shows one diff per file. */
static int change_add_op(Context *c, Change *change, FileOpType type, const NodeFile *before, NodeFile *after) {
        size_t i;
        int r;

        if (str_index_get(change->op_index, after->path, &i)) {
                FileOp *op = &change->ops[i];
                NodeFile *copy = node_file_copy(after);
                if (!copy) {
                        node_file_free(after);
                        return -ENOMEM;
                }
                node_file_free(op->after);
                op->after = copy;
                op->type = type;
                return overlay_put(c->overlay, after);
        }

        FileOp *ops = realloc(change->ops, sizeof(FileOp) * (change->n_ops + 1));
        if (!ops) {
                node_file_free(after);
                return -ENOMEM;
        }
        change->ops = ops;
        FileOp *op = &change->ops[change->n_ops];
        *op = (FileOp) { .type = type };
        op->before = node_file_copy(before);
        op->after = node_file_copy(after);
        if (!op->before || !op->after) {
                node_file_free(op->before);
                node_file_free(op->after);
                node_file_free(after);
                return -ENOMEM;
        }
        if ((r = str_index_put(&change->op_index, after->path, change->n_ops)) < 0) {
                node_file_free(after);
                return r;
        }
        change->n_ops++;
        change->status = CHANGE_PENDING;
        return overlay_put(c->overlay, after);
}

static NodeFile *node_file_new(const char *path, FileKind kind, const char *data, size_t size) {
        NodeFile *f = calloc(1, sizeof(NodeFile));
        if (!f)
                return NULL;
        f->kind = kind;
        f->path = strdup(path);
        if (data) {
                f->data = malloc(size + 1);
                if (f->data) {
                        memcpy(f->data, data, size);
                        f->data[size] = 0;
                }
                f->size = size;
        }
        if (!f->path || (data && !f->data))
                return node_file_free(f);
        return f;
}

int ctx_want_file(Context *c, Change *change, const char *path, const char *data, size_t size, mode_t mode, uid_t uid,
                  gid_t gid) {
        const NodeFile *cur;
        int r;

        if ((r = ctx_read(c, path, true, &cur)) < 0)
                return r;
        if (cur->kind == FILE_DIRECTORY || cur->kind == FILE_OTHER)
                return ctx_error(c, -EISDIR, "%s: is a %s, not a file", cur->path, file_kind_name(cur->kind));

        bool exists = cur->kind == FILE_REGULAR;
        mode_t m = mode != (mode_t) -1 ? mode : exists ? cur->mode : 0644;
        uid_t u = uid != (uid_t) -1 ? uid : exists ? cur->uid : 0;
        gid_t g = gid != (gid_t) -1 ? gid : exists ? cur->gid : 0;

        if (exists && cur->size == size && memcmp(cur->data, data, size) == 0 && cur->mode == m && cur->uid == u &&
            cur->gid == g)
                return 0;

        NodeFile *after = node_file_new(cur->path, FILE_REGULAR, data, size);
        if (!after)
                return -ENOMEM;
        after->mode = m;
        after->uid = u;
        after->gid = g;
        if ((r = change_add_op(c, change, FILE_OP_WRITE, cur, after)) < 0)
                return r;
        return 1;
}

int ctx_want_symlink(Context *c, Change *change, const char *path, const char *target) {
        const NodeFile *cur;
        int r;

        if ((r = ctx_read(c, path, false, &cur)) < 0)
                return r;
        if (cur->kind == FILE_DIRECTORY)
                return ctx_error(c, -EISDIR, "%s: is a directory, not a symlink", cur->path);
        if (cur->kind == FILE_SYMLINK && streq(cur->data, target))
                return 0;

        NodeFile *after = node_file_new(cur->path, FILE_SYMLINK, target, strlen(target));
        if (!after)
                return -ENOMEM;
        after->mode = 0777;
        if ((r = change_add_op(c, change, FILE_OP_SYMLINK, cur, after)) < 0)
                return r;
        return 1;
}

int ctx_want_absent(Context *c, Change *change, const char *path) {
        const NodeFile *cur;
        int r;

        if ((r = ctx_read(c, path, false, &cur)) < 0)
                return r;
        if (cur->kind == FILE_ABSENT)
                return 0;
        if (cur->kind == FILE_DIRECTORY)
                return ctx_error(c, -EISDIR, "%s: is a directory; remedy removes files and symlinks only", cur->path);

        NodeFile *after = node_file_new(cur->path, FILE_ABSENT, NULL, 0);
        if (!after)
                return -ENOMEM;
        if ((r = change_add_op(c, change, FILE_OP_REMOVE, cur, after)) < 0)
                return r;
        return 1;
}

int ctx_render_or(Context *c, const Template *t, const char *fallback, char **ret) {
        if (t)
                return ctx_render(c, t, ret);
        return (*ret = strdup(fallback)) ? 0 : -ENOMEM;
}

int ctx_render_unit_name(Context *c, const Template *t, char **ret) {
        _cleanup_free_ char *rendered = NULL;
        int r = ctx_render(c, t, &rendered);
        if (r < 0)
                return r;
        r = unit_name_mangle(rendered, ret);
        return r == -EINVAL ? ctx_error(c, r, "\"%s\" is not a valid unit name", rendered) : r;
}

static int node_fs_read(void *userdata, const char *path, bool follow, const NodeFile **ret) {
        return ctx_read(userdata, path, follow, ret);
}

static int node_fs_glob(void *userdata, const char *pattern, char ***ret_paths) {
        return ctx_glob(userdata, pattern, ret_paths);
}

NodeFS ctx_node_fs(Context *c) {
        return (NodeFS) { node_fs_read, node_fs_glob, c };
}

int ctx_daemon_reload(Context *c) {
        _cleanup_free_ char *error = NULL;
        int r = systemd_bus_daemon_reload(c->bus, &error);
        if (r < 0)
                return ctx_error(c, r, "daemon-reload failed: %s", error ? error : strerror(-r));
        c->units_dirty = false;
        return 0;
}
