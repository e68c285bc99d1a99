/* SPDX-License-Identifier: MIT */
/*
 * The install side of unit files: `systemctl is-enabled` computed from the links in the search
 * path, and the links `systemctl enable|disable|mask|unmask` would create or remove. Units are
 * found and their [Install] sections read by unit-file.c.
 */
#include "remedy/unit-file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/strv.h"
#include "unit-internal.h"

const char *unit_file_state_name(UnitFileState s) {
        static const char * const names[_UNIT_FILE_STATE_MAX] = {
                [UNIT_FILE_ENABLED] = "enabled",   [UNIT_FILE_ENABLED_RUNTIME] = "enabled-runtime",
                [UNIT_FILE_STATIC] = "static",     [UNIT_FILE_DISABLED] = "disabled",
                [UNIT_FILE_INDIRECT] = "indirect", [UNIT_FILE_MASKED] = "masked",
                [UNIT_FILE_MASKED_RUNTIME] = "masked-runtime", [UNIT_FILE_ALIAS] = "alias",
        };
        return (unsigned) s < _UNIT_FILE_STATE_MAX ? names[s] : NULL;
}

/* is_symlink_with_known_name(): the names `systemctl enable` would have created. */
static bool known_link_name(const UnitFile *u, const char *link_name) {
        _cleanup_free_ char *instance = NULL;

        if (streq(link_name, u->name) || strv_contains(u->install.aliases, link_name))
                return true;
        return u->install.default_instance &&
               unit_name_replace_instance(u->name, u->install.default_instance, &instance) >= 0 &&
               streq(link_name, instance);
}

/* find_symlinks_in_directory(): 1 when a symlink in dir refers to the unit. */
static int find_links_in_dir(const NodeFS *fs, const char *dir, const UnitFile *u, bool match_aliases,
                             bool ignore_same_name, const char *search_dir, bool *same_name_link) {
        _cleanup_strv_free_ char **names = NULL;
        int r = unit_fs_list(fs, dir, "*", &names);
        if (r < 0)
                return r;
        STRV_FOREACH(n, names) {
                _cleanup_free_ char *path = unit_path_join(dir, *n), *dest = NULL;
                const NodeFile *f;
                if (!path)
                        return -ENOMEM;
                r = unit_fs_read(fs, path, false, &f);
                if (r < 0)
                        return r;
                if (f->kind != FILE_SYMLINK)
                        continue;
                dest = unit_link_target_abs(dir, f->data);
                if (!dest)
                        return -ENOMEM;
                bool found_path = !ignore_same_name && streq(*n, u->name);
                bool found_dest = streq(unit_path_base(dest), u->name);
                if (found_path && found_dest && streq(dir, search_dir))
                        *same_name_link = true;
                else if ((found_path || found_dest) && (!match_aliases || known_link_name(u, *n)))
                        return 1;
        }
        return 0;
}

static int find_links(const NodeFS *fs, const char *search_dir, const UnitFile *u, bool match_aliases,
                      bool ignore_same_name, bool *same_name_link) {
        static const char * const patterns[] = { "*.wants", "*.requires", NULL };
        int r;

        for (const char * const *pat = patterns; *pat; pat++) {
                _cleanup_strv_free_ char **dirs = NULL;
                r = unit_fs_list(fs, search_dir, *pat, &dirs);
                if (r < 0)
                        return r;
                STRV_FOREACH(d, dirs) {
                        _cleanup_free_ char *path = unit_path_join(search_dir, *d);
                        const NodeFile *f;
                        if (!path)
                                return -ENOMEM;
                        r = unit_fs_read(fs, path, false, &f);
                        if (r < 0)
                                return r;
                        if (f->kind != FILE_DIRECTORY)
                                continue;
                        r = find_links_in_dir(fs, path, u, match_aliases, ignore_same_name, search_dir, same_name_link);
                        if (r != 0)
                                return r;
                }
        }
        return find_links_in_dir(fs, search_dir, u, match_aliases, ignore_same_name, search_dir, same_name_link);
}

/* find_symlinks_in_scope(): 1 and *ret when symlinks make the unit enabled (or static). */
static int links_state(const NodeFS *fs, const UnitFile *u, bool match_aliases, UnitFileState *ret) {
        bool ignore_same_name = false, runtime = false, elsewhere = false;

        for (const char * const *d = unit_search_path; *d; d++) {
                bool same_name_link = false;   /* linked units are out of scope */
                int r = find_links(fs, *d, u, match_aliases, ignore_same_name, &same_name_link);
                if (r < 0)
                        return r;
                if (r > 0) {
                        if (streq(*d, UNIT_CONFIG_DIR)) {
                                *ret = UNIT_FILE_ENABLED;
                                return 1;
                        }
                        if (startswith(*d, "/run/"))
                                runtime = true;
                        else
                                elsewhere = true;
                }
                const char *rest = startswith(u->path, *d);
                if (rest && *rest == '/')
                        ignore_same_name = true;
        }
        if (runtime) {
                *ret = UNIT_FILE_ENABLED_RUNTIME;
                return 1;
        }
        /* An instance linked from a vendor directory is statically enabled. */
        if (elsewhere && unit_name_kind(u->name) == UNIT_NAME_INSTANCE) {
                *ret = UNIT_FILE_STATIC;
                return 1;
        }
        return 0;
}

