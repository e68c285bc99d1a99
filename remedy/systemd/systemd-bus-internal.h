/* SPDX-License-Identifier: MIT */
#pragma once

/* What systemd-bus.c and systemd-bus-job.c share; not part of remedy's interface. */

#include <systemd/sd-bus.h>

#include "remedy/systemd-bus.h"

#define SYSTEMD_SERVICE "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define MANAGER_INTERFACE "org.freedesktop.systemd1.Manager"
#define UNIT_INTERFACE "org.freedesktop.systemd1.Unit"
#define SERVICE_INTERFACE "org.freedesktop.systemd1.Service"

#define USEC_PER_SEC UINT64_C(1000000)
/* Every call but Reload: long enough for a busy PID 1, short enough that a wedged bus does not
 * hang a repair forever. */
#define BUS_CALL_TIMEOUT_USEC (25 * USEC_PER_SEC)
/* daemon-reload re-reads every unit file and runs the generators before it answers. */
#define BUS_RELOAD_TIMEOUT_USEC (90 * USEC_PER_SEC)

struct SystemdBus {
        sd_bus *bus;
        BusScope scope;
        char *machine;          /* BUS_SCOPE_MACHINE only */
        char *description;      /* systemd_bus_describe() */
};

/* Sets *ret_error (when not NULL) to "PREFIX: reason", the reason being the bus error's message
 * or else strerror(r); returns r, or -EIO if r was not negative. */
_printf_(4, 5) int systemd_bus_fail(char **ret_error, int r, const sd_bus_error *e, const char *fmt, ...);
/* Sets *ret_error (when not NULL) to the formatted text; returns r. */
_printf_(3, 4) int systemd_bus_fail_text(char **ret_error, int r, const char *fmt, ...);
/* The unit's object path through Manager.LoadUnit, which also answers for units not loaded yet. */
int systemd_bus_unit_path(SystemdBus *b, const char *name, char **ret_path, sd_bus_error *error);
