#!/bin/bash
# SPDX-License-Identifier: MIT
# clock-sync offline (--root): a disk has no clock, so diagnose never names it offline and its
# checks are not run; apply enables the NTP client the node has for the next boot (the links
# `systemctl --root enable` makes, judged by systemctl --root itself): systemd-timesyncd, else
# chrony.service, else chronyd.service; rollback restores the tree. The live half (a VM node with
# its own clock) is tests/lab/scenario-clock-sync-vm.sh.
. "$(dirname "$0")/lib.sh"

# unit_file NODE NAME ALIAS: an NTP client's unit as its package installs it, not enabled.
unit_file() {
        mkdir -p "$1/lib/systemd/system"
        printf '[Unit]\nDescription=%s (test)\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=%s\n%s\n' \
                "$2" "sysinit.target" "${3:+Alias=$3}" >"$1/lib/systemd/system/$2"
}
findings() {   # findings ROOT: the playbooks diagnose names
        "$REMEDY" --root="$1" --playbooks="$PLAYBOOKS" --json diagnose 2>/dev/null | jq -r '[.findings[].playbook] | join(" ")'
}

node=$(new_node broken-node)
unit_file "$node" systemd-timesyncd.service dbus-org.freedesktop.timesync1.service
is "$(systemctl --root="$node" is-enabled systemd-timesyncd.service 2>&1)" disabled "timesyncd installed, disabled"
lacks "$(findings "$node")" clock-sync "offline, diagnose does not name clock-sync: the clock is the running node's"
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" plan clock-sync
is "$RC" 0 "plan exits 0"
contains "$OUT" "symlink /etc/systemd/system/sysinit.target.wants/systemd-timesyncd.service → /lib/systemd/system/systemd-timesyncd.service" \
        "plan enables timesyncd for the next boot"
contains "$OUT" "skipped Enable and start chrony" "and not chrony"
is "$(snapshot "$node")" "$before" "plan changed nothing"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" apply clock-sync
is "$RC" 0 "apply exits 0"
is "$(systemctl --root="$node" is-enabled systemd-timesyncd.service 2>&1)" enabled "systemctl --root says enabled"
contains "$OUT" "not run verify ntp: the clock's synchronisation: not checked offline" "the ntp checks are not run offline"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" apply clock-sync
contains "$OUT" "Nothing to do" "a second apply changes nothing"
run --root="$node" --backup-dir="$WORK/store" rollback --last
is "$RC" 0 "rollback exits 0"
is "$(snapshot "$node")" "$before" "rollback restores the tree"

# chrony only (Debian's unit name; Fedora's is chronyd.service).
node=$(new_node broken-node)
unit_file "$node" chrony.service chronyd.service
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store2" apply clock-sync
is "$RC" 0 "chrony only: apply exits 0"
is "$(systemctl --root="$node" is-enabled chrony.service 2>&1)" enabled "chrony.service is enabled"
contains "$OUT" "skipped Enable and start systemd-timesyncd" "timesyncd, not installed, is skipped"
node=$(new_node broken-node)
unit_file "$node" chronyd.service
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store3" apply clock-sync
is "$(systemctl --root="$node" is-enabled chronyd.service 2>&1)" enabled "chronyd.service alone is enabled"

# A masked client is an operator's choice: left masked. With chrony beside it, chrony is enabled;
# alone, there is nothing to do.
node=$(new_node broken-node)
unit_file "$node" systemd-timesyncd.service dbus-org.freedesktop.timesync1.service
unit_file "$node" chrony.service chronyd.service
mkdir -p "$node/etc/systemd/system"
ln -s /dev/null "$node/etc/systemd/system/systemd-timesyncd.service"
is "$(systemctl --root="$node" is-enabled systemd-timesyncd.service 2>&1)" masked "timesyncd masked, chrony installed"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store4" apply clock-sync
is "$RC" 0 "masked timesyncd and chrony: apply exits 0"
is "$(systemctl --root="$node" is-enabled systemd-timesyncd.service 2>&1)" masked "timesyncd stays masked"
is "$(systemctl --root="$node" is-enabled chrony.service 2>&1)" enabled "chrony.service is enabled instead"
node=$(new_node broken-node)
unit_file "$node" systemd-timesyncd.service dbus-org.freedesktop.timesync1.service
mkdir -p "$node/etc/systemd/system"
ln -s /dev/null "$node/etc/systemd/system/systemd-timesyncd.service"
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store5" apply clock-sync
is "$RC" 0 "masked timesyncd alone: apply exits 0"
contains "$OUT" "Nothing to do" "and does nothing"
is "$(snapshot "$node")" "$before" "the mask is left as it was"

done_testing
