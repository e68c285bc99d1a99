/* SPDX-License-Identifier: MIT */
/*
 * remedy fix --unattended: the limits of unattended/ applied by the fix verb; remedy fix --reset:
 * the operator closing the breaker. Both name the state file in their errors and change nothing
 * when it is bad: the breaker's state is not guessed.
 */
#include "fix-unattended.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "metrics-textfile.h"
#include "remedy/report.h"

int fix_unattended_open(Root *root, Unattended **ret) {
        _cleanup_free_ char *error = NULL;
        int r = unattended_open(root, arg_root == NULL, arg_cooldown_usec, arg_max_attempts, ret, &error);
        if (r == -ENOMEM)
                return report_error(EXIT_FAILED, "out of memory");
        if (r < 0)
                return report_error(r == -EIO ? EXIT_FAILED : EXIT_BAD_INPUT, "fix --unattended: %s; nothing was changed",
                                    error ? error : strerror(-r));
        return 0;
}

static void note_metrics(const Unattended *u) {
        if (arg_metrics_textfile)
                metrics_note_text(unattended_metrics_render(u));
}

int fix_unattended_finish(Unattended *u, int apply_status, int status) {
        _cleanup_free_ char *error = NULL;
        int r = 0;

        if (apply_status >= 0)
                r = unattended_record(u, apply_status, &error);
        note_metrics(u);
        if (r < 0) {
                /* The repair is done or undone; what is lost is the memory of it. */
                int k = report_error(EXIT_FAILED, "fix --unattended: cannot save the state: %s",
                                     error ? error : strerror(-r));
                return status != 0 ? status : k;
        }
        return status;
}

int fix_reset(void) {
        _cleanup_(root_freep) Root *root = NULL;
        _cleanup_(unattended_freep) Unattended *u = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        if ((r = cli_open_root(&root)) != 0)
                return r;
        r = unattended_open(root, arg_root == NULL, arg_cooldown_usec, arg_max_attempts, &u, &error);
        if (r == -EBADMSG || r == -EPERM || r == -ELOOP) {
                /* A state file that cannot be read is what --reset is for: it is replaced. */
                free(error);
                error = NULL;
                r = unattended_open_fresh(root, arg_root == NULL, arg_cooldown_usec, arg_max_attempts, &u, &error);
        }
        if (r < 0)
                return report_error(r == -EBUSY ? EXIT_BAD_INPUT : EXIT_FAILED, "fix --reset: %s",
                                    error ? error : strerror(-r));
        r = unattended_reset(u, &error);
        if (r < 0)
                return report_error(EXIT_FAILED, "fix --reset: %s", error ? error : strerror(-r));
        note_metrics(u);
        return 0;
}
