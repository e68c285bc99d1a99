/* SPDX-License-Identifier: MIT */
/*
 * swap-off: {fstab: PATH}          (fstab defaults to /etc/fstab)
 *
 * Swap off now and at every boot, as kubeadm wants it (`swapoff -a`, the fstab's swap lines
 * commented out, every swap unit masked):
 *
 *   - each swap line of the fstab is commented out with a leading '#', every other byte kept;
 *   - every swap unit is masked: the ones systemd-fstab-generator makes of those lines (named as
 *     it names them), the dev-zramN.swap of each swap device zram-generator's configuration sets
 *     up (offline too; the configuration itself is left as it is, a package upgrade would bring
 *     it back) and, live, every swap unit systemd has loaded (from /proc/swaps, zram generators,
 *     hand-written .swap units). Masking keeps a unit that comes from elsewhere than the fstab
 *     from turning swap back on at boot;
 *   - live, each active swap unit is stopped over the bus, which is systemd running swapoff (one
 *     stop per device: the units of its other names follow the one stopped).
 *
 * The fstab and the mask links are file operations (diffed, archived, restored by rollback); the
 * units touched are recorded, so a rollback turns swap that was on back on.
 *
 * Live, swap in /proc/swaps that systemd has no unit for is refused: systemd in a container does
 * not manage swap, and the swap there is the host's. The kubelet in such a node sees the host's
 * swap, and kubelet-allow-swap is the fix there.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/context.h"
#include "remedy/engine.h"
#include "remedy/strv.h"
#include "remedy/swap-state.h"
#include "remedy/systemd-bus.h"
#include "remedy/unit-file.h"

typedef struct SwapOffArgs {
        Template *fstab;
} SwapOffArgs;

typedef struct SwapOffData {
        bool offline;
        size_t n_fstab_ops;     /* the first ops: the fstab edit (0 or 1) */
        char **mask;            /* live: units to mask over the bus */
        char **stop;            /* live: active units to stop */
        char **active;          /* live: every active swap unit, followers too */
} SwapOffData;

static void swap_off_data_free(void *p) {
        SwapOffData *d = p;
        if (!d)
                return;
        strv_free(d->mask);
        strv_free(d->stop);
        strv_free(d->active);
        free(d);
}

static void swap_off_free(void *p) {
        SwapOffArgs *a = p;
        if (!a)
                return;
        template_free(a->fstab);
        free(a);
}

