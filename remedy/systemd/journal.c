/* SPDX-License-Identifier: MIT */
#include "remedy/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>

_printf_(3, 4) static int journal_fail(char **ret_error, int r, const char *fmt, ...) {
        _cleanup_free_ char *what = NULL;
        va_list ap;

        if (!ret_error)
                return r;
        va_start(ap, fmt);
        int k = vasprintf(&what, fmt, ap);
        va_end(ap);
        if (k < 0) {
                what = NULL;
                return -ENOMEM;
        }
        if (asprintf(ret_error, "%s: %s", what, strerror(-r)) < 0) {
                *ret_error = NULL;
                return -ENOMEM;
        }
        return r;
}

static const char *journal_describe(const char *directory) {
        return directory ? directory : "the system journal";
}

/* The live journal of this machine, or the journals under an OS tree (its var/log/journal and
 * run/log/journal). sd-journal happily opens a directory that does not exist as an empty journal,
 * which would read as "nothing was logged": a missing directory is refused first. */
static int journal_open(const char *directory, sd_journal **ret, char **ret_error) {
        int r;

        if (!directory) {
                r = sd_journal_open(ret, SD_JOURNAL_LOCAL_ONLY);
                return r < 0 ? journal_fail(ret_error, r, "cannot open the system journal") : 0;
        }

        struct stat st;
        if (stat(directory, &st) < 0)
                return journal_fail(ret_error, negative_errno(), "cannot open the journal under \"%s\"", directory);
        if (!S_ISDIR(st.st_mode))
                return journal_fail(ret_error, -ENOTDIR, "cannot open the journal under \"%s\"", directory);
        r = sd_journal_open_directory(ret, directory, SD_JOURNAL_OS_ROOT);
        return r < 0 ? journal_fail(ret_error, r, "cannot open the journal under \"%s\"", directory) : 0;
}

/* An empty journal has no newest entry: *ret_cursor is NULL and 0 is returned, and a search
 * "after" NULL then reads everything, which is what was logged since. */
int journal_tail_cursor(const char *directory, char **ret_cursor, char **ret_error) {
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        int r;

        if (!ret_cursor)
                return -EINVAL;
        r = journal_open(directory, &j, ret_error);
        if (r < 0)
                return r;
        r = sd_journal_seek_tail(j);
        if (r < 0)
                return journal_fail(ret_error, r, "cannot seek to the end of %s", journal_describe(directory));
        r = sd_journal_previous(j);
        if (r < 0)
                return journal_fail(ret_error, r, "cannot read %s", journal_describe(directory));
        if (r == 0) {
                *ret_cursor = NULL;
                return 0;
        }
        r = sd_journal_get_cursor(j, ret_cursor);
        if (r < 0)
                return journal_fail(ret_error, r, "cannot read a cursor from %s", journal_describe(directory));
        return 0;
}

void journal_hit_done(JournalHit *h) {
        if (!h)
                return;
        free(h->cursor);
        free(h->unit);
        free(h->message);
        *h = (JournalHit) {};
}

_printf_(2, 3) static int add_match(sd_journal *j, const char *fmt, ...) {
        _cleanup_free_ char *m = NULL;
        va_list ap;

        va_start(ap, fmt);
        int k = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (k < 0) {
                m = NULL;
                return -ENOMEM;
        }
        return sd_journal_add_match(j, m, 0);
}

/* What `journalctl -u UNIT` selects: the unit's own processes, systemd's messages about it,
 * its core dumps, and what privileged daemons log about it. */
static int add_unit_matches(sd_journal *j, const char *unit) {
        int r;

        if ((r = add_match(j, "_SYSTEMD_UNIT=%s", unit)) < 0 || (r = sd_journal_add_disjunction(j)) < 0 ||
            (r = add_match(j, "MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1")) < 0 ||
            (r = add_match(j, "_UID=0")) < 0 || (r = add_match(j, "COREDUMP_UNIT=%s", unit)) < 0 ||
            (r = sd_journal_add_disjunction(j)) < 0 || (r = add_match(j, "_PID=1")) < 0 ||
            (r = add_match(j, "UNIT=%s", unit)) < 0 || (r = sd_journal_add_disjunction(j)) < 0 ||
            (r = add_match(j, "_UID=0")) < 0 || (r = add_match(j, "OBJECT_SYSTEMD_UNIT=%s", unit)) < 0)
                return r;
        if (endswith(unit, ".slice") &&
            ((r = sd_journal_add_disjunction(j)) < 0 || (r = add_match(j, "_SYSTEMD_SLICE=%s", unit)) < 0))
                return r;
        return 0;
}

