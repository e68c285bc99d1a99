/* SPDX-License-Identifier: MIT */
/*
 * Which drop-ins systemd 252 reads for a unit. systemd itself has two rule sets, and each reader
 * here must use the one of the program it stands in for:
 *
 *   the manager (src/shared/dropin.c unit_file_find_dropin_paths(), also what `systemd-analyze
 *   verify` loads): for every name of the unit and every search directory NAME.d/, the
 *   template's directories, then the dash-prefix ones ("foo-bar-baz.service" -> "foo-bar-.service"
 *   -> "foo-.service"); after all of those, the type-level "service.d/" in every search directory.
 *
 *   systemctl's install logic (src/shared/install.c unit_file_search(), for [Install] and so for
 *   enable and is-enabled): NAME.d/ in every search directory, then TEMPLATE.d/ in every one.
 *   No dash prefixes, no service.d/: an [Install] section there is not seen by systemctl.
 *
 * Both then list the files as conf_files_list_strv() does: entries named "*.conf" that are not
 * hidden, sorted by file name, a name present in several directories taken from the first directory
 * in the order above (so /etc/foo.service.d/x.conf masks /lib/foo.service.d/x.conf, and for the manager also
 * /lib/foo.service.d/x.conf masks /etc/service.d/x.conf).
 */
#include "remedy/unit-file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/strv.h"
#include "unit-internal.h"

static int add_dir(char ***dirs, const char *search_dir, const char *name) {
        char *d;
        if (asprintf(&d, "%s/%s.d", search_dir, name) < 0)
                return -ENOMEM;
        return strv_consume(dirs, d);
}

/*
 * unit_file_find_dirs(): each step is more generic than the one before, so it is listed later and
 * its files lose to same-named files of the more specific directories.
 */
static int add_manager_dirs(char ***dirs, const char *search_dir, const char *name) {
        _cleanup_free_ char *template = NULL, *prefix = NULL, *instance = NULL, *shorter = NULL;
        int r;

        r = add_dir(dirs, search_dir, name);
        if (r < 0)
                return r;
        if (unit_name_kind(name) == UNIT_NAME_INSTANCE) {
                r = unit_name_template(name, &template);
                if (r < 0)
                        return r;
                r = add_manager_dirs(dirs, search_dir, template);
                if (r < 0)
                        return r;
        }

        r = unit_name_split(name, &prefix, &instance);
        if (r < 0)
                return r;
        /* A trailing dash is dropped once, so that "foo-bar-" goes on to "foo-" rather than to itself. */
        size_t n = strlen(prefix);
        if (n > 0 && prefix[n - 1] == '-')
                prefix[--n] = 0;
        char *dash = strrchr(prefix, '-');
        if (!dash || dash == prefix)
                return 0;   /* no dash, or only a leading one: nothing more generic */
        dash[1] = 0;
        /* A template's prefix unit is plain ("foo-bar@.service" -> "foo-.service"), as systemd builds it. */
        if (asprintf(&shorter, "%s%s%s%s", prefix, *instance ? "@" : "", instance, unit_suffix(name)) < 0)
                return -ENOMEM;
        return add_manager_dirs(dirs, search_dir, shorter);
}

static int dropin_dirs(char * const *names, UnitDropinRules rules, char ***ret) {
        _cleanup_strv_free_ char **dirs = NULL;
        int r;

        STRV_FOREACH(name, names) {
                _cleanup_free_ char *template = NULL;

                if (unit_name_kind(*name) < 0)
                        return -EINVAL;
                if (rules == UNIT_DROPINS_MANAGER) {
                        for (const char * const *d = unit_search_path; *d; d++) {
                                r = add_manager_dirs(&dirs, *d, *name);
                                if (r < 0)
                                        return r;
                        }
                        continue;
                }
                for (const char * const *d = unit_search_path; *d; d++) {
                        r = add_dir(&dirs, *d, *name);
                        if (r < 0)
                                return r;
                }
                if (unit_name_kind(*name) != UNIT_NAME_INSTANCE)
                        continue;
                r = unit_name_template(*name, &template);
                if (r < 0)
                        return r;
                for (const char * const *d = unit_search_path; *d; d++) {
                        r = add_dir(&dirs, *d, template);
                        if (r < 0)
                                return r;
                }
        }

        /* The type-level directory comes last of all: the most generic, overridden by every other. */
        if (rules == UNIT_DROPINS_MANAGER && names && names[0])
                for (const char * const *d = unit_search_path; *d; d++) {
                        r = add_dir(&dirs, *d, unit_suffix(names[0]) + 1);
                        if (r < 0)
                                return r;
                }

        *ret = TAKE_PTR(dirs);
        return 0;
}

static int compare_file_names(const void *a, const void *b) {
        return strcmp(unit_path_base(*(char * const *) a), unit_path_base(*(char * const *) b));
}

int unit_dropin_files(const NodeFS *fs, char * const *names, UnitDropinRules rules, char ***ret_files) {
        _cleanup_strv_free_ char **dirs = NULL, **files = NULL, **seen = NULL;
        int r;

        if (rules != UNIT_DROPINS_MANAGER && rules != UNIT_DROPINS_INSTALL)
                return -EINVAL;
        r = dropin_dirs(names, rules, &dirs);
        if (r < 0)
                return r;

        STRV_FOREACH(d, dirs) {
                _cleanup_strv_free_ char **found = NULL;
                _cleanup_free_ char *pattern = NULL;

                if (asprintf(&pattern, "%s/*.conf", *d) < 0)
                        return -ENOMEM;
                /* The pattern skips hidden files, as conf_files_list() does. */
                r = fs->glob(fs->userdata, pattern, &found);
                if (r < 0 && r != -ENOENT && r != -ENOTDIR)
                        return r;
                /* Whatever the entry is (conf_files_list_strv() is called without
                 * CONF_FILES_REGULAR), it takes the name: a directory or a link to /dev/null named
                 * x.conf masks the x.conf of the directories after it. */
                STRV_FOREACH(f, found) {
                        const char *base = unit_path_base(*f);

                        if (strv_contains(seen, base))
                                continue;
                        r = strv_extend(&seen, base);
                        if (r < 0)
                                return r;
                        r = strv_extend(&files, *f);
                        if (r < 0)
                                return r;
                }
        }

        size_t n = strv_length(files);
        if (n > 1)
                qsort(files, n, sizeof(char *), compare_file_names);
        *ret_files = TAKE_PTR(files);
        return 0;
}
