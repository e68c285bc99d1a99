/* SPDX-License-Identifier: MIT */
#include "remedy/swap-state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/context.h"
#include "remedy/fileio.h"
#include "remedy/strv.h"
#include "remedy/unit-file.h"

void swap_state_done(SwapState *s) {
        free(s->fstab);
        fstab_swaps_free(s->entries, s->n_entries);
        zram_swaps_free(s->zram, s->n_zram);
        strv_free(s->at_boot);
        strv_free(s->active);
        *s = (SwapState) {};
}

/* The kernel's list. /proc is not part of the node's files: it is read from this machine, which
 * live is the node. */
int swap_state_read_active(Context *c, char ***ret) {
        _cleanup_free_ char *data = NULL;
        _cleanup_close_ int fd = open("/proc/swaps", O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT) {   /* a kernel without swap support */
                        *ret = NULL;
                        return 0;
                }
                return ctx_error(c, -errno, "/proc/swaps: %s", strerror(errno));
        }
        int r = read_full_fd(fd, NODE_FILE_MAX, &data, NULL);
        if (r < 0)
                return ctx_error(c, r, "/proc/swaps: %s", strerror(-r));
        r = proc_swaps_parse(data, ret);
        return r == -EBADMSG ? ctx_error(c, r, "/proc/swaps: not in the kernel's format") : r;
}

/* A masked unit is not started at boot, whatever made it (the fstab, zram-generator). */
static bool unit_is_masked(const NodeFS *fs, const char *unit) {
        _cleanup_free_ char *error = NULL;
        UnitFileState state;
        return unit_file_get_state(fs, unit, &state, &error) >= 0 &&
               (state == UNIT_FILE_MASKED || state == UNIT_FILE_MASKED_RUNTIME);
}

int swap_state_read(Context *c, const char *fstab_path, SwapState *ret) {
        _cleanup_(swap_state_done) SwapState s = {};
        _cleanup_strv_free_ char **notes = NULL;
        const NodeFile *f;
        int r;

        if (!(s.fstab = strdup(fstab_path)))
                return -ENOMEM;
        if ((r = ctx_read(c, fstab_path, true, &f)) < 0)
                return r;
        if (f->kind == FILE_REGULAR) {
                r = fstab_swaps(f->data, f->size, &s.entries, &s.n_entries, &notes);
                if (r < 0)
                        return r;
                STRV_FOREACH(n, notes)
                        if ((r = ctx_note(c, "%s:%s", fstab_path, *n)) < 0)
                                return r;
        } else if (f->kind != FILE_ABSENT)
                return ctx_error(c, -EINVAL, "%s: is a %s, not an fstab", fstab_path, file_kind_name(f->kind));

        if ((r = zram_config_swaps(c, &s.zram, &s.n_zram)) < 0)
                return r;

        const NodeFS fs = ctx_node_fs(c);
        for (size_t i = 0; i < s.n_entries; i++) {
                const FstabSwap *e = &s.entries[i];
                _cleanup_free_ char *line = NULL;
                if (e->noauto || unit_is_masked(&fs, e->unit))
                        continue;
                if (asprintf(&line, "%s:%u: %s (%s)", fstab_path, e->line, e->source, e->unit) < 0 ||
                    strv_consume(&s.at_boot, TAKE_PTR(line)) < 0)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < s.n_zram; i++) {
                const ZramSwap *z = &s.zram[i];
                _cleanup_free_ char *line = NULL;
                if (unit_is_masked(&fs, z->unit))
                        continue;
                if (asprintf(&line, "%s:%u: [%s] (%s)", z->file, z->line, z->device, z->unit) < 0 ||
                    strv_consume(&s.at_boot, TAKE_PTR(line)) < 0)
                        return -ENOMEM;
        }
        if (!c->offline && (r = swap_state_read_active(c, &s.active)) < 0)
                return r;
        *ret = s;
        s = (SwapState) {};
        return 0;
}

int swap_state_describe(const SwapState *s, char ***ret_lines) {
        _cleanup_strv_free_ char **lines = NULL;
        char *line;
        STRV_FOREACH(p, s->active)
                if (asprintf(&line, "swap on now: %s (/proc/swaps)", *p) < 0 || strv_consume(&lines, line) < 0)
                        return -ENOMEM;
        STRV_FOREACH(p, s->at_boot)
                if (asprintf(&line, "swap on at boot: %s", *p) < 0 || strv_consume(&lines, line) < 0)
                        return -ENOMEM;
        *ret_lines = TAKE_PTR(lines);
        return 0;
}
