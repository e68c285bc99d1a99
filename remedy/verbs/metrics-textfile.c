/* SPDX-License-Identifier: MIT */
/*
 * --metrics-textfile=FILE: what a run found and did, as Prometheus metrics for node_exporter's
 * textfile collector (prometheus/node_exporter, collector/textfile.go: *.prom files of a
 * directory, the text exposition format, no timestamps on samples). The file is replaced
 * atomically — a temporary file in the same directory, fsynced, renamed over it — so that a
 * scrape never reads half of it, and it is readable by all (node_exporter runs unprivileged).
 *
 * The verbs note what they know while they run (the diagnosis, the backup store); main.c writes
 * the file once the command is done, with its exit status.
 */
#include "metrics-textfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "remedy/backup.h"
#include "remedy/fileio.h"
#include "remedy/strv.h"

typedef struct MetricsNotes {
        char **finding_names;     /* "swap-off" */
        char **finding_safety;    /* "confirm", or "" for diagnose's own */
        size_t n_problems;
        bool diagnosed;
        bool have_certificate;
        time_t certificate_not_after;
        char *store_dir;
        char *text;
} MetricsNotes;

static MetricsNotes notes;

void metrics_note_diagnosis(const Diagnosis *d) {
        notes.diagnosed = true;
        for (size_t i = 0; i < d->n_findings; i++) {
                const Playbook *p = d->findings[i].playbook;
                if (strv_extend(&notes.finding_names, finding_name(&d->findings[i])) < 0 ||
                    strv_extend(&notes.finding_safety, p ? playbook_safety_to_string(p->safety) : "") < 0)
                        return;
        }
        notes.n_problems = strv_length(d->problems);
        /* As the time it expires, in seconds (Prometheus' base unit): an alert subtracts time(). */
        struct tm tm = {};
        const char *end = d->certificate && d->certificate->not_after
                                  ? strptime(d->certificate->not_after, "%Y-%m-%d %H:%M:%S UTC", &tm) : NULL;
        if (end && *end == 0) {
                notes.have_certificate = true;
                notes.certificate_not_after = timegm(&tm);
        }
}

void metrics_note_store(const char *dir) {
        free(notes.store_dir);
        notes.store_dir = dir ? strdup(dir) : NULL;
}

void metrics_note_text(char *text) {
        free(notes.text);
        notes.text = text;
}

void metrics_notes_free(void) {
        free(notes.text);
        strv_free(notes.finding_names);
        strv_free(notes.finding_safety);
        free(notes.store_dir);
        notes = (MetricsNotes) {};
}