int unit_file_get_state(const NodeFS *fs, const char *name, UnitFileState *ret, char **ret_error) {
        _cleanup_(unit_file_freep) UnitFile *u = NULL;
        int r;

        r = unit_file_find(fs, name, &u, ret_error);
        if (r < 0)
                return r;
        if (u->masked)
                *ret = u->runtime ? UNIT_FILE_MASKED_RUNTIME : UNIT_FILE_MASKED;
        else if (u->alias)
                *ret = UNIT_FILE_ALIAS;
        else if ((r = links_state(fs, u, true, ret)) != 0)
                return r < 0 ? r : 0;
        else if ((r = links_state(fs, u, false, ret)) != 0) {
                if (r < 0)
                        return r;
                *ret = UNIT_FILE_INDIRECT;
        } else if (u->install.wanted_by || u->install.required_by || u->install.aliases)
                *ret = UNIT_FILE_DISABLED;
        else
                *ret = u->install.also ? UNIT_FILE_INDIRECT : UNIT_FILE_STATIC;
        return 0;
}

void unit_links_done(UnitLinks *l) {
        for (size_t i = 0; i < l->n_items; i++) {
                free(l->items[i].path);
                free(l->items[i].target);
        }
        free(l->items);
        *l = (UnitLinks) {};
}

static bool links_has(const UnitLinks *l, const char *path) {
        for (size_t i = 0; i < l->n_items; i++)
                if (streq(l->items[i].path, path))
                        return true;
        return false;
}

static int links_add(UnitLinks *l, const char *path, const char *target) {
        UnitLink *items = realloc(l->items, (l->n_items + 1) * sizeof(UnitLink));
        if (!items)
                return -ENOMEM;
        l->items = items;
        UnitLink *n = &items[l->n_items];
        *n = (UnitLink) { .path = strdup(path), .target = target ? strdup(target) : NULL };
        if (!n->path || (target && !n->target)) {
                free(n->path);
                free(n->target);
                return -ENOMEM;
        }
        l->n_items++;
        return 0;
}

/* create_symlink(): a link that already points to the same file is left alone; another symlink is
 * replaced only with force; anything else is in the way. */
static int want_link(const NodeFS *fs, UnitLinks *l, const char *path, const char *target, bool force,
                     char **ret_error) {
        _cleanup_free_ char *have = NULL;
        const NodeFile *f, *a, *b;
        int r;

        if (links_has(l, path))
                return 0;
        r = unit_fs_read(fs, path, false, &f);
        if (r < 0)
                return r;
        if (f->kind == FILE_ABSENT)
                return links_add(l, path, target);
        if (f->kind != FILE_SYMLINK)
                return fail(ret_error, -EEXIST, "%s already exists", path);
        if (streq(f->data, target))
                return 0;
        have = strdup(f->data);
        if (!have)
                return -ENOMEM;
        r = unit_fs_read(fs, path, true, &a);
        if (r < 0)
                return r;
        _cleanup_free_ char *resolved = a->kind != FILE_ABSENT ? strdup(a->path) : NULL;
        r = unit_fs_read(fs, target, true, &b);
        if (r < 0)
                return r;
        if (resolved && b->kind != FILE_ABSENT && streq(resolved, b->path))
                return 0;
        if (!force)
                return fail(ret_error, -EEXIST, "%s already exists and is a symlink to %s", path, have);
        return links_add(l, path, target);
}

