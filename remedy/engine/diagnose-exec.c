/* SPDX-License-Identifier: MIT */
/*
 * 203/EXEC (FAILURES.md B.6): systemd cannot execute the daemon's ExecStart= binary. The unit
 * fails at once with "status=203/EXEC" and "Failed at step EXEC spawning /usr/bin/kubelet: No
 * such file or directory", and the daemon itself never logs a line: only the unit files say which
 * binary, and which line of which file named it (often a drop-in's ExecStart= after the empty
 * reset line). This finding names both, what is wrong with the binary (missing, a dangling
 * symlink, no execute bit, not a file), and what to do. remedy fixes none of it by itself: which
 * binary is the right one is the operator's (or the package manager's) to say.
 *
 * Live, the binary is judged on the node and systemd's own record of the last exit (ExecMainStatus
 * 203) and its journal line are added. Offline the binary is judged from the unit files alone;
 * a missing binary then counts only when its directory is in the tree, since a tree of
 * configuration files has no binaries at all.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "diagnose-internal.h"
#include "remedy/context.h"
#include "remedy/fileio.h"
#include "remedy/journal.h"
#include "remedy/kubeconfig.h"
#include "remedy/unit-exec.h"
#include "remedy/pattern.h"
#include "remedy/strv.h"

/* systemd's exit status for "could not execute the binary" (EXIT_EXEC, systemd.exec(5)). */
#define EXIT_EXEC 203
#define EXEC_SEARCH_MAX_ENTRIES 5000

/* Where systemd 252 looks for an ExecStart= binary given without a path (DEFAULT_PATH_NORMAL,
 * split-usr as Debian 12 builds it). */
static const char * const exec_search_path[] = {
        "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin", NULL,
};

typedef enum ExecProblem {
        EXEC_OK,
        EXEC_MISSING,
        EXEC_DANGLING,
        EXEC_NOT_EXECUTABLE,
        EXEC_NOT_A_FILE,
} ExecProblem;

/* What is wrong with the binary at path: *ret_problem, and a phrase saying it in *ret_words. */
static int judge_binary(Context *c, const char *path, bool offline, ExecProblem *ret_problem, char **ret_words) {
        FileKind kind;
        mode_t mode;
        int r;

        *ret_problem = EXEC_OK;
        *ret_words = NULL;
        if ((r = ctx_stat(c, path, &kind, &mode)) < 0)
                return r == -ENOMEM ? r : 0;   /* a link loop and the like: systemd's journal line says */
        if (kind == FILE_REGULAR) {
                /* root may execute a file with any execute bit, and none without one */
                if ((mode & 0111) == 0) {
                        *ret_problem = EXEC_NOT_EXECUTABLE;
                        return asprintf(ret_words, "%s has mode %04o: no execute bit", path, (unsigned) mode) < 0
                                ? -ENOMEM : 0;
                }
                return 0;
        }
        if (kind != FILE_ABSENT) {
                *ret_problem = EXEC_NOT_A_FILE;
                return asprintf(ret_words, "%s is a %s, not an executable file", path, file_kind_name(kind)) < 0
                        ? -ENOMEM : 0;
        }

        const NodeFile *link;
        if ((r = ctx_read(c, path, false, &link)) < 0)
                return r == -ENOMEM ? r : 0;
        if (link->kind == FILE_SYMLINK) {
                *ret_problem = EXEC_DANGLING;
                return asprintf(ret_words, "%s is a symbolic link to %s, which does not exist", path, link->data) < 0
                        ? -ENOMEM : 0;
        }
        if (offline) {
                /* A tree of configuration files has no binaries: missing means something only
                 * where the tree has the directory the binary belongs in. */
                _cleanup_free_ char *dir = path_dirname(path);
                if (!dir)
                        return -ENOMEM;
                if ((r = ctx_stat(c, dir, &kind, &mode)) < 0)
                        return r == -ENOMEM ? r : 0;
                if (kind != FILE_DIRECTORY)
                        return 0;
        }
        *ret_problem = EXEC_MISSING;
        return asprintf(ret_words, "%s does not exist", path) < 0 ? -ENOMEM : 0;
}

/* A binary named without a path is looked for where systemd looks: the first that is there. */
static int find_executable(Context *c, const char *name, char **ret) {
        int r;

        if (name[0] == '/')
                return (*ret = strdup(name)) ? 0 : -ENOMEM;
        for (const char * const *d = exec_search_path; *d; d++) {
                _cleanup_free_ char *p = path_join(*d, name);
                FileKind kind;
                mode_t mode;
                if (!p)
                        return -ENOMEM;
                if ((r = ctx_stat(c, p, &kind, &mode)) == -ENOMEM)
                        return r;
                if (r >= 0 && kind != FILE_ABSENT) {
                        *ret = TAKE_PTR(p);
                        return 0;
                }
        }
        *ret = NULL;
        return 0;
}