/* A field's value, or NULL (r == 0) when the entry has no such field. */
static int get_field(sd_journal *j, const char *field, const char **ret_value, size_t *ret_size) {
        const void *data;
        size_t size, n = strlen(field);
        int r;

        r = sd_journal_get_data(j, field, &data, &size);
        if (r == -ENOENT) {
                *ret_value = NULL;
                *ret_size = 0;
                return 0;
        }
        if (r < 0)
                return r;
        if (size < n + 1 || memcmp(data, field, n) != 0 || ((const char *) data)[n] != '=')
                return -EBADMSG;
        *ret_value = (const char *) data + n + 1;
        *ret_size = size - n - 1;
        return 1;
}

/* MESSAGE as text: journal fields are binary-safe, so control bytes (a NUL above all) are shown
 * as \xNN and the regular expression sees the same text as the operator. UTF-8 passes as is. */
static char *message_text(const char *value, size_t size) {
        char *text = malloc(size * 4 + 1), *p = text;
        if (!text)
                return NULL;
        for (size_t i = 0; i < size; i++) {
                unsigned char c = (unsigned char) value[i];
                if (c < 0x20 && c != '\t')
                        p += sprintf(p, "\\x%02x", c);
                else if (c == 0x7f)
                        p += sprintf(p, "\\x7f");
                else
                        *p++ = (char) c;
        }
        *p = '\0';
        return text;
}

static int field_text(sd_journal *j, const char *field, char **ret) {
        const char *value;
        size_t size;
        int r = get_field(j, field, &value, &size);
        if (r <= 0) {
                *ret = NULL;
                return r;
        }
        *ret = message_text(value, size);
        return *ret ? 1 : -ENOMEM;
}

static int fill_hit(sd_journal *j, const char *unit, char *message, JournalHit *ret) {
        static const char *const unit_fields[] = {
                "_SYSTEMD_UNIT", "UNIT", "OBJECT_SYSTEMD_UNIT", "COREDUMP_UNIT",
        };
        _cleanup_(journal_hit_done) JournalHit h = { .message = message };
        _cleanup_free_ char *pid = NULL;
        int r;

        if ((r = sd_journal_get_cursor(j, &h.cursor)) < 0 ||
            (r = sd_journal_get_realtime_usec(j, &h.realtime_usec)) < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(unit_fields) && !h.unit; i++)
                if ((r = field_text(j, unit_fields[i], &h.unit)) < 0)
                        return r;
        if (!h.unit && !(h.unit = strdup(unit)))
                return -ENOMEM;
        if ((r = field_text(j, "_PID", &pid)) < 0)
                return r;
        if (pid) {
                char *end;
                errno = 0;
                unsigned long v = strtoul(pid, &end, 10);
                if (errno == 0 && *end == '\0' && end != pid && v <= UINT32_MAX)
                        h.pid = (uint32_t) v;
        }
        *ret = h;
        h = (JournalHit) {};
        return 0;
}

/* Positions j on the oldest entry that the search may read, given after_cursor: seeking to a
 * cursor lands on the entry itself when it matches the unit, which is excluded. Returns 0 when
 * nothing of the unit follows the cursor. The entry's cursor goes to *ret_first. */
static int first_entry_after(sd_journal *j, const char *after_cursor, char **ret_first) {
        int r;

        r = sd_journal_seek_cursor(j, after_cursor);
        if (r < 0)
                return r;
        r = sd_journal_next(j);
        if (r <= 0)
                return r;
        r = sd_journal_test_cursor(j, after_cursor);
        if (r < 0)
                return r;
        if (r > 0) {
                r = sd_journal_next(j);
                if (r <= 0)
                        return r;
        }
        r = sd_journal_get_cursor(j, ret_first);
        return r < 0 ? r : 1;
}

/* Whether the entry belongs to the unit's run with this invocation ID: logged by its processes,
 * or by systemd about it. */
static int entry_of_invocation(sd_journal *j, const char *invocation_id) {
        static const char * const fields[] = { "_SYSTEMD_INVOCATION_ID", "INVOCATION_ID" };
        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                const char *value;
                size_t size;
                int r = get_field(j, fields[i], &value, &size);
                if (r < 0)
                        return r;
                if (r > 0 && size == strlen(invocation_id) && memcmp(value, invocation_id, size) == 0)
                        return 1;
        }
        return 0;
}

