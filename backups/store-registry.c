/* SPDX-License-Identifier: MIT */
/*
 * The stores a node's transactions live in. Each apply with a --backup-dir other than the node's
 * default store records that store's host path in ROOT/var/lib/remedy/stores, so that the next
 * run, whichever store it is given, still finds a transaction left unresolved in another one and
 * refuses to change a half-changed node.
 */
#include "remedy/backup.h"

#include "remedy/fileio.h"
#include "remedy/strv.h"

#define STORE_REGISTRY_MAX (64U * 1024U)

int store_registry_list(Root *root, char ***ret) {
        _cleanup_free_ char *data = NULL;
        _cleanup_strv_free_ char **l = NULL;
        size_t size;
        int r;

        if (!root || !ret)
                return -EINVAL;
        r = root_read_file(root, STORE_REGISTRY_PATH, STORE_REGISTRY_MAX, &data, &size);
        if (r == -ENOENT) {
                *ret = NULL;
                return 0;
        }
        if (r < 0)
                return r;
        for (char *line = data, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                /* Only what this file's writer writes: absolute, normalised host paths. */
                _cleanup_free_ char *normal = NULL;
                if (line[0] != '/' || path_normalize(line, &normal) < 0 || !streq(normal, line))
                        continue;
                if ((r = strv_extend_unique(&l, line)) < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int store_registry_add(Root *root, const char *store_path) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *text = NULL;
        size_t n = 0;
        int r;

        if (!root || !store_path || store_path[0] != '/' || strchr(store_path, '\n'))
                return -EINVAL;
        r = store_registry_list(root, &l);
        if (r < 0)
                return r;
        if (strv_contains(l, store_path))
                return 0;
        if ((r = strv_extend(&l, store_path)) < 0)
                return r;

        STRV_FOREACH(s, l)
                n += strlen(*s) + 1;
        text = malloc(n + 1);
        if (!text)
                return -ENOMEM;
        text[0] = 0;
        STRV_FOREACH(s, l) {
                strcat(text, *s);
                strcat(text, "\n");
        }
        WriteOptions o = { 0600, 0, 0 };
        r = root_write_file_atomic(root, STORE_REGISTRY_PATH, text, strlen(text), &o);
        return r < 0 ? r : 1;
}

int node_find_unresolved(Root *root, BackupStore *current, Manifest **ret, char **ret_store, char **ret_error) {
        _cleanup_strv_free_ char **stores = NULL;
        int r;

        if (!root || !current || !ret || !ret_store)
                return -EINVAL;
        *ret = NULL;
        *ret_store = NULL;
        if (ret_error)
                *ret_error = NULL;

        r = backup_store_find_unresolved_for(current, root->path, ret, ret_error);
        if (r != 0)
                return r;
        r = store_registry_list(root, &stores);
        if (r < 0)
                return r;
        STRV_FOREACH(path, stores) {
                _cleanup_(backup_store_freep) BackupStore *s = NULL;

                if (streq(*path, backup_store_path(current)))
                        continue;
                /* A store since deleted, or no longer safe to read, holds nothing we can act on. */
                if (backup_store_open(*path, false, &s) < 0)
                        continue;
                r = backup_store_find_unresolved_for(s, root->path, ret, ret_error);
                if (r < 0)
                        return r;
                if (r > 0) {
                        *ret_store = strdup(*path);
                        return *ret_store ? 1 : -ENOMEM;
                }
        }
        return 0;
}
