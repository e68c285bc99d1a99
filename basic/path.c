/* SPDX-License-Identifier: MIT */
/* Node paths as strings: absolute, normalised, no "." or ".." (see fileio.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/fileio.h"

int path_normalize(const char *path, char **ret) {
        if (!path || path[0] != '/')
                return -EINVAL;

        size_t n = strlen(path);
        _cleanup_free_ char *out = malloc(n + 1);
        if (!out)
                return -ENOMEM;

        size_t o = 0;
        const char *p = path;
        while (*p) {
                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                const char *e = strchrnul(p, '/');
                size_t len = (size_t) (e - p);
                if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
                        return -EINVAL;
                out[o++] = '/';
                memcpy(out + o, p, len);
                o += len;
                p = e;
        }
        if (o == 0)
                out[o++] = '/';
        out[o] = 0;
        *ret = TAKE_PTR(out);
        return 0;
}

char *path_dirname(const char *path) {
        const char *slash = strrchr(path, '/');
        if (!slash || slash == path)
                return strdup("/");
        return strndup(path, (size_t) (slash - path));
}

const char *path_basename(const char *path) {
        const char *slash = strrchr(path, '/');
        return slash ? slash + 1 : path;
}

char *path_join(const char *a, const char *b) {
        char *r;
        size_t la = strlen(a);
        while (*b == '/')
                b++;
        if (asprintf(&r, "%s%s%s", a, la > 0 && a[la - 1] == '/' ? "" : "/", b) < 0)
                return NULL;
        return r;
}
