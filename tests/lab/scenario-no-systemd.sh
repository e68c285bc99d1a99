#!/bin/bash
# SPDX-License-Identifier: MIT
# systemd unreachable: with the node's D-Bus stopped, remedy says so in one line (which bus, what
# error, and --root for offline repair), exits 2 and changes nothing, not even a backup store.
# Offline mode (--root=/) still repairs the files.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

conflist=/etc/cni/net.d/zz-remedy-placeholder.conflist

lab_setup || exit 1
rm -rf "$LAB_ROOT/etc/cni/net.d"/*
lab_boot || exit 1
lab_wait_unit containerd.service active 20
inv=$(lab_unit_prop containerd.service InvocationID)
lab_run systemctl stop dbus.socket dbus.service
is "$(lab_run systemctl is-active dbus.service)" inactive "the node's D-Bus is stopped"

for verb in plan apply; do
        node_remedy $verb cni-placeholder
        is "$RC" 2 "$verb exits 2"
        is "$(wc -l <<<"$ERR")" 1 "$verb: one line on stderr"
        contains "$ERR" "cannot reach systemd on the system bus" "$verb: the line names the bus"
        contains "$ERR" "--root=DIR" "$verb: and points at --root"
done
node_remedy rollback --last
is "$RC" 2 "rollback exits 2 too"
ok "$( [ ! -e "$LAB_ROOT$conflist" ] && [ ! -e "$LAB_ROOT/var/lib/remedy" ]; echo $?)" "nothing was written (no conflist, no backup store)"
is "$(lab_unit_prop containerd.service InvocationID)" "$inv" "containerd was not restarted"

node_remedy --root=/ apply cni-placeholder
is "$RC" 0 "offline (--root=/) the files are still repaired"
contains "$OUT" "offline (--root): not restarted" "and the restart is reported as not done"
ok "$( [ -f "$LAB_ROOT$conflist" ]; echo $?)" "the placeholder was written"

lab_teardown
is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
