/* SPDX-License-Identifier: MIT */
#include "remedy/unit-restore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/strv.h"
#include "remedy/unit-file.h"

bool manifest_needs_systemd(const Manifest *m) {
        if (m->n_units > 0)
                return true;
        for (size_t i = 0; i < m->n_entries; i++)
                if (path_is_unit_config(m->entries[i].path))
                        return true;
        return false;
}

static bool state_is_running(const char *active_state) {
        return streq(active_state, "active") || streq(active_state, "activating") || streq(active_state, "reloading");
}

static bool file_state_is_enabled(const char *s) {
        return streq(s, "enabled") || streq(s, "enabled-runtime");
}

static bool file_state_is_masked(const char *s) {
        return streq(s, "masked") || streq(s, "masked-runtime");
}

static int visit(UnitRestoreVisitor visitor, void *userdata, const char *unit, const char *action, const char *before,
                 const char *now) {
        if (!visitor)
                return 0;
        UnitRestoreItem item = { unit, action, before, now };
        return visitor(&item, userdata);
}

/* The unit file operations that take the state now back to the state before, in systemctl's
 * order (unmask before enabling, disable before masking). Nothing for states remedy does not
 * set itself (static, indirect, generated, ...). */
static size_t file_ops_for(const char *before, const char *now, UnitFileOp ops[2]) {
        size_t n = 0;
        if (streq(before, now))
                return 0;
        if (file_state_is_masked(now) && !file_state_is_masked(before))
                ops[n++] = UNIT_FILE_OP_UNMASK;
        if (file_state_is_masked(before))
                ops[n++] = UNIT_FILE_OP_MASK;
        else if (file_state_is_enabled(before) && !file_state_is_enabled(now))
                ops[n++] = UNIT_FILE_OP_ENABLE;
        else if (streq(before, "disabled") && file_state_is_enabled(now))
                ops[n++] = UNIT_FILE_OP_DISABLE;
        return n;
}

static int restore_file_state(SystemdBus *bus, const ManifestUnit *u, bool dry_run, UnitRestoreVisitor visitor,
                              void *userdata, bool *reload_needed, char **ret_error) {
        _cleanup_(unit_state_done) UnitState now = {};
        UnitFileOp ops[2];
        int r;

        if ((r = systemd_bus_get_unit_state(bus, u->name, &now, ret_error)) < 0)
                return r;
        size_t n = file_ops_for(u->unit_file_state, now.unit_file_state, ops);
        for (size_t i = 0; i < n; i++) {
                if ((r = visit(visitor, userdata, u->name, unit_file_op_name(ops[i]), u->unit_file_state,
                               now.unit_file_state)) < 0)
                        return r;
                if (dry_run)
                        continue;
                if ((r = systemd_bus_unit_file_op(bus, ops[i], u->name, NULL, ret_error)) < 0)
                        return r;
                *reload_needed = true;
        }
        return 0;
}

static int restore_active_state(SystemdBus *bus, const ManifestUnit *u, uint64_t timeout_usec, bool dry_run,
                                UnitRestoreVisitor visitor, void *userdata, char **ret_error) {
        _cleanup_(unit_state_done) UnitState now = {};
        int r;

        if ((r = systemd_bus_get_unit_state(bus, u->name, &now, ret_error)) < 0)
                return r;

        UnitJobType job;
        if (state_is_running(u->active_state)) {
                /* A service restarts, so that it runs on the restored configuration. Anything else
                 * (a swap unit) is only started if it is not running: a restart would turn swap
                 * off and on again, and the swap units of one device's other names are started
                 * with it by systemd and would each run swapoff and swapon. */
                if (endswith(u->name, ".service"))
                        job = UNIT_JOB_RESTART;
                else if (!state_is_running(now.active_state))
                        job = UNIT_JOB_START;
                else
                        return visit(visitor, userdata, u->name, "unchanged", u->active_state, now.active_state);
        } else if (state_is_running(now.active_state))
                job = UNIT_JOB_STOP;
        else
                return visit(visitor, userdata, u->name, "unchanged", u->active_state, now.active_state);

        if ((r = visit(visitor, userdata, u->name, unit_job_type_name(job), u->active_state, now.active_state)) < 0)
                return r;
        if (dry_run)
                return 0;
        return systemd_bus_run_job(bus, job, u->name, timeout_usec, NULL, ret_error);
}

int units_restore(SystemdBus *bus, const Manifest *m, uint64_t job_timeout_usec, bool dry_run,
                  UnitRestoreVisitor visitor, void *userdata, char **ret_error) {
        _cleanup_strv_free_ char **seen = NULL;
        bool reload_needed = false;
        int r;

        *ret_error = NULL;
        if (!manifest_needs_systemd(m))
                return 0;

        /* systemd reads the restored unit files and drop-ins before anything is asked of it. */
        if ((r = visit(visitor, userdata, NULL, "daemon-reload", NULL, NULL)) < 0)
                return r;
        if (!dry_run && (r = systemd_bus_daemon_reload(bus, ret_error)) < 0)
                return r;

        /* The oldest record of a unit holds its state from before the transaction. */
        const ManifestUnit **units = calloc(m->n_units ? m->n_units : 1, sizeof(ManifestUnit *));
        size_t n = 0;
        if (!units)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_units; i++) {
                if (strv_contains(seen, m->units[i].name))
                        continue;
                if ((r = strv_extend(&seen, m->units[i].name)) < 0) {
                        free(units);
                        return r;
                }
                units[n++] = &m->units[i];
        }

        /* Enablement and masking first, for all of them, then one reload, then the jobs: a
         * restart must see the restored links (a unit's Wants= through .wants/ links). The jobs
         * run in the order the playbooks ran them (containerd before kubelet), which is the
         * order their dependencies want. */
        for (size_t i = 0; i < n; i++)
                if ((r = restore_file_state(bus, units[i], dry_run, visitor, userdata, &reload_needed, ret_error)) < 0)
                        goto finish;
        if (reload_needed && (r = systemd_bus_daemon_reload(bus, ret_error)) < 0)
                goto finish;
        for (size_t i = 0; i < n; i++)
                if ((r = restore_active_state(bus, units[i], job_timeout_usec, dry_run, visitor, userdata, ret_error)) < 0)
                        goto finish;
        r = 0;
finish:
        free(units);
        return r;
}
