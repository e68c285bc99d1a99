/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Runs a program without a shell: fork and execve of an argv whose argv[0] is an absolute path,
 * with a fixed minimal environment (PATH, LC_ALL=C: output is parsed), stdin from /dev/null,
 * stdout captured up to max bytes, stderr discarded, and a timeout after which the child is killed.
 * Used for the node's own tools (kubelet --help, later containerd config dump).
 */

#include <stddef.h>
#include <sys/types.h>

/*
 * Returns 0 with the captured stdout (NUL-terminated) and the exit status (or 128+signal), or
 * -ENOENT/-EACCES when it cannot be executed, -ETIMEDOUT when it ran too long, -EFBIG when it
 * printed more than max bytes.
 */
int exec_capture(char * const *argv, unsigned timeout_ms, size_t max, char **ret_out, size_t *ret_size,
                 int *ret_status);

/* nobody and nogroup, as Debian and systemd number them. */
#define UID_NOBODY ((uid_t) 65534)
#define GID_NOBODY ((gid_t) 65534)

/*
 * exec_capture() for a program that parses what the node gives it (rpm reading a copy of the
 * node's database): run as root, the child drops to nobody:nogroup without supplementary groups
 * before execve, with no_new_privs set, so a hostile input reaches the parser without root's
 * rights. Whatever the program must read has to be readable by nobody. A failure to drop is
 * reported like a failure to exec (-EPERM...), and the program is not run.
 */
int exec_capture_unprivileged(char * const *argv, unsigned timeout_ms, size_t max, char **ret_out, size_t *ret_size,
                              int *ret_status);
