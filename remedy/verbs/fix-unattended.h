/* SPDX-License-Identifier: MIT */
#pragma once

/* fix --unattended and fix --reset at the verb's level: the state opened with the command line's
 * limits, errors turned into exit statuses, the metrics noted (see unattended/unattended.h). */

#include "unattended/unattended.h"

/* Opens (locks, loads) the unattended state of the node: exit status (2 for a bad state file,
 * another run holding it) or 0. */
int fix_unattended_open(Root *root, Unattended **ret);
/* Records the transaction's exit status (-1: none was run) and notes the metrics; returns the
 * exit status of fix. */
int fix_unattended_finish(Unattended *u, int apply_status, int status);
/* remedy fix --reset */
int fix_reset(void);
