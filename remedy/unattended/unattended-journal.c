/* SPDX-License-Identifier: MIT */
/* One journal entry per unattended decision, with a MESSAGE_ID per kind (unattended.h), so that
 * `journalctl MESSAGE_ID=...` or a log shipper finds them without parsing the text. */
#include "unattended.h"

#include <syslog.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

static const char *message_id(UnattendedDecision d, int *ret_priority) {
        switch (d) {
        case UNATTENDED_APPLIED:
                *ret_priority = LOG_NOTICE;
                return UNATTENDED_APPLIED_MESSAGE_ID;
        case UNATTENDED_ROLLED_BACK:
                *ret_priority = LOG_ERR;
                return UNATTENDED_ROLLED_BACK_MESSAGE_ID;
        case UNATTENDED_SKIP_COOLDOWN:
                *ret_priority = LOG_NOTICE;
                return UNATTENDED_SKIPPED_COOLDOWN_MESSAGE_ID;
        case UNATTENDED_SKIP_ATTEMPTS:
                *ret_priority = LOG_WARNING;
                return UNATTENDED_SKIPPED_ATTEMPTS_MESSAGE_ID;
        case UNATTENDED_SKIP_BREAKER:
                *ret_priority = LOG_WARNING;
                return UNATTENDED_BREAKER_OPEN_MESSAGE_ID;
        case UNATTENDED_RESET:
                *ret_priority = LOG_NOTICE;
                return UNATTENDED_BREAKER_RESET_MESSAGE_ID;
        case UNATTENDED_REPORT_ONLY:
                *ret_priority = LOG_WARNING;
                return UNATTENDED_REPORTED_MESSAGE_ID;
        default:
                return NULL;
        }
}

void unattended_log(const Unattended *u, UnattendedDecision d, const char *playbook, const char *text) {
        int priority = LOG_NOTICE;
        const char *id = message_id(d, &priority);

        if (!u->journal || !id)
                return;
        /* A journal that cannot be written must not stop a repair: the decision is on stderr too. */
        if (playbook)
                (void) sd_journal_send("MESSAGE=remedy fix --unattended: %s", text, "MESSAGE_ID=%s", id, "PRIORITY=%d",
                                       priority, "REMEDY_DECISION=%s", unattended_decision_to_string(d),
                                       "REMEDY_PLAYBOOK=%s", playbook, NULL);
        else
                (void) sd_journal_send("MESSAGE=remedy fix --unattended: %s", text, "MESSAGE_ID=%s", id, "PRIORITY=%d",
                                       priority, "REMEDY_DECISION=%s", unattended_decision_to_string(d), NULL);
}
