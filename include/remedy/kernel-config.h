/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The kernel settings a node needs for pods (FAILURES.md B.16, B.28): sysctls and modules, as the
 * node sets them at boot and as the running kernel has them now.
 *
 * At boot, systemd-sysctl applies the sysctl.d files and systemd-modules-load loads the modules
 * the modules-load.d files list. Both read their directories by the rules of sysctl.d(5) and
 * modules-load.d(5): /etc, /run, /usr/local/lib, /usr/lib and /lib, a file in an earlier directory
 * hiding one of the same name in a later one (a symlink to /dev/null or an empty file hides it
 * and sets nothing), all the files then read in the order of their names, whichever directory
 * they are in. For sysctls the last assignment read wins. sysctl_boot_value() follows those
 * rules through the Context, so it sees the files as the earlier steps of a run would leave them,
 * offline too; that is all an offline (--root) run can judge.
 *
 * Live, the running kernel's values are /proc/sys and /proc/modules of the machine remedy runs on
 * (the node). sysctl_live_read() and kernel_module_loaded() read them; sysctl_live_write() and
 * kernel_module_load() change them, kernel_module_unload() puts a module back out. Writes go to
 * the kernel only: they are never done for --root.
 */

#include <stdbool.h>

#include "remedy/macro.h"

typedef struct Context Context;

/* The directories sysctl.d(5) and modules-load.d(5) name, highest priority first. */
extern const char * const sysctl_dirs[];
extern const char * const modules_load_dirs[];

/*
 * Whether the running kernel is the node's to read and change: live, on the host's own root, and
 * not in a container (systemd's /run/systemd/container, Docker's /.dockerenv, Podman's
 * /run/.containerenv), whose kernel is the host's. When false, only the files are judged and
 * written.
 */
bool kernel_is_nodes(const Context *c);

/* A sysctl name: dotted ("net.ipv4.ip_forward") or slashed as systemd-sysctl accepts it, turned
 * into the dotted form. -EINVAL for anything else (empty parts, "..", characters /proc/sys has
 * no files for). */
int sysctl_name_normalize(const char *name, char **ret);

/*
 * What the node's sysctl.d files set key to at boot: *ret_value (NULL when none sets it) and the
 * file of the assignment that wins (*ret_file, may be NULL). *ret_last_other gets the name of the
 * last file in reading order that sets it to anything other than want (NULL when none does, or
 * when want is NULL): a file of ours must sort after it. With at_least, a number at least want
 * counts as want. Errors through ctx_error.
 */
int sysctl_boot_value(Context *c, const char *key, const char *want, bool at_least, char **ret_value,
                      char **ret_file, char **ret_last_other);

/*
 * The name of the sysctl.d file to write so that it is read after last_other (the path of the
 * file that sets the key otherwise, or NULL): "90-NAME", else "99-zz-NAME", else last_other's stem
 * followed by ".zz-NAME" (which sorts right after it); last_other itself when it is
 * /etc/sysctl.d/90-NAME or 99-zz-NAME. *ret_file gets /etc/sysctl.d/THAT.
 * Candidates that already exist in /etc/sysctl.d and qualify are preferred, so that the steps of
 * one playbook share a file.
 */
int sysctl_file_choose(Context *c, const char *name, const char *last_other, char **ret_file);

/* A file name for a conf directory: NAME.conf, no path, no leading dot, plain characters. */
int kernel_conf_name_check(const char *name);

/* data (a sysctl.d file, may be NULL for a new one, then header starts it) with every explicit
 * assignment of key replaced by "key = value", or that line appended. */
int sysctl_file_set(const char *data, const char *header, const char *key, const char *value, char **ret);

/* data (a modules-load.d file, NULL for a new one) with name appended. */
int modules_load_file_add(const char *data, const char *header, const char *name, char **ret);

/* "net.ipv4.ip_forward" -> "/proc/sys/net/ipv4/ip_forward". */
int sysctl_proc_path(const char *key, char **ret);

/* The running kernel's value, whitespace trimmed; -ENOENT when /proc/sys has no such file (the
 * module that makes it is not loaded). */
int sysctl_live_read(const char *key, char **ret);
int sysctl_live_write(const char *key, const char *value);

/* value satisfies want: equal after trimming, or with at_least both numbers and value >= want. */
bool sysctl_value_satisfies(const char *value, const char *want, bool at_least);

/* A module name as modules-load.d and /proc/modules spell it ("br_netfilter"; a '-' is a '_').
 * -EINVAL for anything that is not a module name. */
int kernel_module_name_normalize(const char *name, char **ret);

/* Whether the node's modules-load.d files load name at boot: the file that lists it, or NULL. */
int kernel_module_boot_file(Context *c, const char *name, char **ret_file);

/* Live: the module is in the kernel (/proc/modules, or /sys/module/NAME for a built-in one). */
bool kernel_module_loaded(const char *name);

/*
 * Loads the module and what it depends on by running the node's modprobe with argv (no shell):
 * modprobe follows modules.dep, the options and blacklists of modprobe.d and compressed modules as
 * systemd-modules-load's libkmod does, which a bare finit_module(2) of one file would not. Returns
 * -ENOENT when there is no modprobe, -EIO (with *ret_error) when it fails.
 */
int kernel_module_load(const char *name, char **ret_error);

/* Takes a module out again (delete_module(2), not waiting: -EBUSY/-EAGAIN while it is in use);
 * only the module itself, not what modprobe loaded with it. */
int kernel_module_unload(const char *name);
