/* SPDX-License-Identifier: MIT */
/*
 * systemd-timedated's NTPSynchronized (org.freedesktop.timedate1): whether the kernel says the
 * clock is synchronised (adjtimex: not STA_UNSYNC), whichever NTP client did it. timedated is
 * activated by the bus on this read and exits again when idle.
 */
#include <errno.h>

#include "systemd-bus-internal.h"

int systemd_bus_ntp_synchronized(SystemdBus *b, bool *ret, char **ret_error) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int synchronized = 0;

        int r = sd_bus_get_property_trivial(b->bus, "org.freedesktop.timedate1", "/org/freedesktop/timedate1",
                                            "org.freedesktop.timedate1", "NTPSynchronized", &error, 'b', &synchronized);
        if (r < 0)
                return systemd_bus_fail(ret_error, r, &error, "cannot read NTPSynchronized from systemd-timedated");
        *ret = synchronized;
        return 0;
}
