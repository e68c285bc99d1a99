/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Whether the node has swap, as the kubelet and kubeadm care: swap on now (live: /proc/swaps,
 * which is the kernel's and so the host's even in a container) and swap turned on at the next
 * boot (an fstab swap entry without noauto, or a zram swap device of zram-generator's
 * configuration, whose unit is not masked; offline this is all there is to see). Read through the
 * Context, so that a plan sees what earlier steps would leave.
 */

#include <stddef.h>

#include "remedy/fstab.h"
#include "remedy/zram-config.h"

typedef struct Context Context;

typedef struct SwapState {
        char *fstab;              /* the fstab read ("/etc/fstab") */
        FstabSwap *entries;       /* its swap entries */
        size_t n_entries;
        ZramSwap *zram;           /* zram-generator's swap devices, masked or not */
        size_t n_zram;
        char **at_boot;           /* "/etc/fstab:3: /swap.img (swap.img.swap)", "/usr/lib/systemd/zram-generator.conf:1:
                                   * [zram0] (dev-zram0.swap)": entries and devices turned on at boot */
        char **active;            /* live: the paths in /proc/swaps; NULL offline */
} SwapState;

void swap_state_done(SwapState *s);

/* fstab_path: the fstab to read ("/etc/fstab"); the zram-generator configuration is read from where
 * the generator reads it. A malformed fstab or zram configuration is a ctx_error (-EINVAL). */
int swap_state_read(Context *c, const char *fstab_path, SwapState *ret);
/* Live only: the paths in /proc/swaps now (NULL for none, or a kernel without swap). */
int swap_state_read_active(Context *c, char ***ret);

/* One line per swap found, for evidence: "on now: /swap.img (/proc/swaps)", "on at boot: ...". */
int swap_state_describe(const SwapState *s, char ***ret_lines);
