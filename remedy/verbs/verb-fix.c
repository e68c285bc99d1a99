/* SPDX-License-Identifier: MIT */
/*
 * remedy fix [--dry-run] [--set KEY=VALUE]...: diagnose, then plan and apply the playbooks of
 * every finding as one transaction, verify, and roll back on failure — `apply` of exactly what
 * `diagnose` found. --dry-run is `plan` of the same: the whole plan with diffs, nothing changed.
 *
 * Order: playbooks that restart containerd come before those that only touch the kubelet, so
 * that the kubelet's restarts meet the container runtime it will run with. A finding whose
 * playbook needs a parameter without a default (kubelet-rotate-kubeconfig's kubeconfig) is fixed
 * only when --set gives it; otherwise it is named with the command to run, and fix exits 1.
 *
 * Safety classes decide what runs unattended: auto playbooks are applied; confirm ones only with
 * --yes, or when the operator answers yes on a terminal; report ones never (their advice is
 * printed). A finding left unfixed for any of these reasons makes fix exit 1: the node still has
 * it. --dry-run previews what fix would apply with the same options, without asking.
 *
 * --unattended (remedy-fix.timer) applies auto playbooks only, within the limits of
 * unattended/unattended.h (cooldown, daily attempts, the breaker), never asking; --reset closes
 * the breaker (fix-unattended.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fix-unattended.h"
#include "metrics-textfile.h"
#include "verbs.h"
#include "remedy/diagnose.h"
#include "remedy/log.h"
#include "remedy/report.h"
#include "remedy/secret-mask.h"
#include "remedy/strv.h"
#include "remedy/term-escape.h"

static bool restarts_containerd(const Playbook *p) {
        for (size_t i = 0; i < p->n_steps; i++) {
                const YamlNode *n = p->steps[i].node;
                const YamlNode *name = n ? yaml_node_get(n, "name") : NULL;
                if (streq(p->steps[i].action->key, "unit") && name && name->type == YAML_NODE_SCALAR &&
                    (streq(name->scalar, "containerd.service") || streq(name->scalar, "containerd")))
                        return true;
        }
        return false;
}

/* The --set keys cover every parameter p requires. */
static const char *missing_param(const Playbook *p) {
        for (size_t i = 0; i < p->n_params; i++) {
                if (p->params[i].default_value)
                        continue;
                bool given = false;
                STRV_FOREACH(s, arg_sets) {
                        size_t n = strcspn(*s, "=");
                        if (strlen(p->params[i].name) == n && strncmp(*s, p->params[i].name, n) == 0)
                                given = true;
                }
                if (!given)
                        return p->params[i].name;
        }
        return NULL;
}

static bool can_ask(void) {
        return !report_options.json && isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
}

/* "Apply NAME? [y/N]" on the terminal; anything but y or yes is no. */
static bool ask(const Playbook *p) {
        _cleanup_free_ char *line = NULL;
        size_t size = 0;

        fprintf(stderr, "%s (safety: confirm): %s\n", p->name, strempty(p->summary));
        if (p->advice) {
                fputs("  advice: ", stderr);
                (void) term_puts(p->advice, stderr);
                fputc('\n', stderr);
        }
        fprintf(stderr, "Apply %s? [y/N] ", p->name);
        fflush(stderr);
        if (getline(&line, &size, stdin) < 0)
                return false;
        line[strcspn(line, "\r\n")] = 0;
        return streq(line, "y") || streq(line, "Y") || streq(line, "yes");
}

/* Whether the safety class lets fix apply p here; says why not when it does not. */
static bool safety_allows(const Playbook *p) {
        switch (p->safety) {
        case PLAYBOOK_SAFETY_AUTO:
                return true;
        case PLAYBOOK_SAFETY_CONFIRM:
                if (arg_yes)
                        return true;
                if (can_ask())
                        /* A preview does not ask: it shows what would be asked about. */
                        return arg_dry_run || ask(p);
                if (!report_options.json)
                        fprintf(stderr, "remedy: %s found, but not fixed here: its safety is confirm; "
                                        "fix --yes applies it, or remedy apply %s\n", p->name, p->name);
                return false;
        case PLAYBOOK_SAFETY_REPORT:
        default:
                if (!report_options.json) {
                        fprintf(stderr, "remedy: %s found, report only: remedy does not fix it", p->name);
                        if (p->advice) {
                                fputs("; ", stderr);
                                (void) term_puts(p->advice, stderr);
                        }
                        fputc('\n', stderr);
                }
                return false;
        }
}

