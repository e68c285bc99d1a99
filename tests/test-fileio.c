/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "remedy/fileio.h"
#include "remedy/strv.h"
#include "tap.h"
#include "test-util.h"

/* Host paths of node paths; kept in a pool freed at the end so the checks stay one-liners. */
static char *pool[64];
static size_t n_pool;

static char *host(const char *root, const char *p) {
        char *r;
        if (asprintf(&r, "%s%s", root, p) < 0 || n_pool >= ELEMENTSOF(pool))
                abort();
        return pool[n_pool++] = r;
}

static void test_normalize(void) {
        char *p = NULL;
        is_int(path_normalize("//etc//x/", &p), 0, "normalize accepts duplicate slashes");
        is_str(p, "/etc/x", "normalize collapses slashes");
        free(p);
        ok(path_normalize("etc/x", &p) == -EINVAL, "relative path refused");
        ok(path_normalize("/etc/../x", &p) == -EINVAL, "\"..\" refused");
        ok(path_normalize("/etc/./x", &p) == -EINVAL, "\".\" refused");
}

static void test_canonicalize(const char *dir) {
        _cleanup_(root_freep) Root *r = NULL;
        char *p = NULL;

        char *cmd[] = { "mkdir", "-p", host(dir, "/usr/lib/systemd/system"), host(dir, "/etc"), NULL };
        is_int(run_capture(cmd, NULL, NULL), 0, "make tree");
        ok(symlink("usr/lib", host(dir, "/lib")) == 0, "merged-usr /lib link");
        ok(symlink("/../../../../etc/passwd", host(dir, "/etc/escape")) == 0, "escaping absolute link");
        ok(symlink("../../../../../../tmp", host(dir, "/etc/up")) == 0, "escaping relative link");
        ok(symlink("loop2", host(dir, "/etc/loop1")) == 0 && symlink("loop1", host(dir, "/etc/loop2")) == 0, "loop");

        is_int(root_open(dir, &r), 0, "open root");
        is_int(root_canonicalize(r, "/lib/systemd/system/kubelet.service", true, &p), 0, "canonicalize via /lib");
        is_str(p, "/usr/lib/systemd/system/kubelet.service", "/lib resolves into usr/lib");
        free(p);
        is_int(root_canonicalize(r, "/etc/escape", true, &p), 0, "canonicalize escaping link");
        is_str(p, "/etc/passwd", "absolute link target stays inside the root");
        free(p);
        is_int(root_canonicalize(r, "/etc/escape", false, &p), 0, "canonicalize link itself");
        is_str(p, "/etc/escape", "final link kept without follow");
        free(p);
        is_int(root_canonicalize(r, "/etc/up/x", true, &p), 0, "canonicalize relative escape");
        is_str(p, "/tmp/x", "\"..\" stops at the root");
        free(p);
        is_int(root_canonicalize(r, "/etc/loop1", true, &p), -ELOOP, "symlink loop refused");
        is_int(root_canonicalize(r, "/new/dir/file", true, &p), 0, "missing components");
        is_str(p, "/new/dir/file", "missing components appended");
        free(p);
        /* The root itself: the parent of anything at the top of the node (it once crashed). */
        p = NULL;
        is_int(root_canonicalize(r, "/", true, &p), 0, "canonicalize the root itself");
        is_str(p, "/", "the root is \"/\"");
        free(p);

        /* Reading through an escaping link must not read the host's file. */
        char *data = NULL;
        size_t size;
        is_int(root_read_file(r, "/etc/escape", NODE_FILE_MAX, &data, &size), -ENOENT,
               "escaping link resolves inside the root (no /etc/passwd there)");
}

static void test_write(const char *dir) {
        _cleanup_(root_freep) Root *r = NULL;
        struct stat st;
        char *f = host(dir, "/etc/kubernetes/kubelet.conf");

        is_int(root_open(dir, &r), 0, "open root");
        is_int(root_write_file_atomic(r, "/etc/kubernetes/kubelet.conf", "one\n", 4, NULL), 0, "write new file");
        ok(stat(f, &st) == 0 && (st.st_mode & 07777) == 0644 && st.st_uid == 0, "new file 0644 root");
        ok(stat(host(dir, "/etc/kubernetes"), &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0755,
           "parent created 0755");

        ok(chown(f, 1234, 2345) == 0 && chmod(f, 0640) == 0, "set owner and mode");
        ok(setxattr(f, "user.remedy", "v", 1, 0) == 0, "set user xattr");
        ok(setxattr(f, "security.selinux", "system_u:object_r:etc_t:s0", 27, 0) == 0 || errno == ENOTSUP,
           "set label xattr");
        char *acl[] = { "setfacl", "-m", "u:nobody:r", f, NULL };
        is_int(run_capture(acl, NULL, NULL), 0, "set ACL");

        is_int(root_write_file_atomic(r, "/etc/kubernetes/kubelet.conf", "two\n", 4, NULL), 0, "replace file");
        ok(stat(f, &st) == 0 && st.st_uid == 1234 && st.st_gid == 2345, "owner kept");
        is_int(st.st_mode & 07777, 0640, "mode kept");
        char v[64] = "";
        ok(getxattr(f, "user.remedy", v, sizeof v) == 1 && v[0] == 'v', "xattr kept");
        char *acl_out = NULL;
        char *getacl[] = { "getfacl", "-c", f, NULL };
        is_int(run_capture(getacl, &acl_out, NULL), 0, "getfacl");
        ok(acl_out && strstr(acl_out, "user:nobody:r--"), "ACL kept");
        free(acl_out);
        char *content = read_file(f, NULL);
        is_str(content, "two\n", "content replaced");
        free(content);

        WriteOptions o = { 0600, 0, 0 };
        is_int(root_write_file_atomic(r, "/etc/kubernetes/kubelet.conf", "3\n", 2, &o), 0, "replace with options");
        ok(stat(f, &st) == 0 && (st.st_mode & 07777) == 0600 && st.st_uid == 0, "options applied");

        /* A symlink planted in a canonical parent path makes writers fail instead of following. */
        char *outside = make_temp_dir("outside");
        ok(symlink(outside, host(dir, "/etc/planted")) == 0, "plant symlink");
        is_int(root_write_file_atomic(r, "/etc/planted/x", "x", 1, NULL), -ENOTDIR, "writer refuses planted link");
        char *x = host(outside, "/x");
        ok(access(x, F_OK) < 0, "nothing written outside the root");
        rm_rf(outside);
        free(outside);

        is_int(root_symlink_atomic(r, "/etc/link", "/dev/null"), 0, "symlink");
        char *target = NULL;
        is_int(root_readlink(r, "/etc/link", &target), 0, "readlink");
        is_str(target, "/dev/null", "symlink target");
        free(target);
        is_int(root_unlink(r, "/etc/link"), 1, "unlink");
        is_int(root_unlink(r, "/etc/link"), 0, "unlink of missing is 0");

        char **names = NULL;
        is_int(root_list_dir(r, "/etc/kubernetes", &names), 0, "list dir");
        ok(strv_length(names) == 1 && streq(names[0], "kubelet.conf"), "no temp files left behind");
        strv_free(names);
}

int main(void) {
        char *dir = make_temp_dir("fileio");
        test_normalize();
        test_canonicalize(dir);
        test_write(dir);
        rm_rf(dir);
        free(dir);
        for (size_t i = 0; i < n_pool; i++)
                free(pool[i]);
        return tap_done();
}
