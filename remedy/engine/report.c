/* SPDX-License-Identifier: MIT */
#include "remedy/report.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/diff.h"
#include "remedy/secret-mask.h"
#include "remedy/term-escape.h"

ReportOptions report_options;

#define ANSI(name, seq)                                        \
        const char *ansi_##name(void) {                        \
                return report_options.color ? (seq) : "";      \
        }
ANSI(bold, "\033[1m")
ANSI(red, "\033[31m")
ANSI(green, "\033[32m")
ANSI(yellow, "\033[33m")
ANSI(grey, "\033[90m")
ANSI(reset, "\033[0m")

const char *change_status_name(ChangeStatus s, bool dry_run) {
        switch (s) {
        case CHANGE_OK:
                return "ok";
        case CHANGE_PENDING:
                return dry_run ? "change" : "changed";
        case CHANGE_SKIPPED:
                return "skipped";
        case CHANGE_FAILED:
                return "failed";
        }
        return "unknown";
}

static const char *status_color(ChangeStatus s) {
        switch (s) {
        case CHANGE_OK:
                return ansi_green();
        case CHANGE_PENDING:
                return ansi_yellow();
        case CHANGE_SKIPPED:
                return ansi_grey();
        case CHANGE_FAILED:
                return ansi_red();
        }
        return "";
}

static const char *op_name(FileOpType t, const NodeFile *before) {
        switch (t) {
        case FILE_OP_WRITE:
                return before->kind == FILE_ABSENT ? "create" : "modify";
        case FILE_OP_SYMLINK:
                return before->kind == FILE_ABSENT ? "symlink" : "replace with symlink";
        case FILE_OP_REMOVE:
                return "remove";
        }
        return "unknown";
}

/* "mode 0644 -> 0600, owner 0:0 -> 0:1000", or NULL when metadata does not change. */
static char *metadata_change(const FileOp *op) {
        const NodeFile *b = op->before, *a = op->after;
        _cleanup_free_ char *mode = NULL, *owner = NULL;
        char *r;

        if (op->type != FILE_OP_WRITE)
                return NULL;
        if (b->kind != FILE_REGULAR) {
                if (asprintf(&r, "mode %04o, owner %u:%u", (unsigned) a->mode, (unsigned) a->uid, (unsigned) a->gid) < 0)
                        return NULL;
                return r;
        }
        if (b->mode != a->mode && asprintf(&mode, "mode %04o → %04o", (unsigned) b->mode, (unsigned) a->mode) < 0)
                return NULL;
        if ((b->uid != a->uid || b->gid != a->gid) &&
            asprintf(&owner, "owner %u:%u → %u:%u", (unsigned) b->uid, (unsigned) b->gid, (unsigned) a->uid,
                     (unsigned) a->gid) < 0)
                return NULL;
        if (!mode && !owner)
                return NULL;
        if (asprintf(&r, "%s%s%s", strempty(mode), mode && owner ? ", " : "", strempty(owner)) < 0)
                return NULL;
        return r;
}

static void print_op(const FileOp *op, FILE *out) {
        const NodeFile *b = op->before, *a = op->after;
        _cleanup_free_ char *meta = metadata_change(op);

        fprintf(out, "          %s%s ", ansi_bold(), op_name(op->type, b));
        (void) term_puts(a->path, out);
        fputs(ansi_reset(), out);
        if (op->type == FILE_OP_SYMLINK) {
                fputs(" → ", out);
                (void) term_puts(a->data, out);
        }
        if (meta)
                fprintf(out, " (%s)", meta);
        fputc('\n', out);

        if (op->type == FILE_OP_WRITE) {
                DiffOptions d = { .color = report_options.color, .context = 3 };
                const char *old = b->kind == FILE_REGULAR ? b->data : "";
                size_t old_size = b->kind == FILE_REGULAR ? b->size : 0;
                _cleanup_free_ char *label = NULL;
                if (asprintf(&label, "%s (planned)", a->path) < 0)
                        return;
                fflush(out);
                (void) diff_unified(out, old, old_size, a->data, a->size, b->kind == FILE_REGULAR ? a->path : "/dev/null",
                                    label, &d);
        } else if (op->type == FILE_OP_SYMLINK && b->kind == FILE_SYMLINK) {
                fputs("          (was → ", out);
                (void) term_puts(b->data, out);
                fputs(")\n", out);
        }
}

