/* SPDX-License-Identifier: MIT */
/*
 * remedy diagnose [--json]: which known failures the node has, with the evidence (the log line
 * and its time) and the playbook that fixes each. A node file that does not parse is a problem
 * found, not the end of the diagnosis. Exit status 0: none found; 1: findings or problems, so
 * that scripts and monitors can use it as `plan --exit-code` is used; 2: bad input on the
 * command line, unusable playbooks, or systemd unreachable. A finding is a playbook's (kind
 * "playbook", with the command that fixes it) or, for what the node cannot fix itself (a CA, a
 * token, the node authorizer), kind "advice-only", with the command to run where it can be
 * fixed.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "diagnose-journal.h"
#include "metrics-textfile.h"
#include "verbs.h"
#include "remedy/diagnose.h"
#include "remedy/report.h"
#include "remedy/secret-mask.h"
#include "remedy/strv.h"
#include "remedy/term-escape.h"

/* The parameters of p the node could not fill, which the operator must give: a kubelet_version
 * when the kubelet's version could not be read (its default, "", means "read it from the node"). */
static bool param_to_supply(const Diagnosis *d, const Param *param) {
        return d->kubelet_version_unknown && streq(param->name, "kubelet_version") && param->default_value &&
               !*param->default_value;
}

/* "remedy apply NAME", with the --set its required parameters need and those this node cannot
 * fill (so that the command works as printed, once the operator puts the values in). */
static char *fix_command(const Diagnosis *d, const Playbook *p, const char *verb) {
        char *s = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&s, &size);
        if (!f)
                return NULL;
        fprintf(f, "remedy");
        if (arg_root)
                fprintf(f, " --root=%s", arg_root);
        fprintf(f, " %s", verb);
        fprintf(f, " %s", p->name);
        for (size_t i = 0; i < p->n_params; i++)
                if (!p->params[i].default_value || param_to_supply(d, &p->params[i]))
                        fprintf(f, " --set %s=...", p->params[i].name);
        if (fclose(f) != 0) {
                free(s);
                return NULL;
        }
        return s;
}

/* What the node's files say is printed through term_puts(): see term-escape.h. */
static void put(const char *s) {
        (void) term_puts(s, stdout);
}

static void print_certificate(const ClientCertificate *c) {
        if (!c)
                return;
        fputs("Kubelet client certificate: ", stdout);
        put(c->subject);
        fputs(" (", stdout);
        put(c->source);
        fputs("), valid until ", stdout);
        put(c->not_after);
        if (c->valid_now)
                printf(", %ld day%s left\n", c->days_left, c->days_left == 1 ? "" : "s");
        else
                printf(" %s(not valid now)%s\n", ansi_red(), ansi_reset());
}

static const char *accepted_word(int accepted) {
        return accepted > 0 ? "accepted" : accepted == 0 ? "NOT ACCEPTED by this kubelet" : "unknown (no flag list)";
}

/* printf("%s") of a string from the node, with its secrets masked. */
/* Masked, then escaped: the node's words may hold both a password and an escape sequence. */
static void print_masked(const char *s) {
        _cleanup_free_ char *masked = secret_mask(s);
        put(masked);
}

static void print_kubelet(const Diagnosis *d) {
        if (d->kubelet_error) {
                printf("Kubelet command line: %s", ansi_red());
                print_masked(d->kubelet_error);
                printf("%s\n", ansi_reset());
                return;
        }
        const KubeletCommandLine *k = d->kubelet;
        if (!k)
                return;
        fputs("Kubelet command line (ExecStart= at ", stdout);
        put(k->unit.exec_source);
        fputs("):\n  ", stdout);
        put(k->unit.executable);
        fputc('\n', stdout);
        for (size_t i = 0; i < k->n_args; i++) {
                const KubeletArg *a = &k->args[i];
                _cleanup_free_ char *words = NULL;
                /* The flag and its value together, so that "--token VALUE" is masked as a flag. */
                if (asprintf(&words, "%s%s%s", a->word, a->n_words > 1 && k->unit.argv[a->index + 1] ? " " : "",
                             a->n_words > 1 ? strempty(k->unit.argv[a->index + 1]) : "") < 0)
                        words = NULL;
                printf("  %s", a->accepted == 0 ? ansi_red() : "");
                print_masked(words);
                printf("%s  %s", a->accepted == 0 ? ansi_reset() : "", ansi_grey());
                put(a->source);
                if (a->variable) {
                        fputs(" $", stdout);
                        put(a->variable);
                }
                printf(", %s%s\n", accepted_word(a->accepted), ansi_reset());
        }
        STRV_FOREACH(v, k->unit.unset_variables) {
                printf("  %s$", ansi_grey());
                put(*v);
                printf(" is not set: it expands to nothing%s\n", ansi_reset());
        }
        STRV_FOREACH(f, k->unit.env_files_missing) {
                printf("  %sEnvironmentFile=-", ansi_grey());
                put(*f);
                printf(" is missing (optional)%s\n", ansi_reset());
        }
}