int verb_fix(int argc, char **argv) {
        _cleanup_(playbook_set_freep) PlaybookSet *set = NULL;
        _cleanup_(root_freep) Root *root = NULL;
        _cleanup_(systemd_bus_freep) SystemdBus *bus = NULL;
        _cleanup_(diagnosis_done) Diagnosis d = {};
        _cleanup_(unattended_freep) Unattended *unattended = NULL;
        _cleanup_strv_free_ char **verb_argv = NULL;
        bool skipped = false;
        int r;

        if (argc > 1)
                return report_error(EXIT_BAD_INPUT, "fix takes no playbook names: it fixes what diagnose finds "
                                                    "(use apply NAME... for others)");
        if (arg_reset && (arg_unattended || arg_dry_run))
                return report_error(EXIT_BAD_INPUT, "fix --reset only closes the breaker: it goes with no --unattended "
                                                    "or --dry-run");
        if (arg_reset)
                return fix_reset();
        /* Unattended, a failed fix is always undone (and opens the breaker); a preview would
         * record nothing and say less than fix --dry-run. */
        if (arg_unattended && (arg_dry_run || arg_no_rollback))
                return report_error(EXIT_BAD_INPUT, "fix --unattended does not go with --dry-run or --no-rollback");
        if ((r = cli_diagnose(&set, &root, &bus, &d)) != 0)
                return r;
        metrics_note_diagnosis(&d);
        if (arg_unattended && (r = fix_unattended_open(root, &unattended)) != 0)
                return r;

        if ((r = strv_extend(&verb_argv, arg_dry_run ? "plan" : "apply")) < 0)
                return report_error(EXIT_FAILED, "out of memory");
        /* A playbook that could not judge the node is named; the others go ahead. */
        STRV_FOREACH(problem, d.problems) {
                if (!report_options.json) {
                        _cleanup_free_ char *masked = secret_mask(*problem);
                        log_error("not fixed: %s", strempty(masked));
                }
                skipped = true;
        }
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < d.n_findings; i++) {
                        const Playbook *p = d.findings[i].playbook;
                        if (!p) {
                                /* diagnose's own finding (a failing unit no playbook matches) */
                                if (pass == 0 && !report_options.json) {
                                        _cleanup_free_ char *summary = secret_mask(strempty(d.findings[i].summary));
                                        fprintf(stderr, "remedy: not fixed: %s: ", d.findings[i].name);
                                        (void) term_puts(summary, stderr);
                                        fputc('\n', stderr);
                                }
                                if (pass == 0 && unattended)
                                        unattended_report_only(unattended, d.findings[i].name, "no playbook fixes it");
                                skipped = true;
                                continue;
                        }
                        if (restarts_containerd(p) != (pass == 0))
                                continue;
                        /* Report first (no parameter makes it fixable), the question last (no asking
                         * about what could not run anyway). */
                        const char *missing = p->safety == PLAYBOOK_SAFETY_REPORT ? NULL : missing_param(p);
                        if (missing) {
                                if (!report_options.json)
                                        fprintf(stderr, "remedy: %s found, but not fixed here: it needs --set %s=... "
                                                        "(see remedy show %s)\n", p->name, missing, p->name);
                                if (unattended)
                                        unattended_report_only(unattended, p->name, "it needs a parameter (--set)");
                                skipped = true;
                                continue;
                        }
                        if (unattended ? unattended_decide(unattended, p) != UNATTENDED_APPLY : !safety_allows(p)) {
                                skipped = true;
                                continue;
                        }
                        if ((r = strv_extend(&verb_argv, p->name)) < 0)
                                return report_error(EXIT_FAILED, "out of memory");
                }

        if (strv_length(verb_argv) == 1) {
                if (!report_options.json)
                        printf(d.n_findings == 0 && !d.problems ? "No known failure found: nothing to fix.\n"
                               : d.n_findings == 0                ? "Nothing that remedy can fix; see the problems above.\n"
                                                                  : "Nothing fixed: see above for why.\n");
                else {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "command", json_object_new_string("fix"));
                        json_object_object_add(o, "findings", json_object_new_int64((int64_t) d.n_findings));
                        json_object_object_add(o, "fixed", json_object_new_boolean(false));
                        report_print_json(o, stdout);
                }
                r = skipped ? EXIT_FAILED : 0;
                return unattended ? fix_unattended_finish(unattended, -1, r) : r;
        }

        /* The findings' --set values only: a key meant for a playbook that was not found is not
         * an error here, unlike for apply. */
        _cleanup_strv_free_ char **all_sets = TAKE_PTR(arg_sets);
        STRV_FOREACH(s, all_sets) {
                _cleanup_free_ char *key = strndup(*s, strcspn(*s, "="));
                bool used = false;
                if (!key)
                        return report_error(EXIT_FAILED, "out of memory");
                for (char **n = verb_argv + 1; *n; n++)
                        if (playbook_find_param(playbook_set_find(set, *n), key))
                                used = true;
                if (used && strv_extend(&arg_sets, *s) < 0)
                        return report_error(EXIT_FAILED, "out of memory");
        }

        r = arg_dry_run ? verb_plan((int) strv_length(verb_argv), verb_argv)
                        : verb_apply((int) strv_length(verb_argv), verb_argv);
        int status = r == 0 && skipped ? EXIT_FAILED : r;
        return unattended ? fix_unattended_finish(unattended, r, status) : status;
}
