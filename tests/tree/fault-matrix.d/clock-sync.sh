# SPDX-License-Identifier: MIT
# The tree clock-sync has work on (for fault-matrix.sh): the sample node with systemd-timesyncd
# installed (a unit file as its package ships one) and not enabled. fm_prepare DIR prints the
# node's path.
fm_prepare() {
        local n
        n=$(new_node broken-node)
        mkdir -p "$n/lib/systemd/system"
        printf '[Unit]\nDescription=Network Time Synchronization (test)\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=sysinit.target\nAlias=dbus-org.freedesktop.timesync1.service\n' \
                >"$n/lib/systemd/system/systemd-timesyncd.service"
        echo "$n"
}
