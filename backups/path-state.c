/* SPDX-License-Identifier: MIT */
/*
 * The state of a node path as rollback judges loss: kind, content hash, mode and owner. A
 * transaction records the state it left each path in; rollback compares the node with it to tell
 * "as we left it" from "changed since", by a later transaction or by hand.
 */
#include "remedy/backup.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "remedy/fileio.h"

void path_state_done(PathState *s) {
        if (!s)
                return;
        s->kind = mfree(s->kind);
        s->known = false;
}

static int set_kind(PathState *s, const char *kind) {
        s->kind = strdup(kind);
        return s->kind ? 0 : -ENOMEM;
}

static int path_state_read_at(int dir_fd, const char *base, PathState *ret) {
        PathState s = { .known = true };
        struct stat st;
        int r = 0;

        if (fstatat(dir_fd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno != ENOENT && errno != ENOTDIR)
                        return -errno;
                r = set_kind(&s, "absent");
        } else if (S_ISREG(st.st_mode)) {
                _cleanup_close_ int fd = openat(dir_fd, base, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
                if (fd < 0)
                        return -errno;
                if ((r = sha256_fd_hex(fd, s.sha256)) < 0)
                        return r;
                s.mode = st.st_mode & 07777;
                s.uid = st.st_uid;
                s.gid = st.st_gid;
                r = set_kind(&s, "file");
        } else if (S_ISLNK(st.st_mode)) {
                _cleanup_free_ char *target = NULL;
                if ((r = readlinkat_malloc(dir_fd, base, &target)) < 0)
                        return r;
                sha256_hex(target, strlen(target), s.sha256);
                s.uid = st.st_uid;
                s.gid = st.st_gid;
                r = set_kind(&s, "symlink");
        } else
                r = set_kind(&s, "other");
        if (r < 0)
                return r;
        *ret = s;
        return 0;
}

int path_state_read_via(Root *root, RootParent *parent, const char *path, PathState *ret) {
        const char *base;

        if (!root || !parent || !path || !ret)
                return -EINVAL;
        int pfd = root_parent_get_in_root(parent, root, path, &base);
        if (pfd == -ENOENT || pfd == -ENOTDIR) {
                PathState s = { .known = true, .kind = strdup("absent") };
                if (!s.kind)
                        return -ENOMEM;
                *ret = s;
                return 0;
        }
        if (pfd < 0)
                return pfd;
        return path_state_read_at(pfd, base, ret);
}

int path_state_read(Root *root, const char *path, PathState *ret) {
        _cleanup_(root_parent_done) RootParent parent = ROOT_PARENT_INIT;
        return path_state_read_via(root, &parent, path, ret);
}

bool path_state_equal(const PathState *a, const PathState *b) {
        if (!a->known || !b->known || !a->kind || !b->kind || !streq(a->kind, b->kind))
                return false;
        if (streq(a->kind, "absent"))
                return true;
        /* "other" (a directory where a file was) never counts as the state a transaction left. */
        if (streq(a->kind, "other"))
                return false;
        return streq(a->sha256, b->sha256) && a->mode == b->mode && a->uid == b->uid && a->gid == b->gid;
}
