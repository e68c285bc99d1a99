/* SPDX-License-Identifier: MIT */
#include "diagnose-journal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "remedy/macro.h"
#include "remedy/secret-mask.h"
#include "remedy/strv.h"

/* systemd.exec(5): a service's stdout connected to the journal carries JOURNAL_STREAM=DEV:INODE
 * of that stream, for a program to compare with what its stdout is. */
static bool stdout_is_journal(void) {
        const char *s = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!s || sscanf(s, "%llu:%llu", &dev, &ino) != 2 || fstat(STDOUT_FILENO, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

/* "REMEDY_EVIDENCE=line" for each line, as iovecs: one journal field may repeat. */
static int send_finding(const Finding *f, const char *fix) {
        size_t n_evidence = strv_length(f->evidence);
        _cleanup_strv_free_ char **fields = calloc(n_evidence + 6, sizeof(char *));
        size_t n = 0;
        int r;

        if (!fields)
                return -ENOMEM;
        if (asprintf(&fields[n++], "MESSAGE=remedy diagnose: %s: %s", finding_name(f), strempty(finding_summary(f))) < 0 ||
            asprintf(&fields[n++], "MESSAGE_ID=%s", DIAGNOSE_FINDING_MESSAGE_ID) < 0 ||
            asprintf(&fields[n++], "PRIORITY=%d", LOG_WARNING) < 0 ||
            asprintf(&fields[n++], f->playbook ? "REMEDY_PLAYBOOK=%s" : "REMEDY_FINDING=%s", finding_name(f)) < 0)
                return -ENOMEM;
        if (fix && asprintf(&fields[n++], "REMEDY_FIX=%s", fix) < 0)
                return -ENOMEM;
        /* Evidence quotes the node's log lines: masked as on a terminal. */
        STRV_FOREACH(e, f->evidence) {
                _cleanup_free_ char *masked = secret_mask(*e);
                if (!masked || asprintf(&fields[n++], "REMEDY_EVIDENCE=%s", masked) < 0)
                        return -ENOMEM;
        }

        _cleanup_free_ struct iovec *iov = calloc(n, sizeof(struct iovec));
        if (!iov)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                iov[i] = (struct iovec) { .iov_base = fields[i], .iov_len = strlen(fields[i]) };
        r = sd_journal_sendv(iov, (int) n);
        return r < 0 ? r : 0;
}

int diagnosis_log_to_journal(const Diagnosis *d, char *(*fix_command)(const Playbook *p, const char *verb)) {
        int r;

        if (!stdout_is_journal())
                return 0;
        for (size_t i = 0; i < d->n_findings; i++) {
                const Playbook *p = d->findings[i].playbook;
                _cleanup_free_ char *fix = p && p->n_steps > 0 ? fix_command(p, "apply") : NULL;
                if ((r = send_finding(&d->findings[i], fix)) < 0)
                        return r;
        }
        STRV_FOREACH(p, d->problems) {
                _cleanup_free_ char *masked = secret_mask(*p);
                if (!masked)
                        return -ENOMEM;
                r = sd_journal_send("MESSAGE=remedy diagnose: %s", masked, "MESSAGE_ID=%s", DIAGNOSE_FINDING_MESSAGE_ID,
                                    "PRIORITY=%d", LOG_WARNING, "REMEDY_PROBLEM=%s", masked, NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}
