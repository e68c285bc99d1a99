/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The systemd journal, read with sd-journal from libsystemd.
 *
 *   journal_tail_cursor()  the cursor of the newest entry: where a transaction begins, so that a
 *                          later check looks only at what was logged after it;
 *   journal_search()       entries of one unit (as `journalctl -u UNIT` selects them) after a
 *                          cursor, matched against a regular expression on MESSAGE.
 *
 * directory is NULL for the local system journal (live), or a directory that is searched as an
 * OS root (a container's /proc/LEADER/root, an offline node's --root), whose var/log/journal and
 * run/log/journal are read: opened inside that tree (a symlink there resolves as on the node, never
 * out of it), their journal files taken by fd without following symlinks. Errors: negative errno
 * with *ret_error a one-line message.
 */

#include <regex.h>
#include <stdint.h>

#include "remedy/macro.h"

/* An empty journal (or an OS tree without one) has no newest entry: 0 with *ret_cursor NULL, and a
 * search after NULL then reads everything, which is all that was logged since. */
int journal_tail_cursor(const char *directory, char **ret_cursor, char **ret_error);

typedef struct JournalHit {
        char *cursor;
        uint64_t realtime_usec;   /* __REALTIME_TIMESTAMP */
        char *unit;               /* the unit the entry belongs to */
        char *message;            /* MESSAGE, as text (binary fields are shown with escapes) */
        uint32_t pid;             /* _PID, 0 if absent */
} JournalHit;

void journal_hit_done(JournalHit *h);

typedef struct JournalSearch {
        const char *unit;         /* full unit name, "containerd.service" */
        const char *after_cursor; /* only entries strictly after this one; NULL: all */
        uint64_t since_usec;      /* and only entries at or after this realtime; 0: no bound */
        const char *invocation_id; /* only entries of this run of the unit (_SYSTEMD_INVOCATION_ID, or
                                    * INVOCATION_ID in systemd's own messages about it); NULL: any */
        const regex_t *match;     /* matched against MESSAGE */
        unsigned max_entries;     /* read at most this many entries (newest bound); 0: no bound */
} JournalSearch;

/*
 * Finds the first entry (oldest first) that matches. Returns 1 with *ret_hit filled, 0 when none
 * matched, negative errno on errors. *ret_n_read (may be NULL) is how many entries of the unit were
 * read, so that evidence can say "none of the 42 lines since ...".
 */
int journal_search(const char *directory, const JournalSearch *q, JournalHit *ret_hit, unsigned *ret_n_read,
                   char **ret_error);

/*
 * The invocation ID of the unit's newest run that logged a line of its own (_SYSTEMD_INVOCATION_ID
 * of the newest entry from the unit's processes, among the newest max_entries), so that a unit
 * crash-looping under Restart= can be judged by the last run that said why, not by the run that
 * has just been started and not yet spoken. A run with the ID except_invocation (may be NULL) is
 * passed over. 0 with *ret NULL when there is none.
 */
int journal_last_invocation(const char *directory, const char *unit, const char *except_invocation,
                            unsigned max_entries, char **ret, char **ret_error);
