/* SPDX-License-Identifier: MIT */
/* The node of the transaction tests: see backup-test-node.h. */
#include "backup-test-node.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "remedy/macro.h"
#include "remedy/strv.h"
#include "test-util.h"

#define ACL_USER_ID 1500

char *root_dir;

char *node(const char *path) {
        char *p;
        if (asprintf(&p, "%s%s", root_dir, path) < 0)
                abort();
        return p;
}

void node_write(const char *path, const char *data, mode_t mode) {
        _cleanup_free_ char *p = node(path);
        write_file(p, data, strlen(data));
        if (chmod(p, mode) < 0)
                abort();
}

void node_mkdir(const char *path) {
        _cleanup_free_ char *p = node(path);
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
                abort();
}

void node_mtime(const char *path, time_t sec, long nsec) {
        _cleanup_free_ char *p = node(path);
        struct timespec ts[2] = { { sec, nsec }, { sec, nsec } };
        if (utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW) < 0)
                abort();
}

/* A POSIX access ACL in the kernel's xattr format: user::rw-, user:1500:r--, group::r--,
 * mask::r--, other::--- (entries sorted by tag, then id). */
static void set_acl(const char *path) {
        struct {
                uint32_t version;
                struct {
                        uint16_t tag, perm;
                        uint32_t id;
                } e[5];
        } __attribute__((packed)) acl = {
                2,
                {
                        { 0x01, 6, UINT32_MAX },
                        { 0x02, 4, ACL_USER_ID },
                        { 0x04, 4, UINT32_MAX },
                        { 0x10, 4, UINT32_MAX },
                        { 0x20, 0, UINT32_MAX },
                },
        };
        _cleanup_free_ char *p = node(path);
        if (setxattr(p, "system.posix_acl_access", &acl, sizeof acl, 0) < 0)
                abort();
}

/* Every object below dir, sorted, with type, mode, owner, mtime, size, content hash or link
 * target and every xattr (ACLs included): two equal snapshots mean an identical tree. */
static void snapshot_walk(const char *dir, const char *rel, char **out, size_t *len, FILE *f) {
        struct dirent **names;
        int n = scandir(dir, &names, NULL, alphasort);
        if (n < 0)
                abort();
        for (int i = 0; i < n; i++) {
                const char *name = names[i]->d_name;
                _cleanup_free_ char *path = NULL, *relpath = NULL;
                char xattrs[4096];
                struct stat st;
                ssize_t k;

                if (streq(name, ".") || streq(name, "..")) {
                        free(names[i]);
                        continue;
                }
                if (asprintf(&path, "%s/%s", dir, name) < 0 || asprintf(&relpath, "%s/%s", rel, name) < 0)
                        abort();
                if (lstat(path, &st) < 0)
                        abort();
                fprintf(f, "%s %o %u:%u %lld.%09ld %lld", relpath, (unsigned) st.st_mode, (unsigned) st.st_uid,
                        (unsigned) st.st_gid, (long long) st.st_mtim.tv_sec, st.st_mtim.tv_nsec, (long long) st.st_size);
                if (S_ISREG(st.st_mode)) {
                        size_t size;
                        _cleanup_free_ char *data = read_file(path, &size);
                        char sha[SHA256_HEX_SIZE];
                        sha256_hex(data, size, sha);
                        fprintf(f, " sha=%s", sha);
                } else if (S_ISLNK(st.st_mode)) {
                        char target[4096];
                        k = readlink(path, target, sizeof target - 1);
                        if (k < 0)
                                abort();
                        target[k] = 0;
                        fprintf(f, " -> %s", target);
                }
                k = llistxattr(path, xattrs, sizeof xattrs);
                if (k < 0)
                        abort();
                /* The kernel lists xattrs in a stable order for one inode, not a sorted one. */
                _cleanup_strv_free_ char **xl = NULL;
                for (char *x = xattrs; x < xattrs + k; x += strlen(x) + 1)
                        if (strv_extend(&xl, x) < 0)
                                abort();
                strv_sort(xl);
                STRV_FOREACH(x, xl) {
                        unsigned char value[1024];
                        ssize_t vk = lgetxattr(path, *x, value, sizeof value);
                        if (vk < 0)
                                abort();
                        fprintf(f, " %s=", *x);
                        for (ssize_t j = 0; j < vk; j++)
                                fprintf(f, "%02x", value[j]);
                }
                fputc('\n', f);
                if (S_ISDIR(st.st_mode))
                        snapshot_walk(path, relpath, out, len, f);
                free(names[i]);
        }
        free(names);
}

