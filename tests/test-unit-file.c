/* SPDX-License-Identifier: MIT */
/*
 * unit-file.c against the judge: real `systemctl --root` (systemd 252). Each case builds a node
 * root from tests/fixtures/units/, lets systemctl act on one copy and applies our planned links
 * (symlink()/unlink()) to another, then compares the symlinks under /etc/systemd/system and asks
 * `systemctl is-enabled` about the result.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "remedy/context.h"
#include "remedy/fileio.h"
#include "remedy/kubelet-cmdline.h"
#include "remedy/playbook.h"
#include "remedy/strv.h"
#include "remedy/unit-file.h"
#include "tap.h"
#include "test-util.h"

/* ---- a UnitFS over a plain directory, resolving symlinks inside it ---- */

typedef struct DiskFS {
        char *root;
        NodeFile **files;   /* handed out, kept until disk_fs_done() */
        size_t n_files;
} DiskFS;

/* Canonical node path of path inside root (missing tails kept as they are). */
static char *disk_canonicalize(const char *root, const char *path, bool follow) {
        char *done = strdup(""), *todo = strdup(path);
        unsigned links = 0;
        while (*todo) {
                char *p = todo + strspn(todo, "/");
                size_t n = strcspn(p, "/");
                char *comp = strndup(p, n), *rest = strdup(p + n);
                free(todo);
                todo = rest;
                bool last = todo[strspn(todo, "/")] == 0;
                if (n == 0 || streq(comp, ".")) {
                        free(comp);
                        continue;
                }
                if (streq(comp, "..")) {
                        char *s = strrchr(done, '/');
                        if (s)
                                *s = 0;
                        free(comp);
                        continue;
                }
                char *next = xasprintf("%s/%s", done, comp), *host = xasprintf("%s%s", root, next);
                char target[PATH_MAX];
                ssize_t k = (!last || follow) ? readlink(host, target, sizeof target - 1) : -1;
                free(host);
                free(comp);
                if (k >= 0 && links++ < 40) {
                        target[k] = 0;
                        char *t = xasprintf("%s/%s", target, todo);
                        free(todo);
                        todo = t;
                        free(next);
                        if (target[0] == '/')
                                done[0] = 0;
                        continue;
                }
                free(done);
                done = next;
        }
        free(todo);
        if (!*done) {
                free(done);
                done = strdup("/");
        }
        return done;
}

static int disk_read(void *userdata, const char *path, bool follow, const NodeFile **ret) {
        DiskFS *fs = userdata;
        NodeFile *f = calloc(1, sizeof(NodeFile));
        struct stat st;

        f->path = disk_canonicalize(fs->root, path, follow);
        char *host = xasprintf("%s%s", fs->root, f->path);
        if (lstat(host, &st) < 0)
                f->kind = FILE_ABSENT;
        else if (S_ISLNK(st.st_mode)) {
                char target[PATH_MAX];
                ssize_t k = readlink(host, target, sizeof target - 1);
                target[k < 0 ? 0 : k] = 0;
                f->kind = FILE_SYMLINK;
                f->data = strdup(target);
                f->size = strlen(target);
        } else if (S_ISREG(st.st_mode)) {
                f->kind = FILE_REGULAR;
                f->data = read_file(host, &f->size);
        } else
                f->kind = S_ISDIR(st.st_mode) ? FILE_DIRECTORY : FILE_OTHER;
        free(host);
        fs->files = realloc(fs->files, (fs->n_files + 1) * sizeof(NodeFile *));
        fs->files[fs->n_files++] = f;
        *ret = f;
        return 0;
}

static int disk_glob(void *userdata, const char *pattern, char ***ret_paths) {
        DiskFS *fs = userdata;
        const char *slash = strrchr(pattern, '/');
        char *dir_node = strndup(pattern, slash - pattern);
        char *dir = disk_canonicalize(fs->root, *dir_node ? dir_node : "/", true);
        char *host = xasprintf("%s%s", fs->root, dir);
        char **paths = NULL;
        DIR *d = opendir(host);
        if (d) {
                for (struct dirent *de; (de = readdir(d));)
                        if (fnmatch(slash + 1, de->d_name, FNM_PERIOD) == 0)
                                (void) strv_consume(&paths, xasprintf("%s/%s", streq(dir, "/") ? "" : dir, de->d_name));
                closedir(d);
        }
        strv_sort(paths);
        free(dir_node);
        free(dir);
        free(host);
        *ret_paths = paths;
        return 0;
}

static void disk_fs_done(DiskFS *fs) {
        for (size_t i = 0; i < fs->n_files; i++) {
                free(fs->files[i]->path);
                free(fs->files[i]->data);
                free(fs->files[i]);
        }
        free(fs->files);
}

#define DISK_FS(fs_, root_) UnitFS fs_ = { disk_read, disk_glob, &(DiskFS) { .root = (char *) (root_) } }

/* ---- node roots and systemctl ---- */

static char *fixtures_dir(void) {
        const char *f = getenv("FIXTURES");
        return xasprintf("%s/units", f && *f ? f : "tests/fixtures");
}

static void run_ok(char * const *argv) {
        int r = run_capture(argv, NULL, NULL);
        if (r != 0) {
                fprintf(stderr, "%s failed: %d\n", argv[0], r);
                abort();
        }
}

