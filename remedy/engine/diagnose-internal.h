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