static void print_ops(const StepResult *s, FILE *out) {
        size_t n = s->change.n_ops, shown = report_options.verbose ? n : MIN(n, (size_t) REPORT_FILES_SHOWN);

        for (size_t o = 0; o < shown; o++)
                print_op(&s->change.ops[o], out);
        if (shown < n)
                fprintf(out, "          %s… and %zu more of %zu files (-v shows every one)%s\n", ansi_grey(), n - shown, n,
                        ansi_reset());
}

/* What -q keeps of a playbook: the steps that failed and the checks that did not pass. */
static bool step_failed(const StepResult *s) {
        return s->change.status == CHANGE_FAILED || s->error;
}

static bool job_has_failure(const Job *job, bool dry_run) {
        for (size_t i = 0; i < job->playbook->n_steps; i++)
                if (step_failed(&job->steps[i]))
                        return true;
        for (size_t i = 0; !dry_run && i < job->playbook->n_checks; i++)
                if (job->checks[i].passed == 0)
                        return true;
        return false;
}

void report_run(const Run *r, const char *command, bool dry_run, FILE *out) {
        bool quiet = report_options.quiet;

        for (size_t j = 0; j < r->n_jobs; j++) {
                const Job *job = &r->jobs[j];
                if (quiet && !job_has_failure(job, dry_run))
                        continue;
                fputs(ansi_bold(), out);
                (void) term_puts(job->playbook->name, out);
                fprintf(out, "%s: ", ansi_reset());
                (void) term_puts(job->playbook->summary, out);
                fputc('\n', out);
                if (job->playbook->advice && !quiet) {
                        fprintf(out, "  %sadvice:%s ", ansi_yellow(), ansi_reset());
                        (void) term_puts(job->playbook->advice, out);
                        fputc('\n', out);
                }

                for (size_t i = 0; i < job->playbook->n_steps; i++) {
                        const StepResult *s = &job->steps[i];
                        if (quiet && !step_failed(s))
                                continue;
                        /* Masked, then escaped. */
                        _cleanup_free_ char *note = secret_mask(s->change.note), *error = secret_mask(s->error);
                        fprintf(out, "  %s%-8s%s", status_color(s->change.status),
                                change_status_name(s->change.status, dry_run), ansi_reset());
                        (void) term_puts(s->step->name, out);
                        fputc('\n', out);
                        if (s->change.note && !quiet) {
                                fprintf(out, "          %s", ansi_grey());
                                (void) term_puts(note, out);
                                fprintf(out, "%s\n", ansi_reset());
                        }
                        if (s->error) {
                                fprintf(out, "          %serror: ", ansi_red());
                                (void) term_puts(error, out);
                                fprintf(out, "%s\n", ansi_reset());
                        }
                        if (!quiet && (s->change.status == CHANGE_PENDING || s->change.status == CHANGE_FAILED))
                                print_ops(s, out);
                }
                for (size_t i = 0; !dry_run && i < job->playbook->n_checks; i++) {
                        const CheckResult *c = &job->checks[i];
                        if (c->passed < 0 && !c->evidence)
                                continue;
                        if (quiet && c->passed != 0)
                                continue;
                        _cleanup_free_ char *evidence = secret_mask(c->evidence);
                        fprintf(out, "  %s%-8s%sverify %s%s",
                                c->passed < 0 ? ansi_grey() : c->passed ? ansi_green() : ansi_red(),
                                c->passed < 0 ? "not run" : c->passed ? "passed" : "FAILED", ansi_reset(),
                                c->check->type->key, c->evidence ? ": " : "");
                        (void) term_puts(evidence, out);
                        fputc('\n', out);
                }
        }
        if (r->reload_at_end && (dry_run || r->outcome == RUN_APPLIED) && !quiet)
                fprintf(out, "  %s%-8s%sdaemon-reload (unit files or drop-ins changed)\n", status_color(CHANGE_PENDING),
                        change_status_name(CHANGE_PENDING, dry_run), ansi_reset());

        unsigned n_change, n_ok, n_skip, n_fail;
        run_count(r, &n_change, &n_ok, &n_skip, &n_fail);
        /* The run's errors name the node's paths, and may quote a secret: masked, then escaped. */
        _cleanup_free_ char *masked_error = secret_mask(r->error), *masked_rollback_error = secret_mask(r->rollback_error);
        _cleanup_free_ char *error = term_escape(masked_error), *rollback_error = term_escape(masked_rollback_error);
        if (!quiet)
                fputc('\n', out);
        if (dry_run)
                fprintf(out, "Plan: %u to change, %u ok, %u skipped. Nothing was changed (dry run).\n", n_change, n_ok,
                        n_skip);
        else
                switch (r->outcome) {
                case RUN_NOTHING_TO_DO:
                        if (r->error)
                                fprintf(out, "%sNot fixed%s: %s. Nothing was changed: %u ok, %u skipped.\n", ansi_red(),
                                        ansi_reset(), strempty(error), n_ok, n_skip);
                        else
                                fprintf(out, "Nothing to do: %u ok, %u skipped.\n", n_ok, n_skip);
                        break;
                case RUN_APPLIED:
                        if (r->error)
                                /* --no-rollback with a failed check, or the record of success failed. */
                                fprintf(out, "%sApplied, but%s: %s. ", ansi_red(), ansi_reset(), strempty(error));
                        else
                                fputs("Applied: ", out);
                        fprintf(out, "%u changed, %u ok, %u skipped. Backup: %s (undo with: remedy rollback %s)\n",
                                n_change, n_ok, n_skip, r->txn->id, r->txn->id);
                        break;
                case RUN_ROLLED_BACK:
                        fprintf(out, "%sFailed%s: %s. Transaction %s was rolled back; the node is as it was.\n",
                                ansi_red(), ansi_reset(), strempty(error), r->txn ? r->txn->id : "-");
                        break;
                case RUN_ROLLBACK_FAILED:
                        fprintf(out,
                                "%sFailed%s: %s. The automatic rollback failed too (%s): the node may be half-changed; "
                                "run \"remedy rollback %s\" once the cause is fixed.\n",
                                ansi_red(), ansi_reset(), strempty(error), strempty(rollback_error),
                                r->txn ? r->txn->id : "--last");
                        break;
                case RUN_PLANNED:
                        break;
                }
        (void) command;
}