/* The kubelet's way to the API server, layer by layer, up to the first that failed. */
static void print_join(const Diagnosis *d) {
        if (!d->join_layers)
                return;
        fputs("Joining", stdout);
        if (d->join_kubeconfig) {
                fputs(" (", stdout);
                put(d->join_kubeconfig);
                fputc(')', stdout);
        }
        fputs(":\n", stdout);
        STRV_FOREACH(l, d->join_layers) {
                fputs("  ", stdout);
                print_masked(*l);
                fputc('\n', stdout);
        }
}

static void print_text(const Diagnosis *d) {
        /* -q keeps the outcome (findings, problems); the node's description and notes are context. */
        if (!report_options.quiet) {
                print_certificate(d->certificate);
                print_kubelet(d);
                print_join(d);
                STRV_FOREACH(n, d->notes) {
                        printf("%snote:%s ", ansi_grey(), ansi_reset());
                        print_masked(*n);
                        fputc('\n', stdout);
                }
        }
        STRV_FOREACH(p, d->problems) {
                printf("%sproblem:%s ", ansi_red(), ansi_reset());
                print_masked(*p);
                fputc('\n', stdout);
        }
        if (d->n_findings == 0) {
                size_t n_problems = strv_length(d->problems);
                if (n_problems > 0)
                        printf("No known failure found by the %zu playbook%s that could judge the node; %zu could not (see the problems above).\n",
                               d->n_asked - n_problems, d->n_asked - n_problems == 1 ? "" : "s", n_problems);
                else
                        printf("No known failure found (%zu playbook%s asked).\n", d->n_asked, d->n_asked == 1 ? "" : "s");
                return;
        }
        printf("%s%zu finding%s%s (%zu playbook%s asked):\n", ansi_bold(), d->n_findings, d->n_findings == 1 ? "" : "s",
               ansi_reset(), d->n_asked, d->n_asked == 1 ? "" : "s");
        for (size_t i = 0; i < d->n_findings; i++) {
                const Finding *f = &d->findings[i];
                const Playbook *p = f->playbook;
                printf("\n  %s", ansi_red());
                put(finding_name(f));
                printf("%s: ", ansi_reset());
                put(finding_summary(f));
                fputc('\n', stdout);
                STRV_FOREACH(e, f->evidence) {
                        printf("    %sevidence:%s ", ansi_grey(), ansi_reset());
                        print_masked(*e);
                        fputc('\n', stdout);
                }
                if (p && strv_length(f->evidence) == 0) {
                        printf("    %sevidence:%s the node's files match ", ansi_grey(), ansi_reset());
                        put(p->path);
                        printf(":%u\n", p->match->mark.line);
                }
                if (finding_advice(f)) {
                        printf("    %sadvice:%s ", ansi_yellow(), ansi_reset());
                        put(finding_advice(f));
                        fputc('\n', stdout);
                }
                if (!p)
                        continue;
                printf("    safety:  %s\n", playbook_safety_to_string(p->safety));
                if (p->n_steps == 0) {
                        fputs("    fix:     none shipped: report only, see the advice\n", stdout);
                        continue;
                }
                _cleanup_free_ char *plan = fix_command(d, p, "plan"), *apply = fix_command(d, p, "apply");
                fputs("    preview: ", stdout);
                put(plan);
                fputs("\n    fix:     ", stdout);
                put(apply);
                fputc('\n', stdout);
                for (size_t j = 0; j < p->n_params; j++) {
                        const Param *param = &p->params[j];
                        if (!param_to_supply(d, param))
                                continue;
                        fputs("    supply:  ", stdout);
                        put(param->name);
                        fputs(", the kubelet's minor version (e.g. 1.33): remedy ", stdout);
                        print_masked(d->kubelet_version_unknown);
                        fputc('\n', stdout);
                }
        }
}

