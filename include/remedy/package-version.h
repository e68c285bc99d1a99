/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The version of a package installed on the node, from its package database as the node's own
 * package manager would report it, read through a NodeFS (so offline under --root too):
 *
 *     _cleanup_free_ char *version = NULL, *source = NULL;
 *     r = package_version(&fs, (const char * const[]) { "containerd", "containerd.io", NULL },
 *                         &version, &source);
 *     if (r > 0) ... version "1.7.24-1", source "/var/lib/dpkg/status" ...
 *
 * Read: dpkg's status file (Debian, Ubuntu). The first name that is installed wins. Returns 1
 * with the version, 0 when none of the names is installed or there is no database, <0 on I/O
 * errors.
 */

#include "remedy/node-fs.h"

#define DPKG_STATUS "/var/lib/dpkg/status"

int package_version(const NodeFS *fs, const char * const *names, char **ret_version, char **ret_source);

/* The "MAJOR.MINOR" of a Debian or RPM version ("1:1.7.24-1" -> 1, 7): 0, or -EINVAL when it does
 * not start with two numbers. */
int package_version_minor(const char *version, unsigned *ret_major, unsigned *ret_minor);