static json_object *node_file_json(const NodeFile *f) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "kind", json_object_new_string(file_kind_name(f->kind)));
        if (f->kind == FILE_REGULAR || f->kind == FILE_SYMLINK) {
                char mode[8];
                snprintf(mode, sizeof mode, "%04o", (unsigned) f->mode);
                json_object_object_add(o, "mode", json_object_new_string(mode));
                json_object_object_add(o, "uid", json_object_new_int64(f->uid));
                json_object_object_add(o, "gid", json_object_new_int64(f->gid));
        }
        if (f->kind == FILE_SYMLINK)
                json_object_object_add(o, "target", json_object_new_string(f->data));
        if (f->kind == FILE_REGULAR)
                json_object_object_add(o, "size", json_object_new_int64((int64_t) f->size));
        return o;
}

static json_object *op_json(const FileOp *op) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "path", json_object_new_string(op->after->path));
        json_object_object_add(o, "operation", json_object_new_string(op_name(op->type, op->before)));
        json_object_object_add(o, "before", node_file_json(op->before));
        json_object_object_add(o, "after", node_file_json(op->after));
        if (op->type == FILE_OP_WRITE) {
                _cleanup_free_ char *diff = NULL;
                const NodeFile *b = op->before;
                if (diff_unified_string(b->kind == FILE_REGULAR ? b->data : "", b->kind == FILE_REGULAR ? b->size : 0,
                                        op->after->data, op->after->size,
                                        b->kind == FILE_REGULAR ? op->after->path : "/dev/null", op->after->path,
                                        &diff) >= 0)
                        json_object_object_add(o, "diff", json_object_new_string(diff ? diff : ""));
        }
        return o;
}