/*
 * node-problem-detector's custom plugin protocol: the exit status says OK (0) or NonOK (1), the
 * first line of stdout, cut to its max_output_length of 80 bytes, is the condition's message.
 * It names the first finding (playbook findings come first, diagnose's own after) and the count,
 * so that the condition changes when the failure does. Problems count as findings, as for the
 * exit status.
 */
static void print_npd(const Diagnosis *d) {
        _cleanup_free_ char *line = NULL;
        size_t n_problems = strv_length(d->problems), n = d->n_findings + n_problems, size = 0;
        FILE *f = open_memstream(&line, &size);

        if (!f) {
                report_npd_line("remedy: out of memory");
                return;
        }
        if (n == 0)
                fprintf(f, "remedy: no known failure (%zu playbooks asked)", d->n_asked);
        else {
                fprintf(f, "%zu finding%s:", n, n == 1 ? "" : "s");
                for (size_t i = 0; i < d->n_findings; i++)
                        fprintf(f, "%s %s", i > 0 ? "," : "", finding_name(&d->findings[i]));
                STRV_FOREACH(p, d->problems) {
                        _cleanup_free_ char *masked = secret_mask(*p);
                        fprintf(f, "%s problem %s", d->n_findings > 0 || p != d->problems ? "," : "", strempty(masked));
                }
        }
        if (fclose(f) != 0) {
                free(line);
                line = NULL;
        }
        report_npd_line(line ? line : "remedy: out of memory");
}

