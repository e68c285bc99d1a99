/* SPDX-License-Identifier: MIT */
/* The planning overlay: each step sees what earlier steps would leave, and nothing is written. */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "remedy/context.h"
#include "remedy/engine.h"
#include "remedy/strv.h"
#include "tap.h"
#include "test-util.h"

/* Host paths of node paths; kept in a pool freed at the end so the checks stay one-liners. */
static char *pool[40];
static size_t n_pool;

static char *host(const char *root, const char *p) {
        char *r;
        if (asprintf(&r, "%s%s", root, p) < 0 || n_pool >= ELEMENTSOF(pool))
                abort();
        return pool[n_pool++] = r;
}

static void test_overlay(const char *dir) {
        _cleanup_(root_freep) Root *root = NULL;
        _cleanup_(context_freep) Context *c = NULL;
        Change a = {}, b = {}, d = {};
        const NodeFile *f;
        char **paths = NULL;

        char *etc = host(dir, "/etc/x");
        char *mk[] = { "mkdir", "-p", etc, NULL };
        is_int(run_capture(mk, NULL, NULL), 0, "make tree");
        char *existing = host(dir, "/etc/x/old.conf");
        write_file(existing, "old\n", 4);
        ok(chmod(existing, 0640) == 0 && chown(existing, 1234, 1234) == 0, "metadata");

        is_int(root_open(dir, &root), 0, "open root");
        is_int(context_new(root, true, &c), 0, "context");

        is_int(ctx_want_file(c, &a, "/etc/x/new.conf", "one\n", 4, (mode_t) -1, (uid_t) -1, (gid_t) -1), 1,
               "new file planned");
        is_int(a.status, CHANGE_PENDING, "change pending");
        is_int(a.n_ops, 1, "one op");
        is_int(a.ops[0].before->kind, FILE_ABSENT, "before: absent");
        is_int(a.ops[0].after->mode, 0644, "new file defaults to 0644");
        ok(access(host(dir, "/etc/x/new.conf"), F_OK) < 0, "nothing written to disk");

        is_int(ctx_read(c, "/etc/x/new.conf", true, &f), 0, "read planned file");
        is_int(f->kind, FILE_REGULAR, "later steps see the planned file");
        is_str(f->data, "one\n", "with its planned content");

        is_int(ctx_want_file(c, &b, "/etc/x/new.conf", "one\n", 4, (mode_t) -1, (uid_t) -1, (gid_t) -1), 0,
               "same content again: already so");
        is_int(b.n_ops, 0, "no op for an unchanged file");

        is_int(ctx_want_file(c, &b, "/etc/x/old.conf", "new\n", 4, (mode_t) -1, (uid_t) -1, (gid_t) -1), 1,
               "edit existing");
        ok(b.ops[0].after->mode == 0640 && b.ops[0].after->uid == 1234, "existing mode and owner kept");
        is_int(ctx_want_file(c, &b, "/etc/x/old.conf", "newer\n", 6, (mode_t) -1, (uid_t) -1, (gid_t) -1), 1,
               "edit again in the same step");
        is_int(b.n_ops, 1, "one op per file per step");
        is_str(b.ops[0].before->data, "old\n", "the op starts from the disk content");
        is_str(b.ops[0].after->data, "newer\n", "and ends at the last wanted content");

        is_int(ctx_glob(c, "/etc/x/*.conf", &paths), 0, "glob");
        ok(strv_length(paths) == 2 && streq(paths[0], "/etc/x/new.conf") && streq(paths[1], "/etc/x/old.conf"),
           "glob sees planned and existing files");
        paths = strv_free(paths);

        is_int(ctx_want_absent(c, &d, "/etc/x/new.conf"), 1, "remove the planned file");
        is_int(ctx_glob(c, "/etc/x/*.conf", &paths), 0, "glob again");
        ok(strv_length(paths) == 1 && streq(paths[0], "/etc/x/old.conf"), "a planned removal hides the file");
        paths = strv_free(paths);

        /* A symlink planned in a directory that does not exist yet makes the directory visible. */
        Change e = {};
        is_int(ctx_want_symlink(c, &e, "/etc/systemd/system/a.target.wants/b.service", "/lib/b.service"), 1,
               "symlink in a new directory");
        is_int(ctx_read(c, "/etc/systemd/system/a.target.wants", true, &f), 0, "read the new directory");
        is_int(f->kind, FILE_DIRECTORY, "the parent of a planned file is a directory");
        is_int(ctx_glob(c, "/etc/systemd/system/a.target.wants/*", &paths), 0, "glob new directory");
        ok(strv_length(paths) == 1, "the planned link is listed");
        paths = strv_free(paths);

        /* file_op_check_before notices a file changed behind the plan's back. */
        write_file(existing, "changed behind our back\n", 24);
        is_int(file_op_check_before(root, &b.ops[0]), -ESTALE, "a file changed since planning is noticed");

        change_done(&a);
        change_done(&b);
        change_done(&d);
        change_done(&e);
}

