/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The zram swap devices zram-generator (Fedora's default, Debian's systemd-zram-generator) sets
 * up at boot, read from the node's zram-generator.conf files through the Context, so that a plan
 * sees what earlier steps would leave. Read as zram-generator 1.1 reads them:
 *
 *   - the main file is the first of /run, /etc, /usr/local/lib, /usr/lib + /systemd/zram-generator.conf
 *     that exists (a link to /dev/null exists and is empty: that is how an operator turns the
 *     vendor's file off); only that one is read;
 *   - then the drop-ins *.conf (not hidden) of the zram-generator.conf.d/ directories under the
 *     same four, sorted by file name; of entries with the same name the one in /run wins, then
 *     /etc, /usr/local/lib, /usr/lib. A link to /dev/null removes the name; any other link, a
 *     directory or a dangling entry is skipped, as liboverdrop does;
 *   - each [zramN] section (N decimal digits) is a device, later files setting its keys again;
 *     other sections and keys outside a section are ignored;
 *   - a device is swap unless mount-point= is set or fs-type= is not "swap", and it is set up
 *     unless its size is literally 0: zram-size=0, or (when zram-fraction= or max-zram-size=
 *     is set, which override zram-size=) either of those 0. Sizes are expressions of the node's
 *     RAM that are not evaluated, and host-memory-limit= depends on that RAM: such a device
 *     counts as set up.
 *
 * Nothing is set up when the node has no zram-generator in systemd's generator directories (a
 * configuration a removed package left behind).
 *
 * Not seen: the kernel command line (systemd.zram=1 makes zram0 without any file, =0 turns
 * every device off), which is not among the node's files.
 *
 * The generator names each device's unit as systemd names a path: "dev-zram0.swap".
 */

#include <stddef.h>

typedef struct Context Context;

#define ZRAM_CONFIG_NAME "zram-generator.conf"

typedef struct ZramSwap {
        char *device;    /* "zram0" */
        char *unit;      /* "dev-zram0.swap" */
        char *file;      /* the file of the device's first section header, as read ("/usr/lib/systemd/zram-generator.conf") */
        unsigned line;   /* that header's line, 1-based */
} ZramSwap;

void zram_swaps_free(ZramSwap *s, size_t n);

/*
 * The zram swap devices the node's configuration sets up at boot, in device order (zram0 before
 * zram1). A file the generator cannot load (a section header without its "]", a line with no "="
 * or ":", an empty key, an empty zram-size=, a relative mount-point=, a main file that is a
 * directory) is a ctx_error "FILE:LINE: reason" (-EINVAL): the generator fails on it and sets up
 * nothing.
 */
int zram_config_swaps(Context *c, ZramSwap **ret, size_t *ret_n);
