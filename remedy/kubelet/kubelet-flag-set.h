/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What kubelet-flags.c needs from kubelet-flag-set.c beyond the public interface in
 * remedy/kubelet-flags.h: reading "-v 2" as pflag does means turning a shorthand letter into
 * its long name, and only the flag set knows the pairs.
 */

#include "remedy/kubelet-flags.h"

/* The long name (without dashes) of shorthand, or NULL when s is NULL or has no such shorthand. */
const char *kubelet_flag_set_long_name(const KubeletFlagSet *s, char shorthand);
