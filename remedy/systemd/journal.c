/* SPDX-License-Identifier: MIT */
#include "remedy/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>

#include "remedy/fileio.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

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

/* At most this many journal files of an offline node are read: each is an open fd, and the soft
 * RLIMIT_NOFILE is 1024. When a node has more, the most recently written ones are kept. */
#define OFFLINE_JOURNAL_FILES_MAX 512U

typedef struct JournalFd {
        int fd;
        struct timespec mtime;
} JournalFd;

/* A journal opened for reading. Offline, sd-journal is handed the journal files' fds: once it has
 * opened them it owns them and sd_journal_close() closes them (libsystemd 252, measured); until
 * then, or when it refuses them, they are ours to close. j is NULL when an offline node has no
 * journal files at all: nothing was logged there. */
typedef struct JournalHandle {
        sd_journal *j;
        JournalFd *files;
        size_t n_files;
} JournalHandle;

static void journal_handle_done(JournalHandle *h) {
        if (h->j)
                sd_journal_close(h->j);   /* and with it the files' fds */
        else
                for (size_t i = 0; i < h->n_files; i++)
                        closep(&h->files[i].fd);
        free(h->files);
        *h = (JournalHandle) {};
}

static bool journal_file_name(const char *name) {
        return endswith(name, ".journal") || endswith(name, ".journal~");
}

static int add_journal_file(JournalHandle *h, int dir_fd, const char *name) {
        struct stat st;

        /* O_NOFOLLOW: a journal file that is a symlink may point at another system's journal. */
        _cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return errno == ELOOP || errno == ENXIO || errno == EACCES ? 0 : negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return 0;
        JournalFd *files = reallocarray(h->files, h->n_files + 1, sizeof(JournalFd));
        if (!files)
                return -ENOMEM;
        h->files = files;
        h->files[h->n_files++] = (JournalFd) { TAKE_FD(fd), st.st_mtim };
        return 0;
}

/* The journal files in a directory and in its subdirectories (one per machine ID, and per
 * namespace: "ID.NAMESPACE"), entered by fd without following symlinks. */
static int collect_journal_files(JournalHandle *h, int dir_fd, unsigned depth) {
        int copy = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
        if (copy < 0)
                return negative_errno();
        _cleanup_(closedirp) DIR *d = fdopendir(copy);
        if (!d) {
                close(copy);
                return negative_errno();
        }
        for (struct dirent *de; (errno = 0, de = readdir(d));) {
                int r = 0;

                if (de->d_name[0] == '.')
                        continue;
                if (journal_file_name(de->d_name))
                        r = add_journal_file(h, dir_fd, de->d_name);
                else if (depth == 0) {
                        _cleanup_close_ int sub = openat(dir_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub >= 0)
                                r = collect_journal_files(h, sub, depth + 1);
                }
                if (r < 0)
                        return r;
        }
        return errno > 0 ? -errno : 0;
}

static int newest_first(const void *a, const void *b) {
        const JournalFd *x = a, *y = b;
        if (x->mtime.tv_sec != y->mtime.tv_sec)
                return x->mtime.tv_sec < y->mtime.tv_sec ? 1 : -1;
        return x->mtime.tv_nsec < y->mtime.tv_nsec ? 1 : x->mtime.tv_nsec > y->mtime.tv_nsec ? -1 : 0;
}

/* A node that crashed often has a journal file sd-journal will not open (cut short, or
 * corrupted: journald renames such files *.journal~). Opening the directory, sd-journal skips
 * them, as journalctl does; handed fds, it fails on the first: so each file is tried alone first
 * and the ones it refuses are left out, and the rest of the journal is still read. */
static void drop_unreadable_files(JournalHandle *h) {
        size_t kept = 0;

        for (size_t i = 0; i < h->n_files; i++) {
                sd_journal *one = NULL;
                /* A duplicate: the journal that accepts it closes it. */
                int probe = fcntl(h->files[i].fd, F_DUPFD_CLOEXEC, 3);

                if (probe >= 0 && sd_journal_open_files_fd(&one, &probe, 1, 0) >= 0) {
                        sd_journal_close(one);
                        h->files[kept++] = h->files[i];
                        continue;
                }
                closep(&probe);
                closep(&h->files[i].fd);
        }
        h->n_files = kept;
}