/* A root with the fixture units in /lib/systemd/system (merged: /lib -> usr/lib). */
static char *make_root(const char *name, bool merged_usr) {
        char *root = make_temp_dir(name), *fixtures = fixtures_dir();
        char *units = xasprintf("%s/%s/systemd/system", root, merged_usr ? "usr/lib" : "lib");
        char *etc = xasprintf("%s/etc/systemd/system", root);
        run_ok((char *[]) { "mkdir", "-p", units, etc, NULL });
        if (merged_usr) {
                char *lib = xasprintf("%s/lib", root);
                if (symlink("usr/lib", lib) < 0)
                        abort();
                free(lib);
        }
        char *src = xasprintf("%s/.", fixtures);
        run_ok((char *[]) { "cp", "-a", src, units, NULL });
        free(src);
        free(fixtures);
        free(units);
        free(etc);
        return root;
}

static char *copy_root(const char *root, const char *name) {
        char *copy = make_temp_dir(name), *src = xasprintf("%s/.", root);
        run_ok((char *[]) { "cp", "-a", src, copy, NULL });
        free(src);
        return copy;
}

static char *systemctl(const char *root, const char *verb, const char *unit, int *ret_status) {
        char *opt = xasprintf("--root=%s", root), *out = NULL;
        int r = run_capture((char *[]) { (char *) "systemctl", opt, (char *) verb, (char *) unit, NULL }, &out, NULL);
        free(opt);
        if (ret_status)
                *ret_status = r;
        out[strcspn(out, "\n")] = 0;
        return out;
}

/* "path -> target" of every symlink under /etc/systemd/system, sorted, one per line. */
static void list_links_in(const char *root, const char *dir, char ***lines) {
        char *host = xasprintf("%s%s", root, dir);
        DIR *d = opendir(host);
        if (!d) {
                free(host);
                return;
        }
        for (struct dirent *de; (de = readdir(d));) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                char *p = xasprintf("%s/%s", dir, de->d_name), *hp = xasprintf("%s%s", root, p);
                struct stat st;
                char target[PATH_MAX];
                if (lstat(hp, &st) == 0 && S_ISDIR(st.st_mode))
                        list_links_in(root, p, lines);
                else if (S_ISLNK(st.st_mode)) {
                        ssize_t k = readlink(hp, target, sizeof target - 1);
                        target[k < 0 ? 0 : k] = 0;
                        (void) strv_consume(lines, xasprintf("%s -> %s", p, target));
                }
                free(p);
                free(hp);
        }
        closedir(d);
        free(host);
}

static char *links_listing(const char *root) {
        char **lines = NULL;
        size_t size = 0;
        char *s = NULL;
        list_links_in(root, UNIT_CONFIG_DIR, &lines);
        strv_sort(lines);
        FILE *f = open_memstream(&s, &size);
        STRV_FOREACH(l, lines)
                fprintf(f, "%s\n", *l);
        fclose(f);
        strv_free(lines);
        return s;
}

/* What the engine will do with the planned links, done by hand. */
static void apply_links(const char *root, const UnitLinks *l) {
        for (size_t i = 0; i < l->n_items; i++) {
                char *host = xasprintf("%s%s", root, l->items[i].path);
                (void) unlink(host);
                if (l->items[i].target) {
                        char *dir = strdup(host);
                        *strrchr(dir, '/') = 0;
                        run_ok((char *[]) { "mkdir", "-p", dir, NULL });
                        if (symlink(l->items[i].target, host) < 0)
                                abort();
                        free(dir);
                }
                free(host);
        }
}

typedef int (*PlanFn)(const UnitFS *fs, const char *name, UnitLinks *ret, char **ret_error);

/*
 * Runs `systemctl VERB UNIT` on a copy of root and our plan on another copy; both must leave the
 * same symlinks. Applies our plan to root itself too (the next step starts from there). Returns
 * the number of planned links.
 */
static size_t compare_with_systemctl(const char *root, const char *verb, PlanFn plan, const char *unit) {
        char *theirs = copy_root(root, "theirs");
        UnitLinks links = {};
        char *error = NULL;
        DISK_FS(fs, root);

        int status;
        free(systemctl(theirs, verb, unit, &status));
        int r = plan(&fs, unit, &links, &error);
        ok(r == 0, "%s %s: planned (%s)", verb, unit, error ?: "no error");
        is_int(status, 0, "%s %s: systemctl succeeds too", verb, unit);
        apply_links(root, &links);

        char *want = links_listing(theirs), *got = links_listing(root);
        is_str(got, want, "%s %s: same symlinks as systemctl %s", verb, unit, verb);

        size_t n = links.n_items;
        unit_links_done(&links);
        disk_fs_done(fs.userdata);
        free(error);
        free(want);
        free(got);
        rm_rf(theirs);
        free(theirs);
        return n;
}

static void check_state(const char *root, const char *unit, const char *want) {
        char *error = NULL, *judge = systemctl(root, "is-enabled", unit, NULL);
        UnitFileState state = _UNIT_FILE_STATE_MAX;
        DISK_FS(fs, root);

        int r = unit_file_get_state(&fs, unit, &state, &error);
        is_str(judge, want, "systemctl is-enabled %s", unit);
        ok(r == 0, "state of %s computed (%s)", unit, error ?: "no error");
        is_str(r == 0 ? unit_file_state_name(state) : error, judge, "our state of %s matches systemctl", unit);
        disk_fs_done(fs.userdata);
        free(error);
        free(judge);
}