json_object *report_run_json(const Run *r, const char *command, bool dry_run) {
        json_object *root = json_object_new_object(), *playbooks = json_object_new_array();

        json_object_object_add(root, "command", json_object_new_string(command));
        json_object_object_add(root, "root", json_object_new_string(r->root->path));
        json_object_object_add(root, "dry_run", json_object_new_boolean(dry_run));
        json_object_object_add(root, "daemon_reload_at_end", json_object_new_boolean(r->reload_at_end));

        for (size_t j = 0; j < r->n_jobs; j++) {
                const Job *job = &r->jobs[j];
                json_object *pb = json_object_new_object(), *steps = json_object_new_array(),
                            *params = json_object_new_object(), *checks = json_object_new_array();

                json_object_object_add(pb, "name", json_object_new_string(job->playbook->name));
                json_object_object_add(pb, "summary", json_object_new_string(strempty(job->playbook->summary)));
                if (job->playbook->advice)
                        json_object_object_add(pb, "advice", json_object_new_string(job->playbook->advice));
                json_object_object_add(pb, "path", json_object_new_string(job->playbook->path));
                json_object_object_add(pb, "sha256", json_object_new_string(job->playbook->sha256));
                for (size_t i = 0; i < param_values_count(job->values); i++)
                        json_object_object_add(params, param_values_name(job->values, i),
                                               json_object_new_string(param_values_value(job->values, i)));
                json_object_object_add(pb, "params", params);

                for (size_t i = 0; i < job->playbook->n_steps; i++) {
                        const StepResult *s = &job->steps[i];
                        json_object *st = json_object_new_object(), *files = json_object_new_array();
                        json_object_object_add(st, "name", json_object_new_string(s->step->name));
                        json_object_object_add(st, "action", json_object_new_string(s->step->action->key));
                        json_object_object_add(st, "status",
                                               json_object_new_string(change_status_name(s->change.status, dry_run)));
                        if (s->change.note)
                                json_object_object_add(st, "note", json_object_new_string(s->change.note));
                        if (s->change.n_units > 0) {
                                json_object *units = json_object_new_array();
                                for (size_t k = 0; k < s->change.n_units; k++) {
                                        const UnitTouch *t = &s->change.units[k];
                                        json_object *u = json_object_new_object();
                                        json_object_object_add(u, "name", json_object_new_string(t->name));
                                        json_object_object_add(u, "unit_file_state_before",
                                                               json_object_new_string(t->unit_file_state));
                                        json_object_object_add(u, "active_state_before",
                                                               json_object_new_string(t->active_state));
                                        json_object_array_add(units, u);
                                }
                                json_object_object_add(st, "units", units);
                        }
                        if (s->error)
                                json_object_object_add(st, "error", json_object_new_string(s->error));
                        for (size_t o = 0; o < s->change.n_ops; o++)
                                json_object_array_add(files, op_json(&s->change.ops[o]));
                        json_object_object_add(st, "files", files);
                        json_object_array_add(steps, st);
                }
                json_object_object_add(pb, "steps", steps);

                for (size_t i = 0; i < job->playbook->n_checks; i++) {
                        const CheckResult *c = &job->checks[i];
                        json_object *ck = json_object_new_object();
                        json_object_object_add(ck, "check", json_object_new_string(c->check->type->key));
                        json_object_object_add(ck, "result",
                                               json_object_new_string(c->passed < 0   ? "not-run"
                                                                      : c->passed ? "passed"
                                                                                  : "failed"));
                        if (c->evidence)
                                json_object_object_add(ck, "evidence", json_object_new_string(c->evidence));
                        json_object_array_add(checks, ck);
                }
                json_object_object_add(pb, "verify", checks);
                json_object_array_add(playbooks, pb);
        }
        json_object_object_add(root, "playbooks", playbooks);

        unsigned n_change, n_ok, n_skip, n_fail;
        run_count(r, &n_change, &n_ok, &n_skip, &n_fail);
        json_object *summary = json_object_new_object();
        json_object_object_add(summary, dry_run ? "change" : "changed", json_object_new_int(n_change));
        json_object_object_add(summary, "ok", json_object_new_int(n_ok));
        json_object_object_add(summary, "skipped", json_object_new_int(n_skip));
        json_object_object_add(summary, "failed", json_object_new_int(n_fail));
        json_object_object_add(root, "summary", summary);

        if (!dry_run) {
                static const char *const outcomes[] = {
                        [RUN_PLANNED] = "planned",         [RUN_NOTHING_TO_DO] = "nothing-to-do",
                        [RUN_APPLIED] = "applied",         [RUN_ROLLED_BACK] = "rolled-back",
                        [RUN_ROLLBACK_FAILED] = "rollback-failed",
                };
                json_object_object_add(root, "outcome", json_object_new_string(outcomes[r->outcome]));
                if (r->txn)
                        json_object_object_add(root, "backup", json_object_new_string(r->txn->id));
        }
        if (r->error)
                json_object_object_add(root, "error", json_object_new_string(r->error));
        if (r->rollback_error)
                json_object_object_add(root, "rollback_error", json_object_new_string(r->rollback_error));
        return root;
}

