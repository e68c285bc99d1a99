/* SPDX-License-Identifier: MIT */
#include "remedy/unit-restore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/kernel-config.h"

static int visit(UnitRestoreVisitor visitor, void *userdata, const char *what, const char *action, const char *before,
                 const char *now) {
        if (!visitor)
                return 0;
        UnitRestoreItem item = { what, action, before, now };
        return visitor(&item, userdata);
}

static int restore_sysctl(const ManifestKernel *k, bool dry_run, UnitRestoreVisitor visitor, void *userdata,
                          char **ret_error) {
        _cleanup_free_ char *key = NULL, *what = NULL, *now = NULL;
        int r;

        if ((r = sysctl_name_normalize(k->name, &key)) < 0) {
                (void) asprintf(ret_error, "sysctl \"%s\": not a sysctl name", k->name);
                return r;
        }
        if (asprintf(&what, "sysctl %s", key) < 0)
                return -ENOMEM;
        r = sysctl_live_read(key, &now);
        if (r == -ENOENT || !*k->before) {
                /* It did not exist before (its module was not loaded) or does not now: the
                 * module's own record takes it away, there is nothing to write. */
                return visit(visitor, userdata, what, "unchanged", k->before, now ? now : "");
        }
        if (r < 0) {
                (void) asprintf(ret_error, "%s: %s", what, strerror(-r));
                return r;
        }
        if (sysctl_value_satisfies(now, k->before, false))
                return visit(visitor, userdata, what, "unchanged", k->before, now);
        if ((r = visit(visitor, userdata, what, "set", k->before, now)) < 0 || dry_run)
                return r;
        if ((r = sysctl_live_write(key, k->before)) < 0) {
                (void) asprintf(ret_error, "%s: writing \"%s\" back: %s", what, k->before, strerror(-r));
                return r;
        }
        return 0;
}

static int restore_module(const ManifestKernel *k, bool dry_run, UnitRestoreVisitor visitor, void *userdata,
                          char **ret_error) {
        _cleanup_free_ char *name = NULL, *what = NULL;
        int r;

        if ((r = kernel_module_name_normalize(k->name, &name)) < 0) {
                (void) asprintf(ret_error, "module \"%s\": not a module name", k->name);
                return r;
        }
        if (asprintf(&what, "module %s", name) < 0)
                return -ENOMEM;
        bool loaded = kernel_module_loaded(name);
        const char *now = loaded ? "loaded" : "absent";
        /* A module that was loaded before stays; remedy never unloads what it did not load. */
        if (!streq(k->before, "absent") || !loaded)
                return visit(visitor, userdata, what, "unchanged", k->before, now);
        if ((r = visit(visitor, userdata, what, "unload", k->before, now)) < 0 || dry_run)
                return r;
        if ((r = kernel_module_unload(name)) < 0) {
                (void) asprintf(ret_error, "%s: cannot unload it (%s); it stays loaded", what,
                                r == -EAGAIN || r == -EWOULDBLOCK || r == -EBUSY ? "in use" : strerror(-r));
                return r == -EAGAIN || r == -EWOULDBLOCK ? -EBUSY : r;
        }
        return 0;
}

int kernel_restore(const Manifest *m, bool dry_run, UnitRestoreVisitor visitor, void *userdata, char **ret_error) {
        int result = 0;

        *ret_error = NULL;
        for (size_t i = m->n_kernel; i-- > 0;) {
                const ManifestKernel *k = &m->kernel[i];
                _cleanup_free_ char *error = NULL;
                int r = streq(k->kind, "sysctl") ? restore_sysctl(k, dry_run, visitor, userdata, &error)
                                                 : restore_module(k, dry_run, visitor, userdata, &error);
                if (r == -ENOMEM)
                        return r;
                if (r < 0 && result == 0) {
                        /* The first failure is reported; the other settings are still restored. */
                        result = r;
                        *ret_error = TAKE_PTR(error);
                }
        }
        return result;
}