static int swap_off_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "fstab", NULL };
        SwapOffArgs *a = calloc(1, sizeof(SwapOffArgs));
        int r;

        if (!a)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "swap-off", keys)) < 0 ||
            (r = parse_template(pc, args, "fstab", false, TEMPLATE_PATH, "a path", &a->fstab)) < 0) {
                swap_off_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

static bool is_active(const char *active_state) {
        return streq(active_state, "active") || streq(active_state, "activating") || streq(active_state, "reloading");
}

/* The fstab with its swap lines commented out. */
static int plan_fstab(Context *c, Change *change, const char *path, const SwapState *s, FILE *note) {
        _cleanup_free_ char *edited = NULL;
        size_t size;
        const NodeFile *f;
        int r;

        if (s->n_entries == 0)
                return 0;
        if ((r = ctx_read(c, path, true, &f)) < 0)
                return r;
        if ((r = fstab_comment_out(f->data, f->size, s->entries, s->n_entries, &edited, &size)) < 0)
                return r;
        if ((r = ctx_want_file(c, change, path, edited, size, f->mode, f->uid, f->gid)) < 0)
                return r;
        fprintf(note, "comments out %s:", path);
        for (size_t i = 0; i < s->n_entries; i++)
                fprintf(note, "%s%u (%s)", i ? ", " : "", s->entries[i].line, s->entries[i].source);
        return 1;
}

/* Live: the swap units systemd knows, and swap it has no unit for (a container). */
static int plan_live_units(Context *c, const SwapState *s, char ***names, SwapOffData *d, Change *change, FILE *note) {
        _cleanup_strv_free_ char **loaded = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        if (!c->bus)
                return ctx_error(c, -ENOTCONN, "swap-off: no connection to systemd");
        if ((r = systemd_bus_list_units(c->bus, "*.swap", &loaded, &error)) < 0)
                return ctx_error(c, r, "%s", error ? error : strerror(-r));
        STRV_FOREACH(n, loaded)
                if (strv_extend_unique(names, *n) < 0)
                        return -ENOMEM;

        STRV_FOREACH(p, s->active) {
                _cleanup_free_ char *unit = NULL;
                if (unit_name_from_path(*p, ".swap", &unit) < 0 || !strv_contains(loaded, unit))
                        return ctx_error(c, -EOPNOTSUPP,
                                         "swap-off: %s is on (/proc/swaps) but systemd has no unit for it: systemd does "
                                         "not manage swap in a container, and the swap there is the host's; turn it off "
                                         "where it was turned on, or keep it and apply kubelet-allow-swap", *p);
        }

        STRV_FOREACH(n, *names) {
                _cleanup_(unit_state_done) UnitState st = {};
                _cleanup_free_ char *state_error = NULL;
                if ((r = systemd_bus_get_unit_state(c->bus, *n, &st, &state_error)) < 0)
                        return ctx_error(c, r, "%s: %s", *n, state_error ? state_error : strerror(-r));
                /* One swap device has a unit for each of its names (/dev/vda, its by-uuid and
                 * by-path links...), all but one following that one. Stopping it runs swapoff
                 * once and takes the others down with it; a stop job for a follower as well
                 * would run swapoff again on a device that is already off and leave it failed. */
                bool stop = is_active(st.active_state) && !*st.following;
                bool mask = !streq(st.unit_file_state, "masked");
                if (is_active(st.active_state) && strv_extend(&d->active, *n) < 0)
                        return -ENOMEM;
                if (!stop && !mask)
                        continue;
                if ((stop && strv_extend(&d->stop, *n) < 0) || (mask && strv_extend(&d->mask, *n) < 0))
                        return -ENOMEM;
                if ((r = change_add_unit(change, *n, st.unit_file_state, st.active_state)) < 0)
                        return r;
                if (stop)
                        fprintf(note, "%sstops %s (now %s)", ftell(note) > 0 ? "; " : "", *n, st.active_state);
        }
        return 0;
}

static int plan_masks(Context *c, Change *change, char * const *names, FILE *note) {
        const NodeFS fs = ctx_node_fs(c);
        bool first = true;
        STRV_FOREACH(n, names) {
                _cleanup_(unit_links_done) UnitLinks links = {};
                _cleanup_free_ char *error = NULL;
                int r = unit_plan_mask(&fs, *n, &links, &error);
                if (r < 0)
                        return error ? ctx_error(c, r, "mask %s: %s", *n, error) : r;
                if ((r = ctx_want_unit_links(c, change, &links, "mask", NULL)) < 0)
                        return r;
                if (r > 0) {
                        fprintf(note, "%s%s", first ? (ftell(note) > 0 ? "; masks " : "masks ") : ", ", *n);
                        first = false;
                }
        }
        return 0;
}

static int swap_off_plan(Context *c, const void *p, Change *change) {
        const SwapOffArgs *a = p;
        _cleanup_(swap_state_done) SwapState s = {};
        _cleanup_free_ char *path = NULL, *note_text = NULL;
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_fclose_ FILE *note = NULL;
        size_t note_size = 0;
        int r;

        SwapOffData *d = calloc(1, sizeof(SwapOffData));
        if (!d)
                return -ENOMEM;
        change->data = d;
        change->free_data = swap_off_data_free;
        d->offline = c->offline;

        if ((r = ctx_render_or(c, a->fstab, FSTAB_PATH, &path)) < 0)
                return r;
        if ((r = swap_state_read(c, path, &s)) < 0)
                return r;
        note = open_memstream(&note_text, &note_size);
        if (!note)
                return -ENOMEM;

        if ((r = plan_fstab(c, change, path, &s, note)) < 0)
                return r;
        d->n_fstab_ops = change->n_ops;
        for (size_t i = 0; i < s.n_entries; i++)
                if (strv_extend_unique(&names, s.entries[i].unit) < 0)
                        return -ENOMEM;
        for (size_t i = 0; i < s.n_zram; i++)
                if (strv_extend_unique(&names, s.zram[i].unit) < 0)
                        return -ENOMEM;
        if (!c->offline && (r = plan_live_units(c, &s, &names, d, change, note)) < 0)
                return r;
        strv_sort(names);
        if ((r = plan_masks(c, change, names, note)) < 0)
                return r;

        if (fclose(note) != 0) {
                note = NULL;
                return -ENOMEM;
        }
        note = NULL;
        if (change->n_ops > 0 || d->stop)
                change->status = CHANGE_PENDING;
        if (note_size > 0 && (r = change_set_note(change, "%s", note_text)) < 0)
                return r;
        return change->status == CHANGE_PENDING;
}

/* systemd stops the units of a device's other names along with the one stopped, each running its
 * own swapoff at the same time; all but the first fail with EINVAL and leave their unit "failed"
 * (systemd 252; systemd#11577 and #13182 are about the same fan-out). The swap is off all the same,
 * and failed units would make the node "degraded": they are cleared as `systemctl reset-failed`
 * would, once /proc/swaps lists no swap. If it still lists some, the units stay as they are, for
 * the operator to read, and the swap check fails the verify. */
static int reset_failed_followers(Context *c, char * const *units) {
        _cleanup_strv_free_ char **swaps = NULL;
        int r;

        if ((r = swap_state_read_active(c, &swaps)) < 0)
                return r;
        if (swaps && *swaps)
                return 0;
        STRV_FOREACH(n, units) {
                _cleanup_(unit_state_done) UnitState st = {};
                _cleanup_free_ char *error = NULL;
                if ((r = systemd_bus_get_unit_state(c->bus, *n, &st, &error)) < 0)
                        return ctx_error(c, r, "%s", error ? error : strerror(-r));
                if (!streq(st.active_state, "failed"))
                        continue;
                if ((r = systemd_bus_reset_failed(c->bus, *n, &error)) < 0)
                        return ctx_error(c, r, "%s", error ? error : strerror(-r));
        }
        return 0;
}

static int swap_off_apply(Context *c, const void *p, Change *change) {
        const SwapOffData *d = change->data;
        _cleanup_free_ char *error = NULL;
        int r;

        if (d->offline) {
                r = change_apply_files(c->root, change, &error);
                return r < 0 ? ctx_error(c, r, "%s", error ? error : strerror(-r)) : 0;
        }

        /* The fstab is a plain file; the masks are made by systemd, as systemctl mask does. */
        const Change fstab_only = { .ops = change->ops, .n_ops = d->n_fstab_ops };
        if ((r = change_apply_files(c->root, &fstab_only, &error)) < 0)
                return ctx_error(c, r, "%s", error ? error : strerror(-r));
        if (d->n_fstab_ops > 0)
                c->units_dirty = true;   /* systemd-fstab-generator runs again on reload */
        STRV_FOREACH(n, d->mask) {
                if ((r = systemd_bus_unit_file_op(c->bus, UNIT_FILE_OP_MASK, *n, NULL, &error)) < 0)
                        return ctx_error(c, r, "%s", error ? error : strerror(-r));
                c->units_dirty = true;
        }
        if (c->units_dirty && (r = ctx_daemon_reload(c)) < 0)
                return r;
        STRV_FOREACH(n, d->stop)
                if ((r = systemd_bus_run_job(c->bus, UNIT_JOB_STOP, *n, c->job_timeout_usec, NULL, &error)) < 0)
                        return ctx_error(c, r, "%s", error ? error : strerror(-r));
        /* The followers' stop jobs came with the ones above and may still run: a stop request for
         * each joins its job and returns when it is done. */
        STRV_FOREACH(n, d->active)
                if (!strv_contains(d->stop, *n) &&
                    (r = systemd_bus_run_job(c->bus, UNIT_JOB_STOP, *n, c->job_timeout_usec, NULL, &error)) < 0)
                        return ctx_error(c, r, "%s", error ? error : strerror(-r));
        return reset_failed_followers(c, d->active);
}

const ActionType action_swap_off = {
        .key = "swap-off",
        .summary = "swap off now (swap units stopped live) and at boot (fstab swap lines commented out, swap units masked)",
        .parse = swap_off_parse,
        .plan = swap_off_plan,
        .apply = swap_off_apply,
        .free_args = swap_off_free,
};