/* ---- [Install] syntax ---- */

static void test_parse_syntax(void) {
        char *fixtures = fixtures_dir(), *path = xasprintf("%s/syntax.service", fixtures);
        char *data = read_file(path, NULL), *error = NULL, *joined;
        UnitInstall i = {};

        int r = unit_install_parse(&i, "syntax.service", path, data, &error);
        ok(r == 0, "syntax.service parses (%s)", error ?: "no error");
        /* The empty assignment dropped dropped.target; continuation, comment inside it, tab and
         * quotes give three words; [Service] and [install] assignments do not count. */
        joined = xasprintf("%s|%s|%s|%s", i.wanted_by[0], i.wanted_by[1], i.wanted_by[2],
                           i.wanted_by[3] ?: "(end)");
        is_str(joined, "first.target|second.target|third.target|(end)", "WantedBy= list");
        free(joined);
        is_str(i.required_by ? i.required_by[0] : NULL, "req.target", "RequiredBy= unquoted");
        is_str(i.aliases ? i.aliases[0] : NULL, "%p-alias.service", "Alias= keeps its specifier");
        is_int(strv_length(i.aliases), 2, "two aliases");
        unit_install_done(&i);
        free(data);
        free(path);
        free(fixtures);

        r = unit_install_parse(&i, "x.service", "x.service", "[Install]\nWantedBy=a.target\n[Install\nWantedBy=b.target\n", &error);
        is_int(r, -EBADMSG, "broken section header refused");
        is_str(error, "x.service:3: Invalid section header '[Install'", "error names file and line");
        unit_install_done(&i);
        free(error);
        error = NULL;

        r = unit_install_parse(&i, "t@.service", "t@.service",
                               "[Install]\nDefaultInstance=%p1\nAlso=%p-helper.service %i.socket\nWantedBy=x.target\\\\\n", &error);
        ok(r == 0, "template parses");
        is_str(i.default_instance, "t1", "DefaultInstance= with %%p");
        is_str(i.also ? i.also[0] : NULL, "t-helper.service", "Also= specifiers resolved at parse time");
        is_str(i.also && i.also[0] ? i.also[1] : NULL, "t1.socket", "%%i in a template is its default instance");
        is_str(i.wanted_by ? i.wanted_by[0] : NULL, "x.target\\\\", "an even run of backslashes does not continue");
        unit_install_done(&i);

        r = unit_install_parse(&i, "t@x.service", "t@.service", "[Install]\nDefaultInstance=tty1\n", &error);
        ok(r == 0 && !i.default_instance, "DefaultInstance= is ignored when installing an instance");
        unit_install_done(&i);

        r = unit_install_parse(&i, "x.service", "x.service", "[Install]\nAlso=%H.service\n", &error);
        is_int(r, -EOPNOTSUPP, "unsupported specifier in Also= refused");
        ok(error && strstr(error, "Also="), "and said so: %s", strempty(error));
        unit_install_done(&i);
        free(error);
}

static void test_names(void) {
        char *s = NULL;
        is_int(unit_name_kind("kubelet.service"), UNIT_NAME_PLAIN, "plain name");
        is_int(unit_name_kind("getty@.service"), UNIT_NAME_TEMPLATE, "template name");
        is_int(unit_name_kind("getty@tty1.service"), UNIT_NAME_INSTANCE, "instance name");
        is_int(unit_name_kind("kubelet"), -EINVAL, "no type suffix");
        is_int(unit_name_kind("../x.service"), -EINVAL, "slash refused");
        is_int(unit_name_kind("@x.service"), -EINVAL, "empty prefix refused");
        is_int(unit_name_kind("x.conf"), -EINVAL, "unknown type refused");
        ok(unit_name_template("getty@tty1.service", &s) == 0 && streq(s, "getty@.service"), "template of instance");
        free(s);
}

/* The names systemd gives swap units for fstab sources, judged by systemd-escape. */
static void test_name_from_path(void) {
        static const char * const paths[] = {
                "/swap.img", "/dev/sda2", "/dev/disk/by-uuid/0f4e2c1a-7d0b-4b6e-9a55-2f1c0d9e8b77",
                "/dev/disk/by-label/my\\x20swap", "/var/lib/swap file", "//dev//./zram0/", "/.swapfile",
                "/dev/mapper/vg0-swap_1", "/", "/srv/sw\xc3\xa4p",
        };
        for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                _cleanup_free_ char *ours = NULL, *theirs = NULL;
                char *argv[] = { (char *) "systemd-escape", (char *) "--path", (char *) "--suffix=swap", (char *) paths[i], NULL };
                int r = unit_name_from_path(paths[i], ".swap", &ours);
                if (run_capture(argv, &theirs, NULL) != 0 || !theirs) {
                        ok(false, "systemd-escape --path %s", paths[i]);
                        continue;
                }
                theirs[strcspn(theirs, "\n")] = 0;
                ok(r == 0 && streq(ours, theirs), "%s -> %s (systemd-escape: %s)", paths[i], ours ? ours : "(error)", theirs);
        }
        char *s = NULL;
        is_int(unit_name_from_path("swap.img", ".swap", &s), -EINVAL, "a relative path is refused");
        is_int(unit_name_from_path("/a/../b", ".swap", &s), -EINVAL, "a path with .. is refused");
        char long_path[300];
        memset(long_path, 'a', sizeof(long_path) - 1);
        long_path[0] = '/';
        long_path[sizeof(long_path) - 1] = 0;
        is_int(unit_name_from_path(long_path, ".swap", &s), -ENAMETOOLONG, "a name past 255 bytes is refused");
}

