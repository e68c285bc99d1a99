/* SPDX-License-Identifier: MIT */
/*
 * The decisions of an unattended run: the breaker first (open: nothing is applied), then the
 * daily budget, then the cooldown; and what the outcome of the transaction does to the state.
 * An attempt counts whether it stood or was rolled back: a fix that something else keeps undoing
 * uses up its budget as surely as one that fails.
 */
#include "unattended.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "remedy/log.h"
#include "remedy/strv.h"

/* "a, b" */
static char *join(char * const *l) {
        size_t len = 1;
        STRV_FOREACH(s, l)
                len += strlen(*s) + 2;
        char *text = malloc(len), *p = text;
        if (!text)
                return NULL;
        *p = 0;
        STRV_FOREACH(s, l)
                p = stpcpy(stpcpy(p, s == l ? "" : ", "), *s);
        return text;
}

static int error_of(char **ret_error, const char *what, int r) {
        if (asprintf(ret_error, "%s: %s", what, strerror(-r)) < 0)
                *ret_error = NULL;
        return r;
}

/* Reads the state through the locked directory: no symlink is followed, the file must be a
 * regular file of root's that nobody else can write. A missing file is a fresh state. */
static int load(Unattended *u, const char *display, char **ret_error) {
        _cleanup_close_ int fd = openat(u->dir_fd, path_basename(UNATTENDED_STATE_PATH),
                                        O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        _cleanup_free_ char *text = NULL;
        struct stat st;
        size_t size;
        int r;

        if (fd < 0 && errno == ENOENT)
                return 0;
        if (fd < 0)
                return error_of(ret_error, display, errno == ELOOP ? -ELOOP : -errno);
        if (fstat(fd, &st) < 0)
                return error_of(ret_error, display, -errno);
        if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0022)) {
                if (asprintf(ret_error, "%s: not a regular file of root's that only root can write; "
                                        "remedy fix --reset replaces it", display) < 0)
                        *ret_error = NULL;
                return -EPERM;
        }
        if ((r = read_full_fd(fd, 1024 * 1024, &text, &size)) < 0)
                return error_of(ret_error, display, r);
        if (strlen(text) != size)
                return error_of(ret_error, display, -EBADMSG);
        return unattended_state_parse(text, display, &u->state, ret_error);
}

static int open_state(Root *root, bool journal, uint64_t cooldown_usec, unsigned max_attempts, bool fresh,
                      Unattended **ret, char **ret_error) {
        _cleanup_(unattended_freep) Unattended *u = calloc(1, sizeof *u);
        _cleanup_free_ char *display = root_display_path(root, UNATTENDED_STATE_PATH);
        int r;

        *ret_error = NULL;
        if (!u || !display)
                return -ENOMEM;
        *u = (Unattended) { .root = root, .dir_fd = -EBADF, .journal = journal, .now = (int64_t) time(NULL),
                            .cooldown_usec = cooldown_usec, .max_attempts = max_attempts };
        if ((r = root_mkdir_parents(root, UNATTENDED_STATE_PATH)) < 0)
                return error_of(ret_error, display, r);
        u->dir_fd = root_open_parent(root, UNATTENDED_STATE_PATH, NULL);
        if (u->dir_fd < 0)
                return error_of(ret_error, display, u->dir_fd);
        if (flock(u->dir_fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno != EWOULDBLOCK)
                        return error_of(ret_error, display, -errno);
                if (asprintf(ret_error, "%s: another remedy fix --unattended or --reset is running", display) < 0)
                        *ret_error = NULL;
                return -EBUSY;
        }
        if (!fresh && (r = load(u, display, ret_error)) < 0)
                return r;
        *ret = TAKE_PTR(u);
        return 0;
}

int unattended_open(Root *root, bool journal, uint64_t cooldown_usec, unsigned max_attempts, Unattended **ret,
                    char **ret_error) {
        return open_state(root, journal, cooldown_usec, max_attempts, false, ret, ret_error);
}

int unattended_open_fresh(Root *root, bool journal, uint64_t cooldown_usec, unsigned max_attempts, Unattended **ret,
                          char **ret_error) {
        return open_state(root, journal, cooldown_usec, max_attempts, true, ret, ret_error);
}

