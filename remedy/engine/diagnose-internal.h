/* SPDX-License-Identifier: MIT */
#pragma once

/* What diagnose.c (the playbooks' matches) and the checks diagnose makes by itself share; not
 * part of remedy's interface. */

#include "remedy/diagnose.h"

/* finding.c: frees what the finding owns (not its playbook). */
void finding_done(Finding *f);

/* Moves *f (its evidence and own strings) to the end of d's findings. */
int diagnosis_add_finding(Diagnosis *d, Finding *f);

/* Adds a finding no playbook made, taking name, summary, evidence and advice (advice may be NULL). */
int diagnosis_add_own_finding(Diagnosis *d, char **name, char **summary, char ***evidence, char **advice);

/* diagnose-units.c: kubelet and containerd failing with no playbook matched (never silent). */
int diagnose_units(Root *root, bool offline, SystemdBus *bus, Diagnosis *d);

/* diagnose-exec.c: the unit's ExecStart= binary that systemd cannot execute (203/EXEC, FAILURES.md
 * B.6), a finding "SHORT_NAME-exec-failed" naming the binary and the line that sets it. st is the
 * unit's live state (NULL offline). 1 when it added the finding, 0 when the binary is fine. */
typedef struct Context Context;
int diagnose_exec(Context *c, const char *unit, const char *short_name, const UnitState *st, Diagnosis *d);
