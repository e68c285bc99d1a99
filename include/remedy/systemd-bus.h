/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * systemd's manager over D-Bus (sd-bus from libsystemd): the only way remedy acts on a running
 * node's units. No systemctl subprocess.
 *
 *   systemd_bus_open()            connects to the system bus, the user bus, or a local container's
 *                                 system bus (--machine), and checks that systemd answers there;
 *   systemd_bus_get_unit_state()  read-only: what `systemctl show` reports for plans and checks;
 *   systemd_bus_unit_file_op()    EnableUnitFiles / DisableUnitFiles / MaskUnitFiles /
 *                                 UnmaskUnitFiles (persistent, not runtime);
 *   systemd_bus_run_job()         StartUnit / StopUnit / RestartUnit / ReloadUnit with mode
 *                                 "replace", waiting for the job's JobRemoved signal;
 *   systemd_bus_list_units()      ListUnitsByPatterns: the loaded units matching a glob;
 *   systemd_bus_daemon_reload()   Manager.Reload, waiting for its reply;
 *   systemd_bus_reset_failed()    Manager.ResetFailedUnit.
 *
 * Errors: negative errno, and where ret_error is given an allocated one-line message in plain
 * words that names the unit and what systemd said ("kubelet.service: start job failed (the unit
 * failed; see journalctl -u kubelet.service)"). Nothing here prints.
 */

#include <stdbool.h>
#include <stdint.h>

#include "remedy/macro.h"

typedef enum BusScope {
        BUS_SCOPE_SYSTEM,       /* --system (default) */
        BUS_SCOPE_USER,         /* --user: the calling user's manager */
        BUS_SCOPE_MACHINE,      /* --machine=NAME: a local container's system manager */
} BusScope;

typedef struct SystemdBus SystemdBus;

/*
 * Connects and makes one read-only call (the Manager's Version property), so that "systemd cannot
 * be reached" is known before anything is planned. On failure *ret_error is e.g.
 * "cannot reach systemd on the system bus: No such file or directory".
 */
int systemd_bus_open(BusScope scope, const char *machine, SystemdBus **ret, char **ret_error);
SystemdBus *systemd_bus_free(SystemdBus *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(SystemdBus *, systemd_bus_free);

/* "the system bus", "the user bus", "machine NAME's system bus": for messages. */
const char *systemd_bus_describe(const SystemdBus *b);

typedef struct UnitState {
        char *load_state;       /* "loaded", "not-found", "masked", "bad-setting", "error" */
        char *active_state;     /* "active", "reloading", "inactive", "failed", "activating", "deactivating" */
        char *sub_state;        /* "running", "exited", "dead", "auto-restart", ... */
        char *unit_file_state;  /* "enabled", "disabled", "static", "masked", ...; "" when there is no unit file */
        uint32_t n_restarts;    /* Service.NRestarts; 0 for units that are not services */
        uint32_t main_pid;      /* Service.MainPID; 0 when none or not a service */
        char *result;           /* Service.Result: "success", "exit-code", "signal", ...; "" otherwise */
        int32_t exec_main_code; /* Service.ExecMainCode: CLD_EXITED, CLD_KILLED, CLD_DUMPED; 0 never ran */
        int32_t exec_main_status; /* Service.ExecMainStatus: the exit status or the signal */
        char *invocation_id;    /* 32 hex digits; "" when the unit has never run */
        uint64_t active_enter_usec;    /* ActiveEnterTimestamp (CLOCK_REALTIME µs), 0 if never */
        uint64_t state_change_usec;    /* StateChangeTimestamp (CLOCK_REALTIME µs) */
        bool need_daemon_reload;       /* NeedDaemonReload: unit files changed on disk since loaded */
        char *following;        /* Following: the unit whose state this one mirrors (the swap units of
                                 * one device's other names follow one of them); "" when none */
} UnitState;

void unit_state_done(UnitState *s);

/* Read-only. Works for units that are not loaded (systemd loads them on access, as `systemctl
 * show` does); a unit without a unit file comes back with load_state "not-found". */
int systemd_bus_get_unit_state(SystemdBus *b, const char *name, UnitState *ret, char **ret_error);

typedef enum UnitFileOp {
        UNIT_FILE_OP_ENABLE,
        UNIT_FILE_OP_DISABLE,
        UNIT_FILE_OP_MASK,
        UNIT_FILE_OP_UNMASK,
        _UNIT_FILE_OP_MAX,
} UnitFileOp;

const char *unit_file_op_name(UnitFileOp op);   /* "enable", ... */

/*
 * Persistent (runtime = false) and without force, as `systemctl enable` does. *ret_changes (may be
 * NULL) gets what systemd reported, one per line as systemctl prints them
 * ("Created symlink /etc/systemd/system/multi-user.target.wants/x.service → /lib/systemd/system/x.service.",
 * "Removed \"/etc/...\"."), or "" when nothing changed. Does not daemon-reload.
 */
int systemd_bus_unit_file_op(SystemdBus *b, UnitFileOp op, const char *name, char **ret_changes, char **ret_error);

typedef enum UnitJobType {
        UNIT_JOB_START,
        UNIT_JOB_STOP,
        UNIT_JOB_RESTART,
        UNIT_JOB_RELOAD,
        _UNIT_JOB_MAX,
} UnitJobType;

const char *unit_job_type_name(UnitJobType t);  /* "start", ... */

/*
 * Queues the job with mode "replace" and waits (at most timeout_usec) for its JobRemoved signal.
 * The signal match and Manager.Subscribe are set up before the job is queued, so a job that
 * finishes at once is not missed.
 *
 * Returns 0 when the job's result is "done"; -EIO when it is anything else, with *ret_result (may
 * be NULL) the result word systemd gave ("failed", "timeout", "canceled", "dependency", "skipped",
 * "invalid", "assert", "unsupported", "collected", "once", "frozen") and *ret_error saying it in
 * plain words; -ETIMEDOUT when no JobRemoved came in time (the job is left queued: systemd
 * finishes or fails it by itself); other negative errno when the call itself failed (no such
 * unit, access denied: *ret_error from the bus error).
 */
int systemd_bus_run_job(SystemdBus *b, UnitJobType type, const char *name, uint64_t timeout_usec,
                        char **ret_result, char **ret_error);

/* The loaded units whose names match a glob ("*.swap"), in any state, sorted: ListUnitsByPatterns,
 * as `systemctl list-units --all PATTERN` shows them. */
int systemd_bus_list_units(SystemdBus *b, const char *pattern, char ***ret_names, char **ret_error);

/* Manager.Reload (daemon-reload), waiting for the reply (systemd answers once reloaded). */
int systemd_bus_daemon_reload(SystemdBus *b, char **ret_error);

/* Manager.ResetFailedUnit, as `systemctl reset-failed UNIT`: a failed unit becomes inactive. */
int systemd_bus_reset_failed(SystemdBus *b, const char *name, char **ret_error);

/* The root directory of the machine's file system as seen from here ("/proc/LEADER/root" for
 * --machine, "/" otherwise), so that file steps act on the same node the bus does. */
int systemd_bus_root_directory(SystemdBus *b, char **ret);
