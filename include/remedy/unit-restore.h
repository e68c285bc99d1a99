/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The live half of a rollback. After txn_rollback() has put the files back, systemd is reloaded so
 * that it reads them, then every unit the transaction recorded gets its enablement, masking and
 * active state back, over the bus:
 *
 *   - unit file state: unmask / mask / enable / disable when the recorded state differs from what
 *     systemd now reports (restoring the symlinks from the archive usually leaves nothing to do);
 *   - active state: a unit that was running (active, activating, reloading) is restarted, so that
 *     it runs on its old configuration again; one that was stopped (inactive, failed) is stopped
 *     if it now runs, and otherwise left alone.
 *
 * Units are restored in the order they were recorded (the order the steps ran: containerd before
 * kubelet); a unit recorded twice gets the state of its first record, from before the transaction.
 */

#include <stdbool.h>
#include <stdint.h>

#include "remedy/backup.h"
#include "remedy/systemd-bus.h"

typedef struct UnitRestoreItem {
        const char *unit;
        const char *action;      /* "daemon-reload", "unmask", "mask", "enable", "disable", "restart", "stop",
                                  * or "unchanged" */
        const char *before;      /* the recorded state this action goes back to ("enabled", "active", ...) */
        const char *now;         /* what systemd reported before the action */
} UnitRestoreItem;

typedef int (*UnitRestoreVisitor)(const UnitRestoreItem *item, void *userdata);

/* True when restoring m needs systemd: it recorded units or it changed unit files. */
bool manifest_needs_systemd(const Manifest *m);

/*
 * With dry_run, only reads: the visitor sees what would be done. Otherwise does it, stopping at
 * the first failure (*ret_error: one line naming the unit and what systemd said). visitor may be
 * NULL.
 */
int units_restore(SystemdBus *bus, const Manifest *m, uint64_t job_timeout_usec, bool dry_run,
                  UnitRestoreVisitor visitor, void *userdata, char **ret_error);

/*
 * The kernel half, after the units: each sysctl the transaction recorded gets its value back in
 * /proc/sys, and each module it loaded that was not loaded before is unloaded (the module alone;
 * the modules modprobe loaded with it stay). Newest record first, so a sysctl a module made is
 * put back before the module goes. Items go to the visitor as units do: unit "sysctl NAME" or
 * "module NAME", action "set", "unload" or "unchanged". Only for the host's own kernel: never
 * call it for a --root or a container. A module still in use is left loaded, and said so in
 * *ret_error (-EBUSY) after the rest is restored.
 */
int kernel_restore(const Manifest *m, bool dry_run, UnitRestoreVisitor visitor, void *userdata, char **ret_error);
