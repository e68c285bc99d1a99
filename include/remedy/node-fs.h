/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * How the readers of node files (unit files and drop-ins, the kubelet's command line and config,
 * containerd's configuration and its imports) see the node: through a NodeFS, so that a reader
 * sees the node as the earlier steps of a run would leave it (ctx_node_fs(), the Context's
 * overlay) and a test can hand it a plain directory.
 *
 *     const NodeFS fs = ctx_node_fs(c);
 *     const NodeFile *f;
 *     r = fs.read(fs.userdata, "/etc/containerd/config.toml", true, &f);
 *
 * read() has ctx_read()'s contract: paths are resolved inside the node's root, a final symlink
 * is followed when follow is true, and the NodeFile is borrowed (it holds the canonical path;
 * kind FILE_ABSENT when there is nothing). glob() has ctx_glob()'s: the canonical paths, sorted,
 * matching a pattern in the last component.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "remedy/macro.h"

typedef enum FileKind {
        FILE_ABSENT,
        FILE_REGULAR,
        FILE_SYMLINK,
        FILE_DIRECTORY,
        FILE_OTHER,
} FileKind;

/* A file as it is on the node, or as the planned steps so far would leave it. */
typedef struct NodeFile {
        char *path;          /* canonical node path */
        FileKind kind;
        char *data;          /* regular: content (NUL-terminated); symlink: target */
        size_t size;
        mode_t mode;         /* permission bits (07777) */
        uid_t uid;
        gid_t gid;
} NodeFile;

NodeFile *node_file_free(NodeFile *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(NodeFile *, node_file_free);
NodeFile *node_file_copy(const NodeFile *f);
const char *file_kind_name(FileKind k);


typedef struct NodeFS {
        int (*read)(void *userdata, const char *path, bool follow, const NodeFile **ret);
        int (*glob)(void *userdata, const char *pattern, char ***ret_paths);
        void *userdata;
} NodeFS;
