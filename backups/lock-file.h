/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Private to backups/: taking an OFD lock on a file that names its holder (lock-file.c), for the
 * store's lock (store.c) and the node's (node-lock.c).
 */

#include <sys/types.h>

/*
 * Creates dir_fd/name (0600, never through a symlink) and takes a write OFD lock on it without
 * waiting; then writes "PID\n" and note (may be NULL) into it. The fd holding the lock goes to
 * *ret_fd. -EBUSY when another process holds it, with its pid in *ret_holder (0 if unknown).
 */
int lock_file_take(int dir_fd, const char *name, const char *note, int *ret_fd, pid_t *ret_holder);