static int plan_install_links(const NodeFS *fs, const UnitFile *u, UnitLinks *l, char **ret_error) {
        _cleanup_free_ char *default_name = NULL;
        const char *link_name = u->name;
        int kind = unit_name_kind(u->name), r;

        STRV_FOREACH(a, u->install.aliases) {
                _cleanup_free_ char *dst = NULL, *prefix = NULL, *instance = NULL, *path = NULL;
                r = unit_install_printf(u->name, u->install.default_instance, *a, &dst);
                if (r < 0)
                        return fail(ret_error, r, "%s: cannot resolve Alias=%s", u->path, *a);
                /* Invalid aliases are skipped with a warning by systemctl; "x.wants/y" ones too here. */
                int dst_kind = unit_name_kind(dst);
                if (dst_kind < 0 || !streq(unit_suffix(dst), unit_suffix(u->name)))
                        continue;
                if (dst_kind == UNIT_NAME_TEMPLATE && kind == UNIT_NAME_INSTANCE) {
                        char *inst;
                        if (unit_name_split(u->name, &prefix, &instance) < 0 ||
                            unit_name_replace_instance(dst, instance, &inst) < 0)
                                return -ENOMEM;
                        free(dst);
                        dst = inst;
                        dst_kind = UNIT_NAME_INSTANCE;
                }
                if (dst_kind != kind)
                        continue;
                path = unit_path_join(UNIT_CONFIG_DIR, dst);
                if (!path)
                        return -ENOMEM;
                r = want_link(fs, l, path, u->path, false, ret_error);
                if (r < 0)
                        return r;
        }

        if (!u->install.wanted_by && !u->install.required_by)
                return 0;
        if (kind == UNIT_NAME_TEMPLATE) {
                _cleanup_(unit_file_freep) UnitFile *instance = NULL;
                if (!u->install.default_instance)
                        return fail(ret_error, -EIDRM,
                                    "%s is a template without DefaultInstance=: name an instance (%.*s@NAME%s)",
                                    u->name, (int) (strchr(u->name, '@') - u->name), u->name, unit_suffix(u->name));
                r = unit_name_replace_instance(u->name, u->install.default_instance, &default_name);
                if (r < 0)
                        return r;
                r = unit_file_find(fs, default_name, &instance, ret_error);
                if (r < 0)
                        return r;
                if (instance->masked)
                        return fail(ret_error, -ERFKILL, "Unit %s is masked", default_name);
                link_name = default_name;
        }

        for (int k = 0; k < 2; k++)
                STRV_FOREACH(t, k == 0 ? u->install.wanted_by : u->install.required_by) {
                        _cleanup_free_ char *dst = NULL, *path = NULL;
                        r = unit_install_printf(u->name, u->install.default_instance, *t, &dst);
                        if (r < 0)
                                return fail(ret_error, r, "%s: cannot resolve %s=%s", u->path,
                                            k == 0 ? "WantedBy" : "RequiredBy", *t);
                        if (!unit_name_is_valid(dst))
                                return fail(ret_error, -EUCLEAN, "%s: \"%s\" is not a valid unit name", u->path, dst);
                        if (asprintf(&path, "%s/%s.%s/%s", UNIT_CONFIG_DIR, dst, k == 0 ? "wants" : "requires",
                                     link_name) < 0)
                                return -ENOMEM;
                        r = want_link(fs, l, path, u->path, true, ret_error);
                        if (r < 0)
                                return r;
                }
        return 0;
}

int unit_plan_enable(const NodeFS *fs, const char *name, UnitLinks *ret, char **ret_error) {
        _cleanup_strv_free_ char **queue = NULL, **done = NULL;
        _cleanup_(unit_links_done) UnitLinks links = {};
        int r;

        r = strv_extend(&queue, name);
        if (r < 0)
                return r;
        for (size_t i = 0; queue[i]; i++) {
                _cleanup_(unit_file_freep) UnitFile *u = NULL;
                _cleanup_free_ char *error = NULL;

                r = unit_file_find(fs, queue[i], &u, &error);
                if (r < 0) {
                        if (i > 0 && r != -ENOMEM)
                                continue;   /* systemctl ignores Also= units it cannot enable */
                        (void) error_line_set(ret_error, "%s", error ?: "unit lookup failed");
                        return r;
                }
                if (u->masked) {
                        if (i > 0)
                                continue;
                        return fail(ret_error, -ERFKILL, "Unit %s is masked", name);
                }
                if (strv_contains(done, u->name))
                        continue;
                r = strv_extend(&done, u->name);
                if (r < 0)
                        return r;
                STRV_FOREACH(a, u->install.also)
                        if (strv_extend_unique(&queue, *a) < 0)
                                return -ENOMEM;
                r = plan_install_links(fs, u, &links, ret_error);
                if (r < 0)
                        return r;
        }
        *ret = links;
        links = (UnitLinks) {};
        return 0;
}

/* remove_marked_symlinks(): every symlink under /etc/systemd/system (a valid unit name) whose
 * name, target or target's name is marked goes, and then the links to what went. */