char *snapshot(const char *dir) {
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        if (!f)
                abort();
        snapshot_walk(dir, "", &out, &len, f);
        fclose(f);
        return out;
}

void make_tree(void) {
        static const char tool[] = "\177ELF\0\1\2binary\0content";
        _cleanup_free_ char *p = NULL, *link = NULL;

        node_mkdir("/etc");
        node_mkdir("/etc/app");
        node_mkdir("/usr");
        node_mkdir("/usr/bin");
        node_write("/etc/app/config.toml", "[plugins]\nsandbox_image = \"registry.k8s.io/pause:3.6\"\n", 0600);
        node_write("/etc/app/removed.conf", "remove me\n", 0640);
        node_write("/etc/app/keep.conf", "not in the transaction\n", 0644);

        p = node("/usr/bin/tool");
        write_file(p, tool, sizeof tool);
        if (chmod(p, 04755) < 0)
                abort();

        free(p);
        p = node("/etc/app/config.toml");
        if (chown(p, OWNER, OWNER) < 0 || setxattr(p, "user.note", "hello", 5, 0) < 0 ||
            setxattr(p, "trusted.secret", "t0p", 3, 0) < 0)
                abort();
        set_acl("/etc/app/config.toml");

        link = node("/etc/app/current");
        if (symlink("config.toml", link) < 0 || lchown(link, OWNER, 0) < 0)
                abort();

        node_mtime("/etc/app/config.toml", 1600000000, 111111111);
        node_mtime("/etc/app/removed.conf", 1600000001, 0);
        node_mtime("/etc/app/current", 1600000002, 222);
        node_mtime("/usr/bin/tool", 1500000000, 5);
        node_mtime("/usr/bin", 1500000100, 0);
        node_mtime("/etc/app", 1600000100, 999999999);
        node_mtime("/etc", 1600000200, 1);
}

char **txn_paths(void) {
        char **l = NULL;
        const char *paths[] = { "/etc/app/config.toml", "/usr/bin/tool", "/etc/app/current", "/etc/app/removed.conf",
                                "/etc/app/new.d/sub/created.conf", "/etc/app/config.toml" /* duplicate */ };
        for (size_t i = 0; i < ELEMENTSOF(paths); i++)
                if (strv_extend(&l, paths[i]) < 0)
                        abort();
        return l;
}

const TxnInfo *txn_info(void) {
        static char *names[] = { "image", NULL }, *values[] = { "registry.k8s.io/pause:3.9", NULL };
        static const TxnPlaybookInfo pb = {
                .name = "containerd-sandbox-image",
                .path = "/usr/share/remedy/playbooks/containerd-sandbox-image.yaml",
                .sha256 = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
                .param_names = names,
                .param_values = values,
        };
        static TxnInfo info = {
                .command = "apply containerd-sandbox-image",
                .remedy_version = "0.1.0",
                .playbooks = &pb,
                .n_playbooks = 1,
        };
        info.root_path = root_dir;
        return &info;
}

void damage_tree(void) {
        _cleanup_free_ char *cfg = node("/etc/app/config.toml"), *tool = node("/usr/bin/tool"),
                            *removed = node("/etc/app/removed.conf"), *cur = node("/etc/app/current");

        write_file(cfg, "[plugins]\nsandbox_image = \"registry.k8s.io/pause:3.9\"\n", 54);
        if (chmod(cfg, 0644) < 0 || chown(cfg, 0, 0) < 0 || removexattr(cfg, "user.note") < 0 ||
            setxattr(cfg, "user.extra", "x", 1, 0) < 0)
                abort();
        if (unlink(tool) < 0 || unlink(removed) < 0 || unlink(cur) < 0)
                abort();
        write_file(cur, "now a file\n", 11);
        node_mkdir("/etc/app/new.d");
        node_mkdir("/etc/app/new.d/sub");
        node_write("/etc/app/new.d/sub/created.conf", "created\n", 0644);
}

bool mode_is(const char *path, mode_t want) {
        struct stat st;
        return lstat(path, &st) == 0 && (st.st_mode & 07777) == want && st.st_uid == geteuid();
}