Unattended *unattended_free(Unattended *u) {
        if (!u)
                return NULL;
        if (u->dir_fd >= 0)
                close(u->dir_fd);     /* drops the flock */
        unattended_state_done(&u->state);
        strv_free(u->applying);
        strv_free(u->decided);
        free(u->decisions);
        free(u);
        return NULL;
}

static void remember(Unattended *u, const char *name, UnattendedDecision d) {
        for (size_t i = 0; u->decided && u->decided[i]; i++)
                if (streq(u->decided[i], name)) {
                        u->decisions[i] = d;
                        return;
                }
        size_t n = strv_length(u->decided);
        UnattendedDecision *l = realloc(u->decisions, (n + 1) * sizeof *l);
        if (!l)
                return;
        u->decisions = l;
        if (strv_extend(&u->decided, name) < 0)
                return;
        l[n] = d;
}

static void say(const Unattended *u, UnattendedDecision d, const char *name, const char *text) {
        log_notice("%s", text);
        unattended_log(u, d, name, text);
}

/* The attempts of the last day, and the newest of them (0 when none). */
static size_t attempts_today(const Unattended *u, const UnattendedPlaybook *p, int64_t *ret_last) {
        size_t n = 0;
        *ret_last = 0;
        for (size_t i = 0; p && i < p->n_attempts; i++) {
                if (p->attempts[i] > *ret_last)
                        *ret_last = p->attempts[i];
                if (p->attempts[i] > u->now - UNATTENDED_DAY_SECONDS)
                        n++;
        }
        return n;
}

UnattendedDecision unattended_decide(Unattended *u, const Playbook *p) {
        UnattendedPlaybook *entry = unattended_state_playbook(&u->state, p->name, false);
        _cleanup_free_ char *text = NULL;
        UnattendedDecision d;
        int64_t last;
        size_t n = attempts_today(u, entry, &last);
        int k;

        if (p->safety != PLAYBOOK_SAFETY_AUTO) {
                unattended_report_only(u, p->name, p->safety == PLAYBOOK_SAFETY_CONFIRM
                                                           ? "its safety is confirm: an operator applies it (fix --yes)"
                                                           : "its safety is report: remedy does not fix it");
                return UNATTENDED_REPORT_ONLY;
        }
        if (u->state.breaker_open) {
                _cleanup_free_ char *names = join(u->state.breaker_playbooks);
                d = UNATTENDED_SKIP_BREAKER;
                k = asprintf(&text, "%s found, not applied: the breaker is open since a fix (%s) was rolled back; "
                                    "after looking at the node, remedy fix --reset closes it",
                             p->name, names && *names ? names : "?");
        } else if (n >= u->max_attempts) {
                d = UNATTENDED_SKIP_ATTEMPTS;
                k = asprintf(&text, "%s found, not applied: %zu attempts in the last 24 hours (--max-attempts=%u)",
                             p->name, n, u->max_attempts);
        } else if (last > 0 && (last > u->now || (uint64_t) (u->now - last) * USEC_PER_SEC < u->cooldown_usec)) {
                d = UNATTENDED_SKIP_COOLDOWN;
                k = asprintf(&text, "%s found, not applied: applied %llds ago, within the cooldown (--cooldown=%llus)",
                             p->name, (long long) (u->now - last), (unsigned long long) (u->cooldown_usec / USEC_PER_SEC));
        } else {
                d = UNATTENDED_APPLY;
                k = asprintf(&text, "%s found: applying it (safety auto, attempt %zu of %u today)", p->name, n + 1,
                             u->max_attempts);
                if (strv_extend(&u->applying, p->name) < 0)
                        k = -1;
        }
        remember(u, p->name, d);
        /* What goes into the transaction is logged with its outcome (unattended_record). */
        if (k >= 0 && d != UNATTENDED_APPLY)
                say(u, d, p->name, text);
        else if (k >= 0)
                log_notice("%s", text);
        return d;
}

