/* SPDX-License-Identifier: MIT */
/*
 * The unit search path and the path helpers every reader of it shares (unit-file.c's lookup,
 * unit-dropin.c's drop-in directories, unit-install.c's links), so that each compares paths by
 * the same rules systemd uses.
 */
#include "remedy/unit-file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/strv.h"
#include "unit-internal.h"

/* Debian 12's systemd is built with split-usr: /lib/systemd/system comes before /usr/lib. */
const char * const unit_search_path[] = {
        UNIT_CONFIG_DIR,
        UNIT_RUNTIME_DIR,
        "/usr/local/lib/systemd/system",
        "/lib/systemd/system",
        "/usr/lib/systemd/system",
        NULL,
};

bool path_is_unit_config(const char *path) {
        for (const char * const *d = unit_search_path; *d; d++) {
                const char *rest = startswith(path, *d);
                if (rest && rest[0] == '/' && rest[1])
                        return true;
        }
        return false;
}

char *unit_path_join(const char *a, const char *b) {
        char *s;
        return asprintf(&s, "%s/%s", streq(a, "/") ? "" : a, b) < 0 ? NULL : s;
}

char *unit_link_target_abs(const char *dir, const char *target) {
        _cleanup_free_ char *joined = target[0] == '/' ? strdup(target) : unit_path_join(dir, target);
        if (!joined)
                return NULL;
        char *out = malloc(strlen(joined) + 2);
        if (!out)
                return NULL;
        size_t n = 0;
        for (char *save = NULL, *c = strtok_r(joined, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                if (streq(c, "."))
                        continue;
                if (streq(c, "..")) {
                        while (n > 0 && out[--n] != '/')
                                ;
                        continue;
                }
                n += sprintf(out + n, "/%s", c);
        }
        if (n == 0)
                out[n++] = '/';
        out[n] = 0;
        return out;
}

int unit_fs_list(const NodeFS *fs, const char *dir, const char *pattern, char ***ret_names) {
        _cleanup_strv_free_ char **paths = NULL, **names = NULL;
        _cleanup_free_ char *glob = unit_path_join(dir, pattern);
        int r;

        if (!glob)
                return -ENOMEM;
        r = fs->glob(fs->userdata, glob, &paths);
        if (r < 0 && r != -ENOENT && r != -ENOTDIR)
                return r;
        STRV_FOREACH(p, paths) {
                r = strv_extend(&names, unit_path_base(*p));
                if (r < 0)
                        return r;
        }
        *ret_names = TAKE_PTR(names);
        return 0;
}