/* systemd's newest line about failing to execute the unit's binary, quoted with its time. */
static int exec_failure_line(const char *unit, char **ret) {
        _cleanup_(pattern_done) Pattern p = {};
        _cleanup_free_ char *cursor = NULL, *newest = NULL;
        uint64_t newest_usec = 0;
        int r;

        *ret = NULL;
        /* 252: "Failed to locate executable X: ...", "Failed to execute X: ...", "Failed at step
         * EXEC spawning X: ..." (FAILURES.md B.6) */
        if (regcomp(&p.regex, "Failed (at step EXEC spawning|to execute|to locate executable) ",
                    REG_EXTENDED | REG_NOSUB) != 0)
                return -EINVAL;
        p.compiled = true;
        for (;;) {
                _cleanup_(journal_hit_done) JournalHit hit = {};
                _cleanup_free_ char *error = NULL;
                JournalSearch q = {
                        .unit = unit,
                        .after_cursor = cursor,
                        .match = &p.regex,
                        .max_entries = EXEC_SEARCH_MAX_ENTRIES,
                };
                r = journal_search(NULL, &q, &hit, NULL, &error);
                if (r == -ENOMEM)
                        return r;
                if (r <= 0)
                        break;
                free(newest);
                if (!(newest = strdup(hit.message ? hit.message : "")))
                        return -ENOMEM;
                newest_usec = hit.realtime_usec;
                free(cursor);
                cursor = TAKE_PTR(hit.cursor);
        }
        if (!newest)
                return 0;
        _cleanup_free_ char *at = NULL, *quoted = NULL;
        if ((r = format_utc((time_t) (newest_usec / USEC_PER_SEC), &at)) < 0 ||
            (r = evidence_quote(newest, &quoted)) < 0)
                return r;
        return evidence_printf(ret, "%s logged at %s: %s", unit, at, quoted);
}

int diagnose_exec(Context *c, const char *unit, const char *short_name, const UnitState *st, Diagnosis *d) {
        _cleanup_(unit_exec_done) UnitExec cmd = {};
        _cleanup_strv_free_ char **evidence = NULL;
        _cleanup_free_ char *error = NULL, *binary = NULL, *words = NULL, *line = NULL, *name = NULL, *summary = NULL,
                            *advice = NULL, *journal_line = NULL;
        const NodeFS fs = ctx_node_fs(c);
        ExecProblem problem = EXEC_OK;
        int r;

        /* The unit as systemd loads it; one it would not load is reported elsewhere. */
        r = unit_exec_resolve(&fs, unit, &cmd, &error);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        if ((r = find_executable(c, cmd.executable, &binary)) < 0)
                return r;
        if (binary) {
                if ((r = judge_binary(c, binary, c->offline, &problem, &words)) < 0)
                        return r;
        } else if (!c->offline) {
                problem = EXEC_MISSING;
                if (asprintf(&words, "%s is in none of systemd's binary directories (%s, ...)", cmd.executable,
                             exec_search_path[0]) < 0)
                        return -ENOMEM;
        }
        bool exited_203 = st && st->exec_main_code == CLD_EXITED && st->exec_main_status == EXIT_EXEC;
        if (problem == EXEC_OK && !exited_203)
                return 0;

        if (evidence_printf(&line, "ExecStart= at %s runs %s", cmd.exec_source, cmd.executable) < 0 ||
            strv_consume(&evidence, TAKE_PTR(line)) < 0)
                return -ENOMEM;
        if (words && strv_extend(&evidence, words) < 0)
                return -ENOMEM;
        if (st) {
                _cleanup_free_ char *exit_text = NULL;
                /* A unit that has not run since boot has no exit to speak of. */
                if (st->exec_main_code == CLD_EXITED &&
                    asprintf(&exit_text, ", last exit: status %d%s", st->exec_main_status,
                             exited_203 ? "/EXEC (systemd could not execute the binary)" : "") < 0)
                        return -ENOMEM;
                if (evidence_printf(&line, "%s: %s (%s), result %s%s", unit, st->active_state, st->sub_state,
                                    *st->result ? st->result : "unknown", strempty(exit_text)) < 0 ||
                    strv_consume(&evidence, TAKE_PTR(line)) < 0)
                        return -ENOMEM;
                if ((r = exec_failure_line(unit, &journal_line)) < 0)
                        return r;
                if (journal_line && strv_consume(&evidence, TAKE_PTR(journal_line)) < 0)
                        return -ENOMEM;
        }

        const char *what, *shown = binary ? binary : cmd.executable;
        _cleanup_free_ char *todo = NULL;
        switch (problem) {
        case EXEC_NOT_EXECUTABLE:
                what = "its ExecStart= binary is not executable";
                r = asprintf(&todo, "give it its execute bits back (chmod 0755 %s), or reinstall the package that "
                             "ships it", shown);
                break;
        case EXEC_DANGLING:
                what = "its ExecStart= binary is a dangling symbolic link";
                r = asprintf(&todo, "reinstall the package that ships %s, or point the link (or ExecStart=) at the "
                             "installed binary", shown);
                break;
        case EXEC_NOT_A_FILE:
                what = "its ExecStart= binary is not a file";
                r = asprintf(&todo, "correct ExecStart= to the installed binary (%s is not one)", shown);
                break;
        case EXEC_MISSING:
                what = "its ExecStart= binary is missing";
                r = asprintf(&todo, "reinstall the package that ships it (apt-get install --reinstall, dnf reinstall), "
                             "or correct ExecStart= to where the binary is (command -v) if %s is the wrong path", shown);
                break;
        default:
                /* 203 with a binary that looks fine: a noexec mount, another architecture, a
                 * script whose interpreter is missing; systemd's journal line says which. */
                what = "systemd could not execute its ExecStart= binary";
                r = asprintf(&todo, "read systemd's reason in the journal: %s may be on a noexec mount, built for "
                             "another architecture, or a script whose interpreter is missing", shown);
                break;
        }
        if (r < 0 || asprintf(&name, "%s-exec-failed", short_name) < 0 ||
            asprintf(&summary, "%s cannot start: %s (203/EXEC); no shipped playbook fixes this", unit, what) < 0 ||
            asprintf(&advice, "%s; the line that sets it is %s; then systemctl daemon-reload && systemctl restart %s. "
                     "remedy changes nothing here by itself", todo, cmd.exec_source, unit) < 0)
                return -ENOMEM;
        if ((r = diagnosis_add_own_finding(d, &name, &summary, &evidence, &advice)) < 0)
                return r;
        return 1;
}
