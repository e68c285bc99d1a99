/* SPDX-License-Identifier: MIT */
/*
 * 203/EXEC (FAILURES.md B.6): systemd cannot execute the daemon's ExecStart= binary. The unit
 * fails at once with "status=203/EXEC" and "Failed at step EXEC spawning /usr/bin/kubelet: No
 * such file or directory", and the daemon itself never logs a line: only the unit files say which
 * binary, and which line of which file named it (often a drop-in's ExecStart= after the empty
 * reset line). This finding names both, what is wrong with the binary (missing, a dangling
 * symlink, no execute bit, not a file, on a filesystem mounted noexec: "Permission denied"), and
 * what to do. remedy fixes none of it by itself: which
 * binary is the right one is the operator's (or the package manager's) to say.
 *
 * Live, the binary is judged on the node and systemd's own record of the last exit (ExecMainStatus
 * 203) and its journal line are added; a noexec mount is the mount's own flag (statvfs). Offline
 * the binary is judged from the unit files alone, its mount from the node's fstab and .mount
 * units; a missing binary then counts only when its directory is in the tree, since a tree of
 * configuration files has no binaries at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/wait.h>

#include "diagnose-internal.h"
#include "remedy/context.h"
#include "remedy/fileio.h"
#include "remedy/fstab.h"
#include "remedy/journal.h"
#include "remedy/kubeconfig.h"
#include "remedy/unit-exec.h"
#include "remedy/unit-file.h"
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
        EXEC_NOEXEC_MOUNT,
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

static bool same_mount_point(const char *a, const char *b) {
        size_t n = mount_point_len(a);
        return n == mount_point_len(b) && strncmp(a, b, n) == 0;
}

/* The files' contents, those that are regular files (the manager skips a masked or dangling
 * drop-in), with their paths. */
static int read_units(Context *c, char * const *paths, const char ***ret_data, const char ***ret_paths, size_t *ret_n) {
        size_t total = strv_length(paths), n = 0;
        _cleanup_free_ const char **data = calloc(total + 1, sizeof(char *)), **read = calloc(total + 1, sizeof(char *));
        const NodeFile *f;
        int r;

        if (!data || !read)
                return -ENOMEM;
        STRV_FOREACH(p, paths) {
                if ((r = ctx_read(c, *p, true, &f)) == -ENOMEM)
                        return r;
                if (r < 0 || f->kind != FILE_REGULAR)
                        continue;
                read[n] = *p;
                data[n++] = f->data;
        }
        *ret_data = TAKE_PTR(data);
        *ret_paths = TAKE_PTR(read);
        *ret_n = n;
        return 0;
}

/*
 * The mount systemd sets up at mount point where at boot, as the manager loads its .mount unit:
 * the fragment is the unit file found in the search path, or the unit systemd-fstab-generator
 * makes of fstab_line (the fstab entry for where, or NULL). The generator's directory is searched
 * after /etc and /run/systemd/system and before /usr/lib and /lib, so a unit file in the former
 * wins over the fstab line and the fstab line over one in the latter. A masked unit mounts
 * nothing; a unit whose Where= disagrees with its name is refused. The unit's drop-ins apply on
 * top of either fragment, the last Options= winning. 1 with *ret and *ret_file (the file of the
 * options that count), 0 for no mount there, -ENOMEM.
 */
static int mount_unit_at(Context *c, const char *where, const FstabMount *fstab_line, FstabMount *ret, char **ret_file) {
        _cleanup_(unit_file_freep) UnitFile *u = NULL;
        _cleanup_strv_free_ char **dropins = NULL;
        _cleanup_free_ char *name = NULL, *error = NULL;
        _cleanup_free_ const char **data = NULL, **paths = NULL;
        _cleanup_(fstab_mount_done) FstabMount m = {}, over = {};
        const NodeFS fs = ctx_node_fs(c);
        const char *file = NULL;
        size_t n = 0, at = 0;
        int r;

        if ((r = unit_name_from_path(where, ".mount", &name)) < 0)
                return r == -ENOMEM ? r : 0;
        if ((r = unit_file_find_fragment(&fs, name, &u, &error)) == -ENOMEM)
                return r;
        if (r >= 0 && u->masked)
                return 0;
        bool unit_first = r >= 0 && (mount_point_holds(UNIT_CONFIG_DIR, u->path) || mount_point_holds(UNIT_RUNTIME_DIR, u->path));
        if (r >= 0 && (unit_first || !fstab_line)) {
                if ((r = read_units(c, (char *[]) { u->path, NULL }, &data, &paths, &n)) < 0)
                        return r;
                if (n == 0)
                        return 0;
                if ((r = mount_unit_parse_files(data, 1, &m, NULL)) < 0)
                        return r;
                if (m.target && !same_mount_point(m.target, where))
                        return 0;
                file = paths[0];
        } else if (fstab_line) {
                m = (FstabMount) { .line = fstab_line->line, .noexec = fstab_line->noexec };
                file = FSTAB_PATH;
        } else
                return 0;
        free(m.target);
        if (!(m.target = strdup(where)))
                return -ENOMEM;

        if ((r = unit_dropin_files(&fs, (char *[]) { name, NULL }, UNIT_DROPINS_MANAGER, &dropins)) == -ENOMEM)
                return r;
        if (r >= 0 && dropins) {
                free(data);
                free(paths);
                data = paths = NULL;
                if ((r = read_units(c, dropins, &data, &paths, &n)) < 0 ||
                    (n > 0 && (r = mount_unit_parse_files(data, n, &over, &at)) < 0))
                        return r;
                if (n > 0 && over.target && !same_mount_point(over.target, where))
                        return 0;
                if (n > 0 && over.options_set) {
                        m.noexec = over.noexec;
                        m.line = over.line;
                        file = paths[at];
                }
        }
        if (!(*ret_file = strdup(file)))
                return -ENOMEM;
        *ret = m;
        m = (FstabMount) {};
        return 1;
}

