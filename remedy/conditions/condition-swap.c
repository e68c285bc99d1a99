/* SPDX-License-Identifier: MIT */
/*
 * when: / match: {swap: {on: BOOL, fstab: PATH}}       (fstab defaults to /etc/fstab)
 * verify:        {swap: {on: false, fstab: PATH}}
 *
 * The node has swap: on now (live, /proc/swaps) or turned on at the next boot (an fstab swap
 * entry without noauto, or a swap device of zram-generator's configuration, whose unit is not
 * masked). The condition adds what it found to the evidence; the check fails with it. Offline the
 * check judges the fstab, the zram configuration and the masks alone, which is what decides the
 * node's next boot (the kernel command line's systemd.zram= aside).
 */
#include <errno.h>
#include <stdlib.h>

#include "remedy/action.h"
#include "remedy/context.h"
#include "remedy/strv.h"
#include "remedy/swap-state.h"

typedef struct SwapArgs {
        bool on;
        Template *fstab;
} SwapArgs;

static void swap_args_free(void *p) {
        SwapArgs *a = p;
        if (!a)
                return;
        template_free(a->fstab);
        free(a);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(SwapArgs *, swap_args_free);

static int swap_args_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "on", "fstab", NULL };
        _cleanup_(swap_args_freep) SwapArgs *a = calloc(1, sizeof(SwapArgs));
        int r;

        if (!a)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "swap", keys)) < 0 || (r = parse_bool(pc, args, "on", true, &a->on)) < 0 ||
            (r = parse_template(pc, args, "fstab", false, TEMPLATE_PATH, "a path", &a->fstab)) < 0)
                return r;
        *ret = TAKE_PTR(a);
        return 0;
}

static int swap_found(Context *c, const SwapArgs *a, char ***ret_lines) {
        _cleanup_(swap_state_done) SwapState s = {};
        _cleanup_free_ char *fstab = NULL;
        int r;

        if ((r = ctx_render_or(c, a->fstab, FSTAB_PATH, &fstab)) < 0)
                return r;
        if ((r = swap_state_read(c, fstab, &s)) < 0)
                return r;
        return swap_state_describe(&s, ret_lines);
}

static int swap_condition_eval(Context *c, const void *args, char **ret_error) {
        const SwapArgs *a = args;
        _cleanup_strv_free_ char **found = NULL;
        int r = swap_found(c, a, &found);
        if (r < 0)
                return r;
        bool on = strv_length(found) > 0;
        if (on && a->on)
                STRV_FOREACH(l, found)
                        if (strv_extend(&c->evidence, *l) < 0)
                                return -ENOMEM;
        return on == a->on;
}

static int swap_check_run(Context *c, const void *args, char **ret_evidence) {
        const SwapArgs *a = args;
        _cleanup_strv_free_ char **found = NULL;
        int r = swap_found(c, a, &found);
        if (r < 0)
                return r;
        bool on = strv_length(found) > 0;
        if (on == a->on)
                return 1;
        if (!on)
                return (*ret_evidence = strdup("no swap on now or at boot")) ? 0 : -ENOMEM;
        size_t size = 0;
        FILE *out = open_memstream(ret_evidence, &size);
        if (!out)
                return -ENOMEM;
        STRV_FOREACH(l, found)
                fprintf(out, "%s%s", l == found ? "" : "; ", *l);
        return fclose(out) == 0 ? 0 : -ENOMEM;
}

const ConditionType condition_swap = {
        .key = "swap",
        .parse = swap_args_parse,
        .eval = swap_condition_eval,
        .free_args = swap_args_free,
};

const CheckType check_swap = {
        .key = "swap",
        .parse = swap_args_parse,
        .run = swap_check_run,
        .free_args = swap_args_free,
        .state = true,
};