static json_object *diagnosis_json(const Diagnosis *d, const Root *root) {
        json_object *o = json_object_new_object(), *findings = json_object_new_array();
        json_object_object_add(o, "command", json_object_new_string("diagnose"));
        json_object_object_add(o, "root", json_object_new_string(root->path));
        json_object_object_add(o, "live", json_object_new_boolean(arg_root == NULL));
        json_object_object_add(o, "asked", json_object_new_int64((int64_t) d->n_asked));
        for (size_t i = 0; i < d->n_findings; i++) {
                const Finding *f = &d->findings[i];
                const Playbook *p = f->playbook;
                json_object *j = json_object_new_object(), *ev = json_object_new_array();
                _cleanup_free_ char *apply = p && p->n_steps > 0 ? fix_command(d, p, "apply") : NULL;
                json_object *supply = json_object_new_array();
                /* "name" for every finding; "playbook" null for diagnose's own, which no playbook fixes */
                json_object_object_add(j, "name", json_object_new_string(finding_name(f)));
                json_object_object_add(j, "playbook", p ? json_object_new_string(p->name) : NULL);
                json_object_object_add(j, "summary", json_object_new_string(strempty(finding_summary(f))));
                /* "kind": a playbook's, or advice-only (diagnose's own: no playbook fixes it) */
                json_object_object_add(j, "kind", json_object_new_string(p ? "playbook" : "advice-only"));
                STRV_FOREACH(e, f->evidence)
                        json_object_array_add(ev, json_object_new_string(*e));
                json_object_object_add(j, "evidence", ev);
                json_object_object_add(j, "safety", p ? json_object_new_string(playbook_safety_to_string(p->safety)) : NULL);
                if (finding_advice(f))
                        json_object_object_add(j, "advice", json_object_new_string(finding_advice(f)));
                json_object_object_add(j, "fix", apply ? json_object_new_string(apply) : NULL);
                for (size_t k = 0; apply && k < p->n_params; k++) {
                        const Param *param = &p->params[k];
                        if (!param_to_supply(d, param))
                                continue;
                        json_object *need = json_object_new_object();
                        json_object_object_add(need, "param", json_object_new_string(param->name));
                        json_object_object_add(need, "description", json_object_new_string(strempty(param->description)));
                        json_object_object_add(need, "reason", json_object_new_string(d->kubelet_version_unknown));
                        json_object_array_add(supply, need);
                }
                json_object_object_add(j, "supply", supply);
                json_object_array_add(findings, j);
        }
        json_object_object_add(o, "findings", findings);
        if (d->join_layers) {
                json_object *join = json_object_new_object(), *layers = json_object_new_array();
                if (d->join_kubeconfig)
                        json_object_object_add(join, "kubeconfig", json_object_new_string(d->join_kubeconfig));
                STRV_FOREACH(l, d->join_layers)
                        json_object_array_add(layers, json_object_new_string(*l));
                json_object_object_add(join, "layers", layers);
                json_object_object_add(o, "join", join);
        }
        json_object *problems = json_object_new_array(), *notes = json_object_new_array();
        STRV_FOREACH(p, d->problems)
                json_object_array_add(problems, json_object_new_string(*p));
        STRV_FOREACH(n, d->notes)
                json_object_array_add(notes, json_object_new_string(*n));
        json_object_object_add(o, "problems", problems);
        json_object_object_add(o, "notes", notes);
        if (d->kubelet_error)
                json_object_object_add(o, "kubelet_command_line_error", json_object_new_string(d->kubelet_error));
        if (d->kubelet) {
                const KubeletCommandLine *k = d->kubelet;
                json_object *kl = json_object_new_object(), *args = json_object_new_array();
                json_object_object_add(kl, "exec_start", json_object_new_string(k->unit.exec_source));
                json_object_object_add(kl, "executable", json_object_new_string(k->unit.executable));
                json_object *argv = json_object_new_array();
                STRV_FOREACH(w, k->unit.argv)
                        json_object_array_add(argv, json_object_new_string(*w));
                json_object_object_add(kl, "argv", argv);
                for (size_t i = 0; i < k->n_args; i++) {
                        const KubeletArg *a = &k->args[i];
                        json_object *j = json_object_new_object();
                        json_object_object_add(j, "word", json_object_new_string(a->word));
                        json_object_object_add(j, "flag", a->flag ? json_object_new_string(a->flag) : NULL);
                        json_object_object_add(j, "value", a->value ? json_object_new_string(a->value) : NULL);
                        json_object_object_add(j, "source", json_object_new_string(a->source));
                        json_object_object_add(j, "variable", a->variable ? json_object_new_string(a->variable) : NULL);
                        json_object_object_add(j, "accepted", a->accepted < 0 ? NULL : json_object_new_boolean(a->accepted));
                        json_object_array_add(args, j);
                }
                json_object_object_add(kl, "args", args);
                json_object *unset = json_object_new_array();
                STRV_FOREACH(v, k->unit.unset_variables)
                        json_object_array_add(unset, json_object_new_string(*v));
                json_object_object_add(kl, "unset_variables", unset);
                json_object_object_add(o, "kubelet_command_line", kl);
        }
        if (d->certificate) {
                json_object *c = json_object_new_object();
                json_object_object_add(c, "kubeconfig", json_object_new_string(d->certificate->kubeconfig));
                json_object_object_add(c, "source", json_object_new_string(d->certificate->source));
                json_object_object_add(c, "subject", json_object_new_string(d->certificate->subject));
                json_object_object_add(c, "not_after", json_object_new_string(d->certificate->not_after));
                json_object_object_add(c, "days_left", json_object_new_int64(d->certificate->days_left));
                json_object_object_add(c, "valid_now", json_object_new_boolean(d->certificate->valid_now));
                json_object_object_add(o, "client_certificate", c);
        }
        return o;
}

int verb_diagnose(int argc, char **argv) {
        _cleanup_(playbook_set_freep) PlaybookSet *set = NULL;
        _cleanup_(root_freep) Root *root = NULL;
        _cleanup_(systemd_bus_freep) SystemdBus *bus = NULL;
        _cleanup_(diagnosis_done) Diagnosis d = {};
        int r;

        if (argc > 1)
                return report_error(EXIT_BAD_INPUT, "diagnose takes no arguments");
        if ((r = cli_diagnose(&set, &root, &bus, &d)) != 0)
                return r;

        if (report_options.npd)
                print_npd(&d);
        else if (report_options.json)
                report_print_json(diagnosis_json(&d, root), stdout);
        else
                print_text(&d);
        metrics_note_diagnosis(&d);
        /* The journal's copy is a convenience: a failure to log does not change the diagnosis. */
        (void) diagnosis_log_to_journal(&d, fix_command);
        return d.n_findings > 0 || d.problems ? EXIT_FAILED : 0;
}
