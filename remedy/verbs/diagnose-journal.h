/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * diagnose's findings as journal entries of their own, so that an unattended run
 * (remedy-diagnose.service) leaves something a query finds: every finding and every problem is
 * one entry with MESSAGE_ID=DIAGNOSE_FINDING_MESSAGE_ID, PRIORITY=warning, and the fields
 * REMEDY_PLAYBOOK, REMEDY_EVIDENCE (one field per line of evidence), REMEDY_FIX or REMEDY_PROBLEM.
 *
 *     journalctl MESSAGE_ID=deed756c87ca41019ee790b01ce54432
 *
 * Only when stdout is the journal (systemd's JOURNAL_STREAM names it): run from a terminal the
 * report is the output, and nothing is logged twice.
 */

#include "remedy/diagnose.h"

#define DIAGNOSE_FINDING_MESSAGE_ID "deed756c87ca41019ee790b01ce54432"

/* fix_command gives the command that applies a finding's playbook (malloc'd, may be NULL). */
int diagnosis_log_to_journal(const Diagnosis *d, char *(*fix_command)(const Diagnosis *d, const Playbook *p, const char *verb));