static int remove_marked_in(const NodeFS *fs, const char *dir, unsigned depth, char ***marks, UnitLinks *l,
                            bool *changed) {
        _cleanup_strv_free_ char **names = NULL;
        int r = unit_fs_list(fs, dir, "*", &names);
        if (r < 0)
                return r;
        STRV_FOREACH(n, names) {
                _cleanup_free_ char *path = unit_path_join(dir, *n), *dest = NULL;
                const NodeFile *f;
                if (!path)
                        return -ENOMEM;
                r = unit_fs_read(fs, path, false, &f);
                if (r < 0)
                        return r;
                if (f->kind == FILE_DIRECTORY && depth < 4) {
                        r = remove_marked_in(fs, path, depth + 1, marks, l, changed);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (f->kind != FILE_SYMLINK || !unit_name_is_valid(*n) || links_has(l, path))
                        continue;
                dest = unit_link_target_abs(dir, f->data);
                if (!dest)
                        return -ENOMEM;
                if (!strv_contains(*marks, dest) && !strv_contains(*marks, unit_path_base(dest)) && !strv_contains(*marks, *n))
                        continue;
                if (links_add(l, path, NULL) < 0 || strv_extend_unique(marks, path) < 0)
                        return -ENOMEM;
                *changed = true;
        }
        return 0;
}

static int remove_marked(const NodeFS *fs, char ***marks, UnitLinks *l) {
        bool changed;
        do {
                changed = false;
                int r = remove_marked_in(fs, UNIT_CONFIG_DIR, 0, marks, l, &changed);
                if (r < 0)
                        return r;
        } while (changed);
        return 0;
}

int unit_plan_disable(const NodeFS *fs, const char *name, UnitLinks *ret, char **ret_error) {
        _cleanup_strv_free_ char **queue = NULL, **marks = NULL;
        _cleanup_(unit_links_done) UnitLinks links = {};
        int r;

        if (!unit_name_is_valid(name))
                return fail(ret_error, -EINVAL, "\"%s\" is not a valid unit name", name);
        r = strv_extend(&queue, name);
        if (r < 0)
                return r;
        for (size_t i = 0; queue[i]; i++) {
                _cleanup_(unit_file_freep) UnitFile *u = NULL;
                _cleanup_free_ char *error = NULL;

                r = unit_file_find(fs, queue[i], &u, &error);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        /* A missing unit's name is still cleaned out, as systemctl does. */
                        if (strv_extend_unique(&marks, queue[i]) < 0)
                                return -ENOMEM;
                        continue;
                }
                if (u->masked)
                        continue;
                if (strv_extend_unique(&marks, u->name) < 0)
                        return -ENOMEM;
                STRV_FOREACH(a, u->install.also)
                        if (strv_extend_unique(&queue, *a) < 0)
                                return -ENOMEM;
        }
        r = remove_marked(fs, &marks, &links);
        if (r < 0)
                return r;
        *ret = links;
        links = (UnitLinks) {};
        return 0;
}

int unit_plan_mask(const NodeFS *fs, const char *name, UnitLinks *ret, char **ret_error) {
        _cleanup_(unit_links_done) UnitLinks links = {};
        _cleanup_free_ char *path = NULL;
        int r;

        if (!unit_name_is_valid(name))
                return fail(ret_error, -EINVAL, "\"%s\" is not a valid unit name", name);
        path = unit_path_join(UNIT_CONFIG_DIR, name);
        if (!path)
                return -ENOMEM;
        r = want_link(fs, &links, path, "/dev/null", false, ret_error);
        if (r < 0)
                return r;
        *ret = links;
        links = (UnitLinks) {};
        return 0;
}

int unit_plan_unmask(const NodeFS *fs, const char *name, UnitLinks *ret, char **ret_error) {
        _cleanup_(unit_links_done) UnitLinks links = {};
        _cleanup_strv_free_ char **marks = NULL;
        _cleanup_free_ char *path = NULL;
        const NodeFile *f, *resolved;
        int r;

        if (!unit_name_is_valid(name))
                return fail(ret_error, -EINVAL, "\"%s\" is not a valid unit name", name);
        path = unit_path_join(UNIT_CONFIG_DIR, name);
        if (!path)
                return -ENOMEM;
        r = unit_fs_read(fs, path, false, &f);
        if (r < 0)
                return r;
        bool masked = f->kind == FILE_REGULAR && f->size == 0;
        if (f->kind == FILE_SYMLINK) {
                masked = streq(f->data, "/dev/null");
                r = unit_fs_read(fs, path, true, &resolved);
                if (r < 0)
                        return r;
                masked = masked || streq_ptr(resolved->path, "/dev/null") ||
                         (resolved->kind == FILE_REGULAR && resolved->size == 0);
        }
        if (masked) {
                if (links_add(&links, path, NULL) < 0 || strv_extend(&marks, path) < 0)
                        return -ENOMEM;
                r = remove_marked(fs, &marks, &links);
                if (r < 0)
                        return r;
        }
        *ret = links;
        links = (UnitLinks) {};
        return 0;
}
