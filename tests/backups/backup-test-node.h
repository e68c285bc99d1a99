/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The node that test-backup.c backs up and restores: a tree under root_dir with all the metadata
 * a restore must bring back (xattrs, a POSIX ACL, odd modes, a non-root owner, a symlink), the
 * transaction that covers it, and a snapshot that shows two trees are identical.
 *
 *     root_dir = ...;                 (set by main() before anything else here runs)
 *     make_tree();
 *     before = snapshot(root_dir);
 *
 * No TAP checks here: the helpers abort the test when the machine fails them (chown, setxattr),
 * so a failure shows as a crash, never as a passing check. Needs root.
 */

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "remedy/backup.h"

#define OWNER 1234

/* The node's root directory. */
extern char *root_dir;

/* root_dir followed by path. */
char *node(const char *path);
void node_write(const char *path, const char *data, mode_t mode);
void node_mkdir(const char *path);
void node_mtime(const char *path, time_t sec, long nsec);

/* Every object below dir, sorted, with type, mode, owner, mtime, size, content hash or link
 * target and every xattr (ACLs included): two equal snapshots mean an identical tree. */
char *snapshot(const char *dir);

/* The node: what a transaction covers, with all the metadata a restore must bring back. */
void make_tree(void);
/* The paths the transaction covers, one of them twice. */
char **txn_paths(void);
/* The command and playbook the transaction records, with root_dir as its root. */
const TxnInfo *txn_info(void);
/* What apply would do: change content, mode, owner and xattrs, replace the symlink, remove two
 * files, create one in two new directories. */
void damage_tree(void);

/* path (not followed) has the mode bits want and is owned by us. */
bool mode_is(const char *path, mode_t want);
