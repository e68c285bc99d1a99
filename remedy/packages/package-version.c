/* SPDX-License-Identifier: MIT */
/* Installed package versions from the node's package database: see package-version.h. */
#include "remedy/package-version.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/macro.h"
#include "remedy/strv.h"

/* The installed version of each package named in names, from dpkg's status file: one paragraph
 * a package, "Status: install ok installed" marking what is installed. */
static int dpkg_version(const NodeFile *f, const char * const *names, char **ret) {
        const char *p = f->data, *end = f->data + f->size;
        _cleanup_free_ char *package = NULL, *version = NULL;
        _cleanup_strv_free_ char **found = NULL;   /* "name\tversion" of each installed one */
        bool installed = false;

        for (;;) {
                const char *nl = p < end ? memchr(p, '\n', (size_t) (end - p)) : NULL;
                const char *eol = nl ? nl : end;
                size_t len = (size_t) (eol - p);

                if (len == 0 || p >= end) {   /* end of a paragraph */
                        if (package && version && installed) {
                                char *entry = NULL;
                                if (asprintf(&entry, "%s\t%s", package, version) < 0 || strv_consume(&found, entry) < 0)
                                        return -ENOMEM;
                        }
                        installed = false;
                        package = mfree(package);
                        version = mfree(version);
                } else if (len > 9 && strncmp(p, "Package: ", 9) == 0) {
                        free(package);
                        if (!(package = strndup(p + 9, len - 9)))
                                return -ENOMEM;
                } else if (len > 8 && strncmp(p, "Status: ", 8) == 0)
                        installed = len >= 18 && strncmp(eol - 10, " installed", 10) == 0;
                else if (len > 9 && strncmp(p, "Version: ", 9) == 0) {
                        free(version);
                        if (!(version = strndup(p + 9, len - 9)))
                                return -ENOMEM;
                }
                if (!nl)
                        break;
                p = nl + 1;
        }

        for (const char * const *n = names; *n; n++) {
                size_t len = strlen(*n);
                STRV_FOREACH(e, found)
                        if (strncmp(*e, *n, len) == 0 && (*e)[len] == '\t')
                                return (*ret = strdup(*e + len + 1)) ? 1 : -ENOMEM;
        }
        return 0;
}

int package_version(const NodeFS *fs, const char * const *names, char **ret_version, char **ret_source) {
        const NodeFile *f;
        int r;

        *ret_version = NULL;
        if (ret_source)
                *ret_source = NULL;
        r = fs->read(fs->userdata, DPKG_STATUS, true, &f);
        if (r < 0)
                return r;
        if (f->kind != FILE_REGULAR)
                return 0;
        r = dpkg_version(f, names, ret_version);
        if (r > 0 && ret_source && !(*ret_source = strdup(DPKG_STATUS))) {
                *ret_version = mfree(*ret_version);
                return -ENOMEM;
        }
        return r;
}

int package_version_minor(const char *version, unsigned *ret_major, unsigned *ret_minor) {
        const char *colon = strchr(version, ':');
        const char *p = colon ? colon + 1 : version;
        char *end;

        if (*p < '0' || *p > '9')
                return -EINVAL;
        unsigned long major = strtoul(p, &end, 10);
        if (*end != '.' || end[1] < '0' || end[1] > '9')
                return -EINVAL;
        unsigned long minor = strtoul(end + 1, &end, 10);
        if (major > 1000 || minor > 1000)
                return -EINVAL;
        *ret_major = (unsigned) major;
        *ret_minor = (unsigned) minor;
        return 0;
}