/* ---- against systemctl ---- */

static void test_enable_disable(bool merged_usr) {
        char *root = make_root(merged_usr ? "units-merged" : "units-split", merged_usr);
        diag("%s /usr", merged_usr ? "merged" : "split");

        check_state(root, "kubelet.service", "disabled");
        ok(compare_with_systemctl(root, "enable", unit_plan_enable, "kubelet.service") == 1, "kubelet: one link");
        check_state(root, "kubelet.service", "enabled");
        is_int(compare_with_systemctl(root, "enable", unit_plan_enable, "kubelet.service"), 0,
               "already enabled: no links planned");

        check_state(root, "systemd-networkd-wait-online.service", "disabled");
        /* Alias=, Also= (one of them missing: systemd-network-generator.service), WantedBy=. */
        check_state(root, "systemd-networkd.service", "disabled");
        is_int(compare_with_systemctl(root, "enable", unit_plan_enable, "systemd-networkd.service"), 4,
               "networkd: alias, its wants, socket and wait-online");
        check_state(root, "systemd-networkd.service", "enabled");
        check_state(root, "systemd-networkd-wait-online.service", "enabled");
        check_state(root, "dbus-org.freedesktop.network1.service", "alias");

        check_state(root, "getty@.service", "disabled");
        compare_with_systemctl(root, "enable", unit_plan_enable, "getty@.service");
        check_state(root, "getty@.service", "enabled");
        check_state(root, "getty@tty1.service", "enabled");
        check_state(root, "getty@tty2.service", "disabled");
        compare_with_systemctl(root, "enable", unit_plan_enable, "getty@tty5.service");
        check_state(root, "getty@tty5.service", "enabled");

        compare_with_systemctl(root, "enable", unit_plan_enable, "syntax.service");
        check_state(root, "syntax2.service", "alias");

        is_int(compare_with_systemctl(root, "disable", unit_plan_disable, "systemd-networkd.service"), 4,
               "networkd disabled with its Also= units");
        check_state(root, "systemd-networkd.service", "disabled");
        check_state(root, "systemd-networkd.socket", "disabled");
        compare_with_systemctl(root, "disable", unit_plan_disable, "getty@.service");
        check_state(root, "getty@tty5.service", "disabled");
        compare_with_systemctl(root, "disable", unit_plan_disable, "syntax.service");
        is_int(compare_with_systemctl(root, "disable", unit_plan_disable, "syntax.service"), 0,
               "already disabled: no links planned");
        check_state(root, "kubelet.service", "enabled");

        rm_rf(root);
        free(root);
}

static void test_mask(void) {
        char *root = make_root("units-mask", true), *error = NULL;
        UnitLinks links = {};

        compare_with_systemctl(root, "enable", unit_plan_enable, "kubelet.service");
        is_int(compare_with_systemctl(root, "mask", unit_plan_mask, "kubelet.service"), 1, "mask: one link");
        check_state(root, "kubelet.service", "masked");
        is_int(compare_with_systemctl(root, "mask", unit_plan_mask, "kubelet.service"), 0, "masked again: nothing");
        /* systemctl disable skips a masked unit: its wants link stays. */
        is_int(compare_with_systemctl(root, "disable", unit_plan_disable, "kubelet.service"), 0,
               "disable of a masked unit changes nothing");

        DISK_FS(fs, root);
        int r = unit_plan_enable(&fs, "kubelet.service", &links, &error);
        is_int(r, -ERFKILL, "enable of a masked unit refused");
        is_str(error, "Unit kubelet.service is masked", "with systemctl's reason");
        free(error);
        error = NULL;
        disk_fs_done(fs.userdata);

        is_int(compare_with_systemctl(root, "unmask", unit_plan_unmask, "kubelet.service"), 1, "unmask: one removal");
        check_state(root, "kubelet.service", "enabled");
        is_int(compare_with_systemctl(root, "unmask", unit_plan_unmask, "kubelet.service"), 0, "unmasked again: nothing");

        /* A real unit file in /etc: systemctl mask fails with "File exists". */
        char *etc_unit = xasprintf("%s/etc/systemd/system/kubelet.service", root);
        const char *etc_data = "[Service]\nExecStart=/usr/local/bin/kubelet\n[Install]\nWantedBy=multi-user.target\n";
        write_file(etc_unit, etc_data, strlen(etc_data));
        int status;
        free(systemctl(root, "mask", "kubelet.service", &status));
        ok(status != 0, "systemctl mask refuses a unit file in /etc");
        DISK_FS(fs2, root);
        r = unit_plan_mask(&fs2, "kubelet.service", &links, &error);
        is_int(r, -EEXIST, "so do we");
        is_str(error, "/etc/systemd/system/kubelet.service already exists", "naming the file");
        free(error);
        error = NULL;
        disk_fs_done(fs2.userdata);

        /* The fragment in /etc wins: enable links to it. */
        compare_with_systemctl(root, "disable", unit_plan_disable, "kubelet.service");
        compare_with_systemctl(root, "enable", unit_plan_enable, "kubelet.service");
        check_state(root, "kubelet.service", "enabled");

        /* A template without DefaultInstance= cannot be enabled by its template name. */
        char *t = xasprintf("%s/usr/lib/systemd/system/plain@.service", root);
        const char *t_data = "[Install]\nWantedBy=multi-user.target\n";
        write_file(t, t_data, strlen(t_data));
        free(systemctl(root, "enable", "plain@.service", &status));
        ok(status != 0, "systemctl refuses to enable plain@.service");
        DISK_FS(fs3, root);
        r = unit_plan_enable(&fs3, "plain@.service", &links, &error);
        is_int(r, -EIDRM, "so do we");
        diag("%s", strempty(error));
        free(error);
        error = NULL;
        r = unit_plan_enable(&fs3, "missing.service", &links, &error);
        is_int(r, -ENOENT, "a missing unit cannot be enabled");
        free(error);
        disk_fs_done(fs3.userdata);

        free(t);
        free(etc_unit);
        rm_rf(root);
        free(root);
}