void unattended_report_only(Unattended *u, const char *name, const char *why) {
        _cleanup_free_ char *text = NULL;
        remember(u, name, UNATTENDED_REPORT_ONLY);
        if (asprintf(&text, "%s found, only reported: %s", name, why) >= 0)
                say(u, UNATTENDED_REPORT_ONLY, name, text);
}

/* Keeps the attempts of the last day only, so that the file does not grow. */
static void prune(Unattended *u) {
        for (size_t i = 0; i < u->state.n_playbooks; i++) {
                UnattendedPlaybook *p = &u->state.playbooks[i];
                size_t k = 0;
                for (size_t j = 0; j < p->n_attempts; j++)
                        if (p->attempts[j] > u->now - UNATTENDED_DAY_SECONDS)
                                p->attempts[k++] = p->attempts[j];
                p->n_attempts = k;
        }
}

int unattended_save(Unattended *u, char **ret_error) {
        _cleanup_free_ char *text = NULL, *display = root_display_path(u->root, UNATTENDED_STATE_PATH);
        const WriteOptions o = { .mode = 0600, .uid = 0, .gid = 0 };
        int r;

        prune(u);
        if (!display || !(text = unattended_state_format(&u->state)))
                return -ENOMEM;
        /* The writer opens the directory again without following symlinks, and replaces a
         * symlink at the file's name instead of writing through it. */
        if ((r = root_write_file_atomic(u->root, UNATTENDED_STATE_PATH, text, strlen(text), &o)) < 0)
                return error_of(ret_error, display, r);
        return 0;
}

int unattended_record(Unattended *u, int apply_status, char **ret_error) {
        _cleanup_free_ char *names = join(u->applying), *text = NULL;
        int k;

        *ret_error = NULL;
        if (!u->applying)
                return 0;
        if (!names)
                return -ENOMEM;
        /* 2: refused before anything was tried (another remedy running, an unresolved
         * transaction); not an attempt. */
        if (apply_status != 0 && apply_status != 1) {
                log_notice("not applied (apply refused, exit %d): %s", apply_status, names);
                return 0;
        }
        STRV_FOREACH(n, u->applying) {
                UnattendedPlaybook *p = unattended_state_playbook(&u->state, *n, true);
                if (!p)
                        return -ENOMEM;
                int64_t *l = realloc(p->attempts, (p->n_attempts + 1) * sizeof *l);
                if (!l)
                        return -ENOMEM;
                p->attempts = l;
                l[p->n_attempts++] = u->now;
                remember(u, *n, apply_status == 0 ? UNATTENDED_APPLIED : UNATTENDED_ROLLED_BACK);
        }
        if (apply_status == 1) {
                u->state.breaker_open = true;
                u->state.breaker_since = u->now;
                strv_free(u->state.breaker_playbooks);
                u->state.breaker_playbooks = NULL;
                STRV_FOREACH(n, u->applying)
                        if (strv_extend(&u->state.breaker_playbooks, *n) < 0)
                                return -ENOMEM;
        }
        STRV_FOREACH(n, u->applying) {
                free(text);
                text = NULL;
                k = apply_status == 0
                        ? asprintf(&text, "%s applied and verified", *n)
                        : asprintf(&text, "%s was rolled back (a step or its verification failed): the breaker is "
                                          "open, unattended runs apply nothing until remedy fix --reset", *n);
                if (k < 0)
                        return -ENOMEM;
                say(u, apply_status == 0 ? UNATTENDED_APPLIED : UNATTENDED_ROLLED_BACK, *n, text);
        }
        return unattended_save(u, ret_error);
}

int unattended_reset(Unattended *u, char **ret_error) {
        _cleanup_free_ char *names = join(u->state.breaker_playbooks), *text = NULL;
        bool was_open = u->state.breaker_open;

        *ret_error = NULL;
        unattended_state_done(&u->state);
        if (asprintf(&text, was_open ? "the breaker is closed (it opened when %s was rolled back); the attempts are forgotten"
                                     : "the breaker was not open%s; the attempts are forgotten",
                     was_open ? (names && *names ? names : "a fix") : "") < 0)
                return -ENOMEM;
        say(u, UNATTENDED_RESET, NULL, text);
        return unattended_save(u, ret_error);
}
