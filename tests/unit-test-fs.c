/* SPDX-License-Identifier: MIT */
/* The DiskFS NodeFS and the systemctl helpers of the unit-file tests: see unit-test-fs.h. */
#include "unit-test-fs.h"

#include <dirent.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "remedy/strv.h"
#include "test-util.h"

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

int disk_read(void *userdata, const char *path, bool follow, const NodeFile **ret) {
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

int disk_glob(void *userdata, const char *pattern, char ***ret_paths) {
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

void disk_fs_done(DiskFS *fs) {
        for (size_t i = 0; i < fs->n_files; i++) {
                free(fs->files[i]->path);
                free(fs->files[i]->data);
                free(fs->files[i]);
        }
        free(fs->files);
}

void run_ok(char * const *argv) {
        int r = run_capture(argv, NULL, NULL);
        if (r != 0) {
                fprintf(stderr, "%s failed: %d\n", argv[0], r);
                abort();
        }
}

char *copy_root(const char *root, const char *name) {
        char *copy = make_temp_dir(name), *src = xasprintf("%s/.", root);
        run_ok((char *[]) { "cp", "-a", src, copy, NULL });
        free(src);
        return copy;
}

char *systemctl(const char *root, const char *verb, const char *unit, int *ret_status) {
        char *opt = xasprintf("--root=%s", root), *out = NULL;
        int r = run_capture((char *[]) { (char *) "systemctl", opt, (char *) verb, (char *) unit, NULL }, &out, NULL);
        free(opt);
        if (ret_status)
                *ret_status = r;
        out[strcspn(out, "\n")] = 0;
        return out;
}

/* links_listing() of one directory and the directories below it. */
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

char *links_listing(const char *root) {
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

void apply_links(const char *root, const UnitLinks *l) {
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