static void test_dropin_install(void) {
        char *root = make_root("units-dropin", false);
        char *dir = xasprintf("%s/etc/systemd/system/systemd-networkd-wait-online.service.d", root);
        char *conf = xasprintf("%s/override.conf", dir);
        run_ok((char *[]) { "mkdir", "-p", dir, NULL });
        const char *conf_data = "[Install]\nWantedBy=\nWantedBy=multi-user.target\n";
        write_file(conf, conf_data, strlen(conf_data));

        compare_with_systemctl(root, "enable", unit_plan_enable, "systemd-networkd-wait-online.service");
        check_state(root, "systemd-networkd-wait-online.service", "enabled");
        rm_rf(root);
        free(root);
        free(dir);
        free(conf);
}

/* ---- drop-in directories: the manager's rules and systemctl's ---- */

/* A node root holding tests/fixtures/unit-dropins/{etc,run,lib} in the three search directories. */
static char *make_dropin_root(bool merged_usr) {
        char *root = make_temp_dir(merged_usr ? "dropins-merged" : "dropins-split");
        const char *f = getenv("FIXTURES");
        char *fixtures = xasprintf("%s/unit-dropins", f && *f ? f : "tests/fixtures");
        static const char * const parts[][2] = {
                { "etc", "etc" }, { "run", "run" }, { "lib", "lib" },
        };
        if (merged_usr) {
                char *usr_lib = xasprintf("%s/usr/lib", root), *lib = xasprintf("%s/lib", root);
                run_ok((char *[]) { "mkdir", "-p", usr_lib, NULL });
                if (symlink("usr/lib", lib) < 0)
                        abort();
                free(usr_lib);
                free(lib);
        }
        for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
                char *dst = xasprintf("%s/%s/systemd/system", root, parts[i][1]);
                char *src = xasprintf("%s/%s/.", fixtures, parts[i][0]);
                run_ok((char *[]) { "mkdir", "-p", dst, NULL });
                run_ok((char *[]) { "cp", "-a", src, dst, NULL });
                free(dst);
                free(src);
        }
        free(fixtures);
        return root;
}

/*
 * The judge for the manager's rules: `systemd-analyze verify` loads the unit as the manager does
 * (nothing is started) and warns about the unknown RemedyProbe= key once per file it parses, in
 * the order it parses them.
 */
