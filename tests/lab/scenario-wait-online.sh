#!/bin/bash
# SPDX-License-Identifier: MIT
# Seed 000: the kubelet races the network at boot because nothing makes network-online.target
# wait (the network manager's wait-online service is disabled). kubelet-wait-online enables
# systemd-networkd-wait-online.service over the bus, adds the kubelet drop-in (After=/Wants=
# network-online.target, ExecStartPre delay), reloads systemd and restarts the kubelet. Judged by
# what systemd reports; rollback disables the service and removes the drop-in again.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

wait_online=systemd-networkd-wait-online.service
dropin=/etc/systemd/system/kubelet.service.d/20-remedy-network-online.conf
link=/etc/systemd/system/network-online.target.wants/$wait_online

lab_setup || exit 1
lab_cni_config || exit 1
lab_boot || exit 1
lab_run systemctl disable --quiet $wait_online 2>/dev/null
lab_run systemctl daemon-reload
is "$(lab_unit_prop $wait_online UnitFileState)" disabled "the broken node: $wait_online is disabled"
lab_wait_unit kubelet.service active 20
ok $? "the kubelet runs (the race shows at boot, not now)"
states_before=$(unit_states $wait_online kubelet.service | awk '{print $1, $2}')

node_remedy plan kubelet-wait-online --set delay=1s
is "$RC" 0 "plan exits 0"
contains "$OUT" "enable: $link → /lib/systemd/system/$wait_online" "plan shows the link enabling makes"
contains "$OUT" "daemon-reload, then restart (now active/running)" "plan says systemd is reloaded before the kubelet restarts"
is "$(lab_unit_prop $wait_online UnitFileState)" disabled "plan enabled nothing"

node_remedy apply kubelet-wait-online --set delay=1s
is "$RC" 0 "apply exits 0"
[ "$RC" -eq 0 ] || diag "$OUT" "$ERR"
is "$(lab_unit_prop $wait_online UnitFileState)" enabled "systemd: $wait_online is enabled"
is "$(readlink "$LAB_ROOT$link")" "/lib/systemd/system/$wait_online" "the link systemd made is the one the plan showed"
contains "$(lab_unit_prop kubelet.service DropInPaths)" "$dropin" "systemd loaded the kubelet drop-in"
contains "$(lab_unit_prop kubelet.service ExecStartPre)" "/bin/sleep" "the kubelet has the start delay"
is "$(lab_unit_prop kubelet.service NeedDaemonReload)" no "no daemon-reload is left pending"
stays_up kubelet.service 3
ok $? "the kubelet stays up"

node_remedy rollback --last
is "$RC" 0 "rollback exits 0"
is "$(unit_states $wait_online kubelet.service | awk '{print $1, $2}')" "$states_before" "unit file states as before"
ok "$( [ ! -e "$LAB_ROOT$link" ] && [ ! -e "$LAB_ROOT$dropin" ]; echo $?)" "the link and the drop-in are gone"
lacks "$(lab_unit_prop kubelet.service DropInPaths)" "20-remedy" "systemd no longer has the drop-in loaded"
is "$(lab_unit_prop kubelet.service ExecStartPre)" "" "the kubelet has no start delay again"
lab_wait_unit kubelet.service active 10
ok $? "the kubelet runs again, on its old configuration"

lab_teardown

# A node whose network is not up when the kubelet starts (a network namespace with loopback only:
# no default route): the kubelet logs that it cannot get the node's address, and diagnose names
# kubelet-wait-online from that line, with the wait-online service disabled.
lab_setup || exit 1
lab_cni_config || exit 1
rm -f "$LAB_ROOT$link"
LAB_PRIVATE_NETWORK=1 lab_boot || exit 1
lab_wait_journal kubelet.service "can't get ip address of node" 20
ok $? "no default route: the kubelet cannot get the node's address"
node_findings
is "$FOUND" kubelet-wait-online "diagnose names kubelet-wait-online, and nothing else"
contains "$DIAG_OUT" "no default routes found in" "quoting the kubelet's line"
lab_teardown

is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