/* ctx_stat: kind and mode without the content, so a binary past NODE_FILE_MAX is still seen. */
static void test_stat(const char *dir) {
        _cleanup_(root_freep) Root *root = NULL;
        _cleanup_(context_freep) Context *c = NULL;
        Change a = {};
        const NodeFile *f;
        FileKind kind;
        mode_t mode;

        char *bin = host(dir, "/opt/bin");
        char *mk[] = { "mkdir", "-p", bin, NULL };
        is_int(run_capture(mk, NULL, NULL), 0, "make tree");
        char *big = host(dir, "/opt/bin/big");
        char *trunc[] = { "truncate", "-s", "17M", big, NULL };
        ok(run_capture(trunc, NULL, NULL) == 0 && chmod(big, 0755) == 0, "a sparse 17 MiB executable");
        char *link = host(dir, "/opt/bin/alias");
        ok(symlink("big", link) == 0, "and a symlink to it");

        is_int(root_open(dir, &root), 0, "open root");
        is_int(context_new(root, true, &c), 0, "context");
        is_int(ctx_read(c, "/opt/bin/big", true, &f), -EFBIG, "ctx_read refuses to hold it");
        free(c->error);
        c->error = NULL;
        ok(ctx_stat(c, "/opt/bin/big", &kind, &mode) == 0 && kind == FILE_REGULAR && mode == 0755,
           "ctx_stat: a regular file, 0755");
        ok(!c->error, "and sets no error");
        ok(ctx_stat(c, "/opt/bin/alias", &kind, &mode) == 0 && kind == FILE_REGULAR, "a final symlink is followed");
        ok(ctx_stat(c, "/opt/bin/none", &kind, &mode) == 0 && kind == FILE_ABSENT, "a missing path is absent");
        ok(ctx_stat(c, "/opt", &kind, &mode) == 0 && kind == FILE_DIRECTORY, "a directory");

        is_int(ctx_want_file(c, &a, "/opt/bin/planned", "x", 1, 0700, 0, 0), 1, "a file planned");
        ok(ctx_stat(c, "/opt/bin/planned", &kind, &mode) == 0 && kind == FILE_REGULAR && mode == 0700,
           "ctx_stat sees the planned state");
        ok(ctx_stat(c, "/opt/new", &kind, &mode) == 0 && kind == FILE_ABSENT, "nothing planned there");
        is_int(ctx_want_file(c, &a, "/opt/new/dir/file", "x", 1, 0644, 0, 0), 1, "a file planned in new directories");
        ok(ctx_stat(c, "/opt/new/dir", &kind, &mode) == 0 && kind == FILE_DIRECTORY, "its parent will be a directory");
        change_done(&a);
}

/* A glob's removals are checked and unlinked through their directory opened once: each file is
 * still compared with what the plan read, and one that changed stops the removals there. */
static void test_remove_checked(const char *dir) {
        _cleanup_(root_freep) Root *root = NULL;
        _cleanup_(context_freep) Context *c = NULL;
        _cleanup_free_ char *error = NULL;
        char **paths = NULL;
        Change g = {};
        struct stat st;

        char *pods = host(dir, "/var/lib/pods");
        char *mk[] = { "mkdir", "-p", pods, NULL };
        is_int(run_capture(mk, NULL, NULL), 0, "make pods tree");
        const char *names[] = { "/var/lib/pods/a", "/var/lib/pods/b", "/var/lib/pods/c", "/var/lib/pods/d" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                write_file(host(dir, names[i]), "volume\n", 7);

        is_int(root_open(dir, &root), 0, "open root");
        is_int(context_new(root, true, &c), 0, "context");
        is_int(ctx_glob(c, "/var/lib/pods/*", &paths), 0, "glob the pods");
        STRV_FOREACH(p, paths)
                is_int(ctx_want_absent(c, &g, *p), 1, "removal planned");
        strv_free(paths);
        is_int(g.n_ops, 4, "four removals");

        /* b: same size, other bytes; c: a symlink now. Both differ from what the plan read. */
        write_file(host(dir, "/var/lib/pods/b"), "VOLUME\n", 7);
        is_int(change_apply_files(root, &g, &error), -ESTALE, "a removal of a file changed since the plan is refused");
        ok(error && strstr(error, "/var/lib/pods/b changed since it was planned"), "the error names the file: %s",
           strempty(error));
        ok(lstat(host(dir, "/var/lib/pods/a"), &st) < 0 && errno == ENOENT, "the removal before it was made");
        ok(lstat(host(dir, "/var/lib/pods/b"), &st) == 0, "the changed file is kept");
        ok(lstat(host(dir, "/var/lib/pods/c"), &st) == 0, "and nothing after it is removed");

        error = mfree(error);
        write_file(host(dir, "/var/lib/pods/a"), "volume\n", 7);
        write_file(host(dir, "/var/lib/pods/b"), "volume\n", 7);
        ok(unlink(host(dir, "/var/lib/pods/c")) == 0 && symlink("/etc/shadow", host(dir, "/var/lib/pods/c")) == 0,
           "c replaced by a symlink");
        is_int(change_apply_files(root, &g, &error), -ESTALE, "a file become a symlink is refused too");
        ok(error && strstr(error, "/var/lib/pods/c changed"), "named: %s", strempty(error));
        ok(lstat(host(dir, "/var/lib/pods/c"), &st) == 0 && S_ISLNK(st.st_mode), "the symlink is left alone");

        error = mfree(error);
        ok(unlink(host(dir, "/var/lib/pods/c")) == 0, "the symlink taken away");
        for (size_t i = 0; i < 3; i++)   /* a and b were removed again before c stopped it */
                write_file(host(dir, names[i]), "volume\n", 7);
        is_int(change_apply_files(root, &g, &error), 0, "as planned again: every removal is made (%s)", strempty(error));
        ok(lstat(pods, &st) == 0 && st.st_nlink == 2, "the directory is empty");
        change_done(&g);
}

int main(void) {
        char *dir = make_temp_dir("context");
        test_overlay(dir);
        test_stat(dir);
        test_remove_checked(dir);
        rm_rf(dir);
        free(dir);
        for (size_t i = 0; i < n_pool; i++)
                free(pool[i]);
        return tap_done();
}