/* The mount the node sets up at boot that holds path: the longest mount point of path's
 * directories that has an fstab entry or a .mount unit (mount_unit_at()). 1 with *ret and
 * *ret_file, 0 none, -ENOMEM. */
static int boot_mount_for(Context *c, const char *path, FstabMount *ret, char **ret_file) {
        _cleanup_free_ char *where = strdup(path);
        _cleanup_(fstab_mount_done) FstabMount fstab_best = {};
        const NodeFile *f;
        int r;

        if (!where)
                return -ENOMEM;
        if ((r = ctx_read(c, FSTAB_PATH, true, &f)) == -ENOMEM)
                return r;
        if (r >= 0 && f->kind == FILE_REGULAR && (r = fstab_mount_for(f->data, f->size, path, &fstab_best)) < 0)
                return r;
        /* path and each directory above it, longest first: the first mount found is on top */
        for (;;) {
                bool fstab_here = fstab_best.target && same_mount_point(fstab_best.target, where);
                if ((r = mount_unit_at(c, where, fstab_here ? &fstab_best : NULL, ret, ret_file)) != 0)
                        return r;
                if (streq(where, "/"))
                        return 0;
                char *slash = strrchr(where, '/');
                if (!slash)
                        return 0;
                slash[slash == where ? 1 : 0] = 0;   /* "/a" -> "/" */
        }
}

/*
 * An executable binary on a filesystem mounted noexec: execve() fails with EACCES, systemd with
 * 203/EXEC. Live on this machine, the mount's own flags (statvfs of the file execve() runs) decide,
 * and the boot configuration only names the line; otherwise the boot configuration decides.
 * *ret_where: "MOUNTPOINT's options at FILE:LINE" for the advice, when a line is known.
 */
static int judge_mount(Context *c, const char *binary, ExecProblem *ret_problem, char **ret_words, char **ret_where) {
        _cleanup_free_ char *real = NULL, *file = NULL;
        _cleanup_(fstab_mount_done) FstabMount m = {};
        bool live = !c->offline && root_is_host(c->root), live_noexec = false;
        int r;

        /* execve() runs the link's target: its mount is the one that counts */
        if ((r = root_canonicalize(c->root, binary, true, &real)) == -ENOMEM)
                return r;
        const char *path = r >= 0 ? real : binary;
        if (live) {
                _cleanup_close_ int fd = root_open_file(c->root, path, O_PATH | O_CLOEXEC, 0);
                struct statvfs sv;
                if (fd < 0 || fstatvfs(fd, &sv) < 0)
                        return 0;
                live_noexec = sv.f_flag & ST_NOEXEC;
                if (!live_noexec)
                        return 0;
        }
        if ((r = boot_mount_for(c, path, &m, &file)) < 0)
                return r;
        if (r > 0 && m.noexec) {
                *ret_problem = EXEC_NOEXEC_MOUNT;
                if (asprintf(ret_words, "%s is on %s, mounted noexec by %s:%u", path, m.target, file, m.line) < 0 ||
                    asprintf(ret_where, "%s's options at %s:%u", m.target, file, m.line) < 0)
                        return -ENOMEM;
                return 0;
        }
        if (!live_noexec)
                return 0;
        *ret_problem = EXEC_NOEXEC_MOUNT;
        return asprintf(ret_words, "%s is on a filesystem mounted noexec now (findmnt --target %s shows its mount)", path,
                        path) < 0 ? -ENOMEM : 0;
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
                            *advice = NULL, *journal_line = NULL, *mount_where = NULL;
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
                if (problem == EXEC_OK && (r = judge_mount(c, binary, &problem, &words, &mount_where)) < 0)
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
        case EXEC_NOEXEC_MOUNT:
                what = "its ExecStart= binary is on a filesystem mounted noexec";
                r = mount_where ? asprintf(&todo, "remove noexec from %s and remount it (mount -o remount,exec), or "
                                           "install %s on a filesystem mounted exec", mount_where, shown)
                                : asprintf(&todo, "remount its filesystem exec (mount -o remount,exec), and remove noexec "
                                           "where the node's boot mounts it, or install %s on a filesystem mounted exec",
                                           shown);
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
