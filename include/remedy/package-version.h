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

#include "remedy/fileio.h"
#include "remedy/node-fs.h"

#define DPKG_STATUS "/var/lib/dpkg/status"

int package_version(const NodeFS *fs, const char * const *names, char **ret_version, char **ret_source);

/*
 * The same from the node's RPM database (rpmdb.sqlite in /var/lib/rpm or /usr/lib/sysimage/rpm:
 * RHEL 9, Rocky, Amazon Linux 2023, Fedora), asked of this machine's rpm on a private copy, so that
 * nothing is written to the node. Read from the node as it is on disk, not through a NodeFS: no
 * playbook step writes a package database. 1 with the version ("1.29.3") and the database's path,
 * 0 when there is no database or none of the names is installed, -ENOPKG when there is one but
 * no /usr/bin/rpm on this machine to read it, <0 on other errors. Without rpmdb.sqlite, the
 * Berkeley DB database of RHEL 8 and older (Packages, with its Name index) is read the same way,
 * by rpm's read-only bdb_ro backend. The database is copied and read (`rpm -qa`) once per root:
 * the packages are kept on the Root (Root.rpm_packages) and every later question is answered from
 * them, so a run that asks several times execs rpm once.
 */
int rpm_package_version(Root *root, const char * const *names, char **ret_version, char **ret_source);

/* The "MAJOR.MINOR" of a Debian or RPM version ("1:1.7.24-1" -> 1, 7): 0, or -EINVAL when it does
 * not start with two numbers. */
int package_version_minor(const char *version, unsigned *ret_major, unsigned *ret_minor);
