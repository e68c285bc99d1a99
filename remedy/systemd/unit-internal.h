/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What the readers of unit files (unit-file.c's lookup, unit-dropin.c, unit-install.c's links,
 * unit-name.c) share beyond include/remedy/unit-file.h: name and path helpers, defined in
 * unit-name.c and unit-path.c, so that every reader compares names and paths by the same rules.
 */

#include <stdbool.h>
#include <string.h>

#include "remedy/error-line.h"
#include "remedy/macro.h"
#include "remedy/unit-file.h"

#define UNIT_NAME_CHARS "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:-_.\\"

static inline bool in_set(const char *s, const char * const *set) {
        for (; *set; set++)
                if (streq(s, *set))
                        return true;
        return false;
}

/* The first n bytes of s are all in chars (and none is NUL). */
static inline bool in_charset(const char *s, size_t n, const char *chars) {
        for (size_t i = 0; i < n; i++)
                if (!s[i] || !strchr(chars, s[i]))
                        return false;
        return true;
}

/* ".service" of foo@bar.service, or NULL. */
static inline const char *unit_suffix(const char *name) {
        return strrchr(name, '.');
}

/* The prefix ("foo" of foo@bar.service) and instance ("bar", or "" when there is none). */
int unit_name_split(const char *name, char **ret_prefix, char **ret_instance);

/* "a/b", with a == "/" giving "/b"; NULL when out of memory. */
char *unit_path_join(const char *a, const char *b);

/* The last component of path (path itself when it has no '/'). */
static inline const char *unit_path_base(const char *path) {
        const char *s = strrchr(path, '/');
        return s ? s + 1 : path;
}

/* A symlink's target made absolute against the directory holding it, "." and ".." folded
 * lexically (symlinks in it are left alone, as systemd compares names). */
char *unit_link_target_abs(const char *dir, const char *target);

static inline int unit_fs_read(const NodeFS *fs, const char *path, bool follow, const NodeFile **ret) {
        return fs->read(fs->userdata, path, follow, ret);
}

/* Names in dir matching pattern (in the last component); none when dir is missing. */
int unit_fs_list(const NodeFS *fs, const char *dir, const char *pattern, char ***ret_names);
