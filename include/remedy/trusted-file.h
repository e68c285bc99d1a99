/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Files remedy takes instructions or content from on the machine it runs on: playbooks, a
 * playbook's `source:`, a `copy` src. Running as root, remedy acts on such a file only when no one
 * but root, or the user who ran sudo, could have written it or replaced it: the file is owned by
 * one of them and is not writable by its group or others (OpenBSD doas' rule for its
 * configuration), and so is every directory on its path, except that a sticky directory such as
 * /tmp may be writable by all (no one can rename or remove another's entry in it). The file is
 * opened with O_NOFOLLOW|O_NONBLOCK and checked with fstat() before a byte is read: a symlink, a
 * FIFO or a device is refused at once instead of followed, hanging the run or read forever.
 * Not running as root, there is no privilege to protect and only the file type is checked.
 *
 *     _cleanup_free_ char *error = NULL;
 *     _cleanup_close_ int fd = trusted_file_open(path, TRUST_FILE_TO_INSTALL, &error);
 *     if (fd < 0)
 *             return fail(ret_error, fd, "%s", error);   (error says which file and why)
 *
 * Functions return negative errno; -EPERM for a file or directory that is not trusted, with
 * one line in *ret_error naming it and saying how to fix it.
 */

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

typedef enum TrustRole {
        TRUST_PLAYBOOK,          /* "refuses playbooks anyone else could change" */
        TRUST_FILE_TO_INSTALL,   /* "refuses files to install that anyone else could change" */
} TrustRole;

/* root, the real uid, and the uid sudo names in SUDO_UID. */
bool trusted_owner(uid_t uid);

/* The owner and mode rules for one file or directory (what: "the file", "the playbook
 * directory"...); 0 when not running as root. */
int trusted_check_stat(const struct stat *st, const char *path, const char *what, TrustRole role, char **ret_error);

/* The rules for dir and every directory above it, walked from "/" by file descriptor. */
int trusted_check_dirs(const char *dir, TrustRole role, char **ret_error);

/* Opens a regular file for reading after the checks above on it and on its directories. */
int trusted_file_open(const char *path, TrustRole role, char **ret_error);
