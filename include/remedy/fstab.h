/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Swap in /etc/fstab: which lines are swap entries (parsed by util-linux's libmount, line by line
 * so that each entry keeps its line number and bytes), the unit systemd-fstab-generator makes of
 * each, and the file with those lines commented out and every other byte as it was. And the
 * mount that holds a path, with its noexec, from the fstab or a .mount unit.
 */

#include <stdbool.h>
#include <stddef.h>

#define FSTAB_PATH "/etc/fstab"

typedef struct FstabSwap {
        unsigned line;       /* 1-based */
        size_t start, end;   /* the line's bytes, without its newline */
        char *source;        /* as libmount reads it: "UUID=0f4e...", "/swap.img" */
        char *node;          /* the device node or file systemd names the unit after */
        char *unit;          /* "swap.img.swap", "dev-disk-by\x2duuid-0f4e....swap" */
        bool noauto;         /* not turned on at boot (nor by swapon -a) */
} FstabSwap;

void fstab_swaps_free(FstabSwap *s, size_t n);

/*
 * The swap entries of an fstab, in order. Comment lines are skipped, as systemd and swapon do. A
 * line libmount cannot parse (libmount skips it, and so does systemd-fstab-generator) and a swap
 * source systemd cannot name a unit after (a path with "..": the generator logs it and goes on)
 * are skipped too, each with a line in *ret_notes, "LINE: reason" (NULL when there is none): they turn nothing on
 * at boot, but the operator should hear of them. Errors are only -ENOMEM.
 */
int fstab_swaps(const char *data, size_t size, FstabSwap **ret, size_t *ret_n, char ***ret_notes);

/* data with each of the n entries' lines prefixed by "#"; nothing else changes. */
int fstab_comment_out(const char *data, size_t size, const FstabSwap *s, size_t n, char **ret, size_t *ret_size);

/*
 * systemd-fstab-generator's fstab_node_to_udev_node(): LABEL=, UUID=, PARTUUID= and PARTLABEL=
 * name links under /dev/disk/by-*, their value encoded as udev encodes it; a path, or a tag
 * systemd 252 does not know (ID=), is itself as written.
 */
int fstab_source_to_node(const char *tag, const char *value, char **ret);

/*
 * Mounts: whether a path's filesystem is mounted noexec at boot (203/EXEC of a binary with its
 * execute bits, diagnose-exec.c), from the fstab and the operator's .mount units.
 */
typedef struct FstabMount {
        unsigned line;       /* 1-based: the fstab line, or the unit's Options= line (0: none) */
        char *target;        /* the mount point, as libmount reads it */
        bool noexec;
        bool options_set;    /* a unit's Options= was assigned (an empty one too) */
} FstabMount;

void fstab_mount_done(FstabMount *m);

/* Whether mount options (mount(8)'s "defaults,noexec") make a filesystem noexec, as libmount maps
 * them to MS_ flags: the last of exec and noexec wins, and "defaults" means exec. */
bool mount_options_noexec(const char *options);

/* A mount point's length without trailing slashes ("/" is 0: it holds every path). */
size_t mount_point_len(const char *target);
/* Whether mount point target holds path: path is target or below it ("/" holds every path). */
bool mount_point_holds(const char *target, const char *path);

/*
 * The fstab entry that mounts path's filesystem at boot: of the entries whose mount point holds
 * path, the one with the longest mount point (swap entries, noauto ones and lines libmount cannot
 * parse are skipped, as systemd-fstab-generator mounts none of them at boot). 1 with *ret filled,
 * 0 when no entry holds path, -ENOMEM.
 */
int fstab_mount_for(const char *data, size_t size, const char *path, FstabMount *ret);

/*
 * A .mount unit's [Mount] Where= and Options= (the last assignment of each wins, an empty one
 * resets), with the line of that Options=, over the unit's fragment (data[0]) and its drop-ins in
 * the order systemd reads them: 0 with *ret filled, its target NULL without Where= (systemd takes
 * it from the unit's name), or -ENOMEM. *ret_options_file: the index of the file whose Options=
 * won.
 */
int mount_unit_parse_files(const char * const *data, size_t n, FstabMount *ret, size_t *ret_options_file);

/*
 * The swap areas the kernel has on, from the text of /proc/swaps: the first column of each line
 * after the header, with the kernel's octal escapes (\040) undone. -EBADMSG for text that is not
 * in that format.
 */
int proc_swaps_parse(const char *data, char ***ret_paths);