/* Matches the current entry's MESSAGE: 1 with *hit replaced by it, 0 when it does not match. */
static int match_entry(sd_journal *j, const JournalSearch *q, const char *directory, JournalHit *hit,
                       char **ret_error) {
        _cleanup_free_ char *message = NULL;
        int r = field_text(j, "MESSAGE", &message);
        if (r < 0)
                return journal_fail(ret_error, r, "cannot read an entry of %s", journal_describe(directory));
        if (!message || regexec(q->match, message, 0, NULL, 0) != 0)
                return 0;
        journal_hit_done(hit);
        r = fill_hit(j, q->unit, TAKE_PTR(message), hit);
        if (r < 0)
                return journal_fail(ret_error, r, "cannot read an entry of %s", journal_describe(directory));
        return 1;
}

int journal_search(const char *directory, const JournalSearch *q, JournalHit *ret_hit, unsigned *ret_n_read,
                   char **ret_error) {
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        _cleanup_(journal_hit_done) JournalHit hit = {};
        _cleanup_free_ char *first = NULL;
        unsigned n_read = 0;
        bool found = false;
        int r;

        if (!q || !q->unit || !q->match || !ret_hit)
                return -EINVAL;
        if (ret_n_read)
                *ret_n_read = 0;

        r = journal_open(directory, &j, ret_error);
        if (r < 0)
                return r;
        r = add_unit_matches(j, q->unit);
        if (r < 0)
                return journal_fail(ret_error, r, "cannot select %s in %s", q->unit, journal_describe(directory));

        if (q->after_cursor) {
                r = first_entry_after(j, q->after_cursor, &first);
                if (r < 0)
                        return journal_fail(ret_error, r, "cannot find cursor \"%s\" in %s", q->after_cursor,
                                            journal_describe(directory));
                if (r == 0)
                        return 0;
        }

        /* Newest first, so that max_entries bounds the newest lines; the oldest match seen wins,
         * which is the first match in time order. */
        r = sd_journal_seek_tail(j);
        if (r < 0)
                return journal_fail(ret_error, r, "cannot seek to the end of %s", journal_describe(directory));
        while (q->max_entries == 0 || n_read < q->max_entries) {
                r = sd_journal_previous(j);
                if (r < 0)
                        return journal_fail(ret_error, r, "cannot read %s", journal_describe(directory));
                if (r == 0)
                        break;

                if (q->since_usec > 0) {
                        uint64_t t;
                        r = sd_journal_get_realtime_usec(j, &t);
                        if (r < 0)
                                return journal_fail(ret_error, r, "cannot read %s", journal_describe(directory));
                        if (t < q->since_usec)
                                break;
                }
                bool of_run = true;
                if (q->invocation_id) {
                        r = entry_of_invocation(j, q->invocation_id);
                        if (r < 0)
                                return journal_fail(ret_error, r, "cannot read an entry of %s", journal_describe(directory));
                        of_run = r > 0;
                }
                if (of_run) {
                        r = match_entry(j, q, directory, &hit, ret_error);
                        if (r < 0)
                                return r;
                        found = found || r > 0;
                        n_read++;
                }

                if (first) {
                        r = sd_journal_test_cursor(j, first);
                        if (r < 0)
                                return journal_fail(ret_error, r, "cannot read %s", journal_describe(directory));
                        if (r > 0)
                                break;
                }
        }

        if (ret_n_read)
                *ret_n_read = n_read;
        if (!found)
                return 0;
        *ret_hit = hit;
        hit = (JournalHit) {};
        return 1;
}

int journal_last_invocation(const char *directory, const char *unit, const char *except_invocation,
                            unsigned max_entries, char **ret, char **ret_error) {
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        int r;

        *ret = NULL;
        if ((r = journal_open(directory, &j, ret_error)) < 0)
                return r;
        /* Only the unit's own processes: systemd's messages about a run it has just started carry
         * that new run's ID too. */
        if ((r = add_match(j, "_SYSTEMD_UNIT=%s", unit)) < 0)
                return journal_fail(ret_error, r, "cannot select %s in %s", unit, journal_describe(directory));
        if ((r = sd_journal_seek_tail(j)) < 0)
                return journal_fail(ret_error, r, "cannot seek to the end of %s", journal_describe(directory));
        for (unsigned n = 0; max_entries == 0 || n < max_entries; n++) {
                const char *value;
                size_t size;

                r = sd_journal_previous(j);
                if (r < 0)
                        return journal_fail(ret_error, r, "cannot read %s", journal_describe(directory));
                if (r == 0)
                        return 0;
                r = get_field(j, "_SYSTEMD_INVOCATION_ID", &value, &size);
                if (r < 0)
                        return journal_fail(ret_error, r, "cannot read an entry of %s", journal_describe(directory));
                if (r > 0 && except_invocation && size == strlen(except_invocation) &&
                    memcmp(value, except_invocation, size) == 0)
                        continue;
                if (r > 0) {
                        *ret = strndup(value, size);
                        return *ret ? 1 : -ENOMEM;
                }
        }
        return 0;
}