static char *manager_judge(const char *root, const char *unit) {
        char *opt = xasprintf("--root=%s", root), *out = NULL, *err = NULL, *list = NULL;
        size_t size = 0;
        (void) run_capture((char *[]) { (char *) "systemd-analyze", opt, (char *) "--man=no", (char *) "--generators=no",
                                        (char *) "verify", (char *) unit, NULL },
                           &out, &err);
        FILE *f = open_memstream(&list, &size);
        for (char *save = NULL, *l = strtok_r(err, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                const char *path = startswith(l, root);
                if (!path || !strstr(l, "Unknown key 'RemedyProbe'"))
                        continue;
                fprintf(f, "%.*s\n", (int) strcspn(path, ":"), path);
        }
        fclose(f);
        free(opt);
        free(out);
        free(err);
        return list;
}

/* What the kubelet-cmdline reader lists, one per line; entries that are not regular files
 * (which systemd tries and skips without a word) are left out when only_regular. */
static char *manager_ours(const char *root, const char *unit, bool only_regular, KubeletCommandLine *c) {
        char *error = NULL, *list = NULL;
        size_t size = 0;
        DISK_FS(fs, root);

        int r = kubelet_cmdline_resolve(&fs, unit, NULL, c, &error);
        ok(r == 0, "%s: kubelet-cmdline resolves it (%s)", unit, error ?: "no error");
        FILE *f = open_memstream(&list, &size);
        STRV_FOREACH(p, c->unit_files) {
                char *host = xasprintf("%s%s", root, *p);
                struct stat st;
                if (!only_regular || (stat(host, &st) == 0 && S_ISREG(st.st_mode)))
                        fprintf(f, "%s\n", *p);
                free(host);
        }
        fclose(f);
        disk_fs_done(fs.userdata);
        free(error);
        return list;
}

static const char *env_value(const KubeletCommandLine *c, const char *name) {
        for (size_t i = 0; i < c->n_env; i++)
                if (streq(c->env[i].name, name))
                        return c->env[i].value;
        return NULL;
}

static void test_dropins_manager(bool merged_usr) {
        char *root = make_dropin_root(merged_usr), *want, *got;
        const char *lib = merged_usr ? "/usr/lib" : "/lib";
        KubeletCommandLine c = {};
        diag("drop-ins as the manager reads them, %s /usr", merged_usr ? "merged" : "split");

        /* By file name across /etc, /run and /lib; /etc/.../10-defaults.conf masks /lib's; the
         * dash-prefix /etc/.../kube-.service.d/50-site.conf masks /lib/.../kube-node-agent.service.d's
         * (all of /etc before /lib); /lib/.../70-limits.conf masks /etc/systemd/system/service.d's
         * (the type-level directory comes last); no hidden file, no README. */
        got = manager_ours(root, "kube-node-agent.service", false, &c);
        want = xasprintf("/lib/systemd/system/kube-node-agent.service\n"
                         "/etc/systemd/system/kube-node-agent.service.d/10-defaults.conf\n"
                         "/run/systemd/system/kube-node-.service.d/30-runtime.conf\n"
                         "/etc/systemd/system/kube-.service.d/50-site.conf\n"
                         "%s/systemd/system/kube-node-agent.service.d/70-limits.conf\n"
                         "/etc/systemd/system/service.d/90-accounting.conf\n", lib);
        is_str(got, want, "kube-node-agent.service: fragment, then the drop-ins in systemd's order");
        free(want);
        want = manager_judge(root, "kube-node-agent.service");
        is_str(got, want, "kube-node-agent.service: the files systemd-analyze verify parses, in its order");
        free(got);
        free(want);
        is_str(c.argv && c.argv[0] ? c.argv[1] : NULL, "--v=4", "AGENT_ARGS from /etc's 10-defaults.conf");
        is_str(env_value(&c, "HTTPS_PROXY"), "http://proxy.example.internal:3128", "HTTPS_PROXY from the dash-prefix drop-in");
        kubelet_cmdline_done(&c);

        /* An instance: the template's directories and the template's dash prefix (a plain
         * "kube-.service"); /etc/.../kube-proxy@.service.d/20-mode.conf masks the /lib instance one. */
        got = manager_ours(root, "kube-proxy@ipvs.service", false, &c);
        want = xasprintf("/lib/systemd/system/kube-proxy@.service\n"
                         "/etc/systemd/system/kube-proxy@.service.d/20-mode.conf\n"
                         "/etc/systemd/system/kube-.service.d/50-site.conf\n"
                         "/etc/systemd/system/service.d/70-limits.conf\n"
                         "/etc/systemd/system/service.d/90-accounting.conf\n");
        is_str(got, want, "kube-proxy@ipvs.service: fragment, then the drop-ins in systemd's order");
        free(want);
        want = manager_judge(root, "kube-proxy@ipvs.service");
        is_str(got, want, "kube-proxy@ipvs.service: the files systemd-analyze verify parses, in its order");
        free(got);
        free(want);
        is_str(env_value(&c, "MODE_FROM"), "etc-template", "MODE_FROM from /etc's template drop-in");
        kubelet_cmdline_done(&c);

        /* A directory named 40-dir.conf in /etc is listed and masks /lib's 40-dir.conf file;
         * systemd fails to parse it and goes on. */
        char *dir = xasprintf("%s/etc/systemd/system/kube-node-agent.service.d/40-dir.conf", root);
        char *masked = xasprintf("%s/lib/systemd/system/kube-node-agent.service.d/40-dir.conf", root);
        const char *masked_data = "[Unit]\nRemedyProbe=masked-by-a-directory\n[Service]\nEnvironment=AGENT_ARGS=--v=9\n";
        run_ok((char *[]) { "mkdir", "-p", dir, NULL });
        write_file(masked, masked_data, strlen(masked_data));
        got = manager_ours(root, "kube-node-agent.service", true, &c);
        want = manager_judge(root, "kube-node-agent.service");
        is_str(got, want, "a directory drop-in masks /lib's file, as in systemd-analyze verify");
        ok(strv_contains(c.unit_files, "/etc/systemd/system/kube-node-agent.service.d/40-dir.conf"),
           "the directory is listed (it takes the name)");
        is_str(c.argv && c.argv[0] ? c.argv[1] : NULL, "--v=4", "and /lib's 40-dir.conf sets nothing");
        kubelet_cmdline_done(&c);
        free(got);
        free(want);
        free(dir);
        free(masked);
        rm_rf(root);
        free(root);
}

static void test_dropins_install(void) {
        char *root = make_dropin_root(false), *error = NULL;
        UnitFileState state;
        int status;
        diag("drop-ins as systemctl enable reads them");

        /* systemctl reads [Install] from NAME.d/ and TEMPLATE.d/ only: not from kube-.service.d/
         * nor service.d/, so a unit whose own files have no [Install] is static. */
        check_state(root, "kube-node-cleanup.service", "static");
        check_state(root, "kube-node-agent.service", "disabled");
        /* multi-user.target from the fragment, kubernetes.target from /lib's 50-site.conf (not
         * masked here: systemctl does not read the /etc dash-prefix one); /lib's 10-defaults.conf
         * is masked by /etc's. */
        is_int(compare_with_systemctl(root, "enable", unit_plan_enable, "kube-node-agent.service"), 2,
               "kube-node-agent: multi-user and kubernetes wants links only");
        check_state(root, "kube-node-agent.service", "enabled");
        /* Every NAME.d/ before any TEMPLATE.d/: /lib's instance 20-mode.conf masks /etc's template one. */
        is_int(compare_with_systemctl(root, "enable", unit_plan_enable, "kube-proxy@ipvs.service"), 2,
               "kube-proxy@ipvs: multi-user and lib-instance wants links only");
        check_state(root, "kube-proxy@ipvs.service", "enabled");

        /* A directory drop-in: systemctl fails ("Is a directory"), and so do we. */
        char *dir = xasprintf("%s/etc/systemd/system/kube-node-agent.service.d/40-dir.conf", root);
        run_ok((char *[]) { "mkdir", "-p", dir, NULL });
        free(systemctl(root, "is-enabled", "kube-node-agent.service", &status));
        ok(status != 0, "systemctl is-enabled fails on a directory drop-in");
        DISK_FS(fs, root);
        int r = unit_file_get_state(&fs, "kube-node-agent.service", &state, &error);
        is_int(r, -EISDIR, "so does unit_file_get_state()");
        is_str(error, "Drop-in /etc/systemd/system/kube-node-agent.service.d/40-dir.conf is a directory", "naming it");
        disk_fs_done(fs.userdata);
        free(error);
        error = NULL;

        /* A dangling link: systemctl fails with "No such file or directory". */
        rm_rf(dir);
        if (symlink("/etc/kube-node-agent/removed.conf", dir) < 0)
                abort();
        free(systemctl(root, "is-enabled", "kube-node-agent.service", &status));
        ok(status != 0, "systemctl is-enabled fails on a dangling drop-in link");
        DISK_FS(fs2, root);
        r = unit_file_get_state(&fs2, "kube-node-agent.service", &state, &error);
        is_int(r, -ENOENT, "so does unit_file_get_state()");
        disk_fs_done(fs2.userdata);
        free(error);
        free(dir);
        rm_rf(root);
        free(root);
}

/* ---- the action, through the Context ---- */

typedef struct PlannedPlaybook {
        Playbook *playbook;
        ParamValues *values;
        Root *root;
        Context *context;
        Change *changes;
} PlannedPlaybook;

static void planned_done(PlannedPlaybook *p) {
        for (size_t i = 0; p->playbook && i < p->playbook->n_steps; i++)
                change_done(&p->changes[i]);
        free(p->changes);
        context_free(p->context);
        root_free(p->root);
        param_values_free(p->values);
        playbook_free(p->playbook);
}

/* Loads yaml and plans every step offline against root; returns the first error. */
static int plan_playbook(const char *root, const char *yaml, PlannedPlaybook *p, char **ret_error) {
        int r = playbook_load_data("test.yaml", yaml, strlen(yaml), &p->playbook, ret_error);
        if (r < 0)
                return r;
        if ((r = param_values_new(p->playbook, NULL, &p->values, ret_error)) < 0 ||
            (r = root_open(root, &p->root)) < 0 || (r = context_new(p->root, true, &p->context)) < 0)
                return r;
        p->context->playbook = p->playbook;
        p->context->values = p->values;
        p->changes = calloc(p->playbook->n_steps, sizeof(Change));
        for (size_t i = 0; i < p->playbook->n_steps; i++) {
                const Step *s = &p->playbook->steps[i];
                p->context->step = s;
                r = s->action->plan(p->context, s->args, &p->changes[i]);
                if (r < 0) {
                        *ret_error = p->context->error ? strdup(p->context->error) : NULL;
                        return r;
                }
        }
        return 0;
}

static void apply_ops(const char *root, const Change *ch) {
        for (size_t i = 0; i < ch->n_ops; i++) {
                const FileOp *op = &ch->ops[i];
                UnitLinks l = { .items = &(UnitLink) { .path = op->after->path,
                                                       .target = op->type == FILE_OP_SYMLINK ? op->after->data : NULL },
                                .n_items = 1 };
                apply_links(root, &l);
        }
}

static void test_action(void) {
        char *root = make_root("units-action", true), *error = NULL;
        PlannedPlaybook p = {};

        const char *yaml =
                "name: units\n"
                "params:\n"
                "  wait_online_unit: {type: string, default: systemd-networkd-wait-online.service}\n"
                "steps:\n"
                "  - name: enable wait-online\n"
                "    unit: {name: \"{{ wait_online_unit }}\", enabled: true}\n"
                "  - name: enable the kubelet, named as systemctl allows\n"
                "    unit: {name: kubelet, enabled: true}\n"
                "  - name: enable it again\n"
                "    unit: {name: kubelet.service, enabled: true}\n"
                "  - name: restart it\n"
                "    unit: {name: kubelet.service, state: restarted}\n"
                "  - name: mask networkd\n"
                "    unit: {name: systemd-networkd.service, masked: true, enabled: false}\n";
        int r = plan_playbook(root, yaml, &p, &error);
        ok(r == 0, "playbook planned (%s)", error ?: "no error");
        if (r == 0) {
                is_int(p.changes[0].n_ops, 1, "wait-online: one op");
                is_str(p.changes[0].note,
                       "enable: /etc/systemd/system/network-online.target.wants/systemd-networkd-wait-online.service"
                       " → /lib/systemd/system/systemd-networkd-wait-online.service",
                       "note says what enable links");
                is_int(p.changes[1].n_ops, 1, "kubelet: one op");
                ok(p.changes[1].n_ops == 1 && p.changes[1].ops[0].type == FILE_OP_SYMLINK &&
                   streq(p.changes[1].ops[0].after->path, "/etc/systemd/system/multi-user.target.wants/kubelet.service") &&
                   streq(p.changes[1].ops[0].after->data, "/lib/systemd/system/kubelet.service"),
                   "kubelet: the link systemctl makes");
                is_int(p.changes[2].n_ops, 0, "the second enable sees the first in the plan: no op");
                is_int(p.changes[3].status, CHANGE_SKIPPED, "state offline: skipped");
                is_str(p.changes[3].note, "offline (--root): not restarted", "with the reason");
                is_int(p.changes[4].n_ops, 1, "networkd (never enabled): only the mask link");
                for (size_t i = 0; i < p.playbook->n_steps; i++)
                        apply_ops(root, &p.changes[i]);
                free(systemctl(root, "is-enabled", "kubelet.service", NULL));
                char *s = systemctl(root, "is-enabled", "kubelet.service", NULL);
                is_str(s, "enabled", "systemctl: kubelet enabled after our ops");
                free(s);
                s = systemctl(root, "is-enabled", "systemd-networkd-wait-online.service", NULL);
                is_str(s, "enabled", "systemctl: wait-online enabled after our ops");
                free(s);
                s = systemctl(root, "is-enabled", "systemd-networkd.service", NULL);
                is_str(s, "masked", "systemctl: networkd masked after our ops");
                free(s);
        }
        planned_done(&p);
        free(error);
        error = NULL;

        /* Unmask and enable in one step: enable sees the unmask. Then disable in the next step. */
        p = (PlannedPlaybook) {};
        yaml = "name: units2\n"
               "steps:\n"
               "  - name: unmask and enable networkd\n"
               "    unit: {name: systemd-networkd.service, masked: false, enabled: true}\n"
               "  - name: disable the kubelet\n"
               "    unit: {name: kubelet.service, enabled: false}\n";
        r = plan_playbook(root, yaml, &p, &error);
        ok(r == 0, "second playbook planned (%s)", error ?: "no error");
        if (r == 0) {
                is_int(p.changes[0].n_ops, 4, "unmask + alias + 2 wants links (wait-online is linked already)");
                diag("%s", strempty(p.changes[0].note));
                ok(p.changes[0].note && startswith(p.changes[0].note, "unmask: removes /etc/systemd/system/systemd-networkd.service; enable: "),
                   "note lists unmask then enable");
                is_int(p.changes[1].n_ops, 1, "kubelet disable: one removal");
                for (size_t i = 0; i < p.playbook->n_steps; i++)
                        apply_ops(root, &p.changes[i]);
                char *s = systemctl(root, "is-enabled", "systemd-networkd.service", NULL);
                is_str(s, "enabled", "systemctl: networkd enabled");
                free(s);
                s = systemctl(root, "is-enabled", "kubelet.service", NULL);
                is_str(s, "disabled", "systemctl: kubelet disabled");
                free(s);
        }
        planned_done(&p);
        free(error);
        error = NULL;

        /* Errors: a masked unit cannot be enabled; live mode is the next issue. */
        p = (PlannedPlaybook) {};
        char *etc_mask = xasprintf("%s/etc/systemd/system/kubelet.service", root);
        if (symlink("/dev/null", etc_mask) < 0)
                abort();
        r = plan_playbook(root, "name: units3\nsteps:\n  - name: e\n    unit: {name: kubelet.service, enabled: true}\n", &p, &error);
        is_int(r, -ERFKILL, "enabling a masked unit fails the plan");
        is_str(error, "enable kubelet.service: Unit kubelet.service is masked", "with a reason");
        planned_done(&p);
        free(error);
        error = NULL;
        free(etc_mask);

        p = (PlannedPlaybook) {};
        r = plan_playbook(root, "name: units4\nsteps:\n  - name: e\n    unit: {name: kubelet.service, enabled: true, masked: true}\n", &p, &error);
        is_int(r, -EINVAL, "enabled and masked together refused at load");
        ok(error && strstr(error, "contradict"), "saying why: %s", strempty(error));
        planned_done(&p);
        free(error);
        error = NULL;

        p = (PlannedPlaybook) {};
        r = plan_playbook(root, "name: units5\nsteps:\n  - name: e\n    unit: {name: kubelet.service, state: running}\n", &p, &error);
        is_int(r, -EINVAL, "unknown state refused at load");
        planned_done(&p);
        free(error);

        rm_rf(root);
        free(root);
}

int main(void) {
        test_names();
        test_parse_syntax();
        if (!program_exists("systemctl")) {
                ok(false, "systemctl is needed: it is the judge of these tests");
                return tap_done();
        }
        test_name_from_path();
        test_enable_disable(false);
        test_enable_disable(true);
        test_mask();
        test_dropin_install();
        test_dropins_manager(false);
        test_dropins_manager(true);
        test_dropins_install();
        test_action();
        return tap_done();
}
