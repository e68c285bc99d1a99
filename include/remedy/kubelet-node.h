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