static void help_type(FILE *f, const char *name, const char *help, const char *type) {
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Transactions of the store by the command that made them and their state, and how many are
 * left unresolved (read-only). A rollback is a transaction too: "applied" by rollback is an undo
 * that stands. */
static void write_store(FILE *f) {
        static const char * const commands[] = { "apply", "fix", "rollback" };
        _cleanup_(backup_store_freep) BackupStore *store = NULL;
        Manifest **list = NULL;
        size_t n = 0, count[ELEMENTSOF(commands)][_TXN_STATE_MAX] = {}, unresolved = 0;

        if (!notes.store_dir || backup_store_open(notes.store_dir, false, &store) < 0 ||
            backup_store_list(store, &list, &n) < 0)
                return;
        for (size_t i = 0; i < n; i++) {
                const Manifest *m = list[i];
                size_t word = m->command ? strcspn(m->command, " ") : 0;
                for (size_t c = 0; c < ELEMENTSOF(commands); c++)
                        if (m->state >= 0 && m->state < _TXN_STATE_MAX && word == strlen(commands[c]) &&
                            strncmp(m->command, commands[c], word) == 0)
                                count[c][m->state]++;
                if (m->state == TXN_PREPARED || m->state == TXN_APPLYING)
                        unresolved++;
                manifest_free(list[i]);
        }
        free(list);
        help_type(f, "remedy_transactions", "Transactions in the backup store, by the command that made them and state.",
                  "gauge");
        for (size_t c = 0; c < ELEMENTSOF(commands); c++)
                for (TxnState s = 0; s < _TXN_STATE_MAX; s++)
                        fprintf(f, "remedy_transactions{command=\"%s\",state=\"%s\"} %zu\n", commands[c],
                                txn_state_to_string(s), count[c][s]);
        help_type(f, "remedy_unresolved_transactions",
                  "Transactions left prepared or applying by an interrupted run: remedy refuses new work until they are "
                  "resolved.", "gauge");
        fprintf(f, "remedy_unresolved_transactions %zu\n", unresolved);
}

static int render(const char *command, int exit_status, char **ret, size_t *ret_size) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;

        help_type(f, "remedy_last_run_timestamp_seconds", "When the command last finished, in seconds since the epoch.",
                  "gauge");
        fprintf(f, "remedy_last_run_timestamp_seconds{command=\"%s\"} %lld\n", command, (long long) time(NULL));
        help_type(f, "remedy_last_run_exit_status",
                  "The command's exit status: 0 done or nothing found, 1 found or failed (rolled back), 2 refused or "
                  "bad input.", "gauge");
        fprintf(f, "remedy_last_run_exit_status{command=\"%s\"} %d\n", command, exit_status);
        if (notes.diagnosed) {
                help_type(f, "remedy_findings",
                          "Failures diagnose found, by finding (the playbook's name, or diagnose's own) and safety class.",
                          "gauge");
                for (size_t i = 0; notes.finding_names && notes.finding_names[i]; i++)
                        fprintf(f, "remedy_findings{finding=\"%s\",safety=\"%s\"} 1\n", notes.finding_names[i],
                                notes.finding_safety[i]);
                /* Not _count: promtool keeps that suffix for histograms and summaries. */
                help_type(f, "remedy_findings_found", "How many failures diagnose found.", "gauge");
                fprintf(f, "remedy_findings_found %zu\n", strv_length(notes.finding_names));
                help_type(f, "remedy_problems", "Node files diagnose could not judge (they do not parse).", "gauge");
                fprintf(f, "remedy_problems %zu\n", notes.n_problems);
        }
        if (notes.have_certificate) {
                help_type(f, "remedy_client_certificate_expiry_timestamp_seconds",
                          "When the kubelet's client certificate expires (notAfter), in seconds since the epoch.", "gauge");
                fprintf(f, "remedy_client_certificate_expiry_timestamp_seconds %lld\n",
                        (long long) notes.certificate_not_after);
        }
        write_store(f);
        if (notes.text)
                fputs(notes.text, f);
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(text);
        *ret_size = size;
        return 0;
}

int metrics_textfile_write(const char *path, const char *command, int exit_status, char **ret_error) {
        _cleanup_(root_freep) Root *host = NULL;
        _cleanup_free_ char *text = NULL, *canonical = NULL;
        size_t size;
        int r;

        *ret_error = NULL;
        if ((r = render(command, exit_status, &text, &size)) < 0)
                return r;
        /* The file is the host's (node_exporter's directory), whatever --root says. A symlink on
         * the way is refused: this runs as root. */
        if ((r = root_open("/", &host)) < 0 || (r = root_canonicalize(host, path, false, &canonical)) < 0) {
                if (asprintf(ret_error, "%s: %s", path, strerror(-r)) < 0)
                        *ret_error = NULL;
                return r;
        }
        /* The directory is node_exporter's to make: a typo in the path is an error, not a new one. */
        _cleanup_free_ char *dir = path_dirname(canonical);
        struct stat st;
        if (!dir)
                return -ENOMEM;
        if ((r = root_lstat(host, dir, &st)) < 0 || !S_ISDIR(st.st_mode)) {
                if (asprintf(ret_error, "%s: %s is not a directory", path, dir) < 0)
                        *ret_error = NULL;
                return r < 0 ? r : -ENOTDIR;
        }
        const WriteOptions o = { .mode = 0644, .uid = (uid_t) -1, .gid = (gid_t) -1 };
        r = root_write_file_atomic(host, canonical, text, size, &o);
        if (r < 0 && asprintf(ret_error, "%s: cannot write: %s", path, strerror(-r)) < 0)
                *ret_error = NULL;
        return r;
}