/*
 * The journals of an OS tree (an offline node's --root, a container's /proc/LEADER/root): its
 * var/log/journal and run/log/journal opened inside the tree (RESOLVE_IN_ROOT: a symlink resolves
 * as it would on the node, never out of it), their journal files collected by fd and handed to
 * sd-journal as fds. sd-journal's own OS-root mode opens those paths by name and follows a link
 * out to another system's journal, whose lines would then be quoted as the node's evidence.
 */
static int journal_open_tree(const char *directory, JournalHandle *h, char **ret_error) {
        static const char * const dirs[] = { "/var/log/journal", "/run/log/journal" };
        _cleanup_(root_freep) Root *root = NULL;
        int r;

        r = root_open(directory, &root);
        if (r < 0)
                return journal_fail(ret_error, r, "cannot open the journal under \"%s\"", directory);
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_close_ int fd = root_open_file(root, dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
                if (fd == -ENOENT || fd == -ENOTDIR)
                        continue;
                if (fd < 0)
                        return journal_fail(ret_error, fd, "cannot open %s under \"%s\"", dirs[i], directory);
                r = collect_journal_files(h, fd, 0);
                if (r < 0)
                        return journal_fail(ret_error, r, "cannot list %s under \"%s\"", dirs[i], directory);
        }
        drop_unreadable_files(h);
        if (h->n_files == 0)
                return 0;
        if (h->n_files > OFFLINE_JOURNAL_FILES_MAX) {
                qsort(h->files, h->n_files, sizeof(JournalFd), newest_first);
                for (size_t i = OFFLINE_JOURNAL_FILES_MAX; i < h->n_files; i++)
                        closep(&h->files[i].fd);
                h->n_files = OFFLINE_JOURNAL_FILES_MAX;
        }

        _cleanup_free_ int *fds = calloc(h->n_files, sizeof(int));
        if (!fds)
                return -ENOMEM;
        for (size_t i = 0; i < h->n_files; i++)
                fds[i] = h->files[i].fd;
        r = sd_journal_open_files_fd(&h->j, fds, (unsigned) h->n_files, 0);
        return r < 0 ? journal_fail(ret_error, r, "cannot open the journal under \"%s\"", directory) : 0;
}

/* The live journal of this machine, or the journals under an OS tree. */
static int journal_open(const char *directory, JournalHandle *h, char **ret_error) {
        if (directory)
                return journal_open_tree(directory, h, ret_error);
        int r = sd_journal_open(&h->j, SD_JOURNAL_LOCAL_ONLY);
        return r < 0 ? journal_fail(ret_error, r, "cannot open the system journal") : 0;
}

/* An empty journal has no newest entry: *ret_cursor is NULL and 0 is returned, and a search
 * "after" NULL then reads everything, which is what was logged since. */
int journal_tail_cursor(const char *directory, char **ret_cursor, char **ret_error) {
        _cleanup_(journal_handle_done) JournalHandle h = {};
        int r;

        if (!ret_cursor)
                return -EINVAL;
        *ret_cursor = NULL;
        r = journal_open(directory, &h, ret_error);
        if (r < 0 || !h.j)
                return r;
        sd_journal *j = h.j;
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
        _cleanup_(journal_handle_done) JournalHandle h = {};
        _cleanup_(journal_hit_done) JournalHit hit = {};
        _cleanup_free_ char *first = NULL;
        unsigned n_read = 0;
        bool found = false;
        int r;

        if (!q || !q->unit || !q->match || !ret_hit)
                return -EINVAL;
        if (ret_n_read)
                *ret_n_read = 0;

        r = journal_open(directory, &h, ret_error);
        if (r < 0 || !h.j)
                return r;
        sd_journal *j = h.j;
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
        _cleanup_(journal_handle_done) JournalHandle h = {};
        int r;

        *ret = NULL;
        if ((r = journal_open(directory, &h, ret_error)) < 0 || !h.j)
                return r;
        sd_journal *j = h.j;
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