void report_print_json(json_object *o, FILE *out) {
        secret_mask_json(o);
        /* json-c copies bytes that are not UTF-8 from a node's file into its strings. */
        (void) json_text_write(out, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        fputc('\n', out);
        json_object_put(o);
}

int report_error(int exit_status, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        /* Errors quote what they refuse: a parameter, a line of a node file. */
        if (msg) {
                char *masked = secret_mask(msg);
                free(msg);
                msg = masked;
        }

        /* NPD reads an exit status of 2 as Unknown, and the condition's message from stdout. */
        if (report_options.npd) {
                _cleanup_free_ char *line = NULL;
                if (asprintf(&line, "remedy cannot diagnose: %s", msg ? msg : "out of memory") >= 0)
                        report_npd_line(line);
        }
        if (report_options.json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "error", json_object_new_string(msg ? msg : "out of memory"));
                json_object_object_add(o, "exit_status", json_object_new_int(exit_status));
                report_print_json(o, stdout);
        }
        /* The one-line error goes to stderr in both modes, for the operator's terminal and logs. */
        fputs("remedy: ", stderr);
        (void) term_puts(msg ? msg : "out of memory", stderr);
        fputc('\n', stderr);
        return exit_status;
}

void report_npd_line(const char *s) {
        char line[NPD_MESSAGE_MAX + 1];
        size_t n = 0;

        for (const char *c = s ? s : ""; *c && *c != '\n' && n < sizeof(line) - 1; c++)
                line[n++] = (unsigned char) *c >= 0x20 && (unsigned char) *c < 0x7f ? *c : '?';
        line[n] = 0;
        if (s && strlen(s) > n && s[n] != '\n' && n >= 3)
                memcpy(line + n - 3, "...", 3);
        puts(line);
}
