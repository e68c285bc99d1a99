/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "remedy/kubelet-flags.h"

typedef struct Context Context;

/*
 * The flag set of the node's kubelet: live, from `BINARY --help` (binary NULL: /usr/bin/kubelet;
 * a missing binary falls back to the list); otherwise, or with a version given ("1.33"), from the
 * shipped list for that version or the node's kubelet package version. *ret stays NULL when no
 * version is known and required is false; with required, that is an error. Errors through
 * ctx_error.
 */
int kubelet_node_flag_set(Context *c, const char *binary, const char *version, bool required, KubeletFlagSet **ret);

/* For a kubelet whose version cannot be known (no package database, offline): ever, the flags
 * some kubelet version accepts, and always, those every one does, from the shipped list. Errors
 * through ctx_error. */
int kubelet_node_flag_sets_unversioned(Context *c, KubeletFlagSet **ret_ever, KubeletFlagSet **ret_always);

/*
 * The flags to judge the node's kubelet by: kubelet_node_flag_set()'s; when no version can be
 * had, the flags some kubelet version accepts, so that only what no kubelet accepts counts as
 * rejected, with *ret_always (otherwise NULL) the flags every version accepts: the rest of *ret
 * could not be judged. Errors through ctx_error.
 */
int kubelet_node_judging_set(Context *c, const char *binary, const char *version, KubeletFlagSet **ret,
                             KubeletFlagSet **ret_always);

/* The minor version of the node's kubelet (33 for 1.33): version when given ("1.33"), else live
 * the kubelet's own --version, else its dpkg or RPM package's. 1 with *ret_minor, 0 when it cannot
 * be told; a malformed version given is an error through ctx_error. */
int kubelet_node_minor(Context *c, const char *version, unsigned *ret_minor);
