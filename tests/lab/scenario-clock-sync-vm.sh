#!/bin/bash
# SPDX-License-Identifier: MIT
# clock-sync on a VM node (tests/lab/vm.sh): a clock of its own, which a container does not have
# (it shares the host's, and systemd-timesyncd will not run in one: ConditionVirtualization=
# !container). The node has systemd-timesyncd installed but disabled, as images ship it, and no
# time source at all: no network device (LAB_VM_NIC=none) and no NTP server configured. No
# clock is set anywhere, the host's least of all.
#
# 1. diagnose names clock-sync: timedated says NTPSynchronized=no and no time service runs.
# 2. fix (safety auto): timesyncd is enabled and started, but the clock cannot synchronise, and
#    verification says "not synchronised": the transaction is rolled back, timesyncd disabled and
#    stopped again, as any fix that did not verify.
# 3. apply --no-rollback, killed right after each of its D-Bus calls (the crash shim), `rollback`
#    after each giving back the files and timesyncd's states; then not killed: timesyncd stays
#    enabled and running, verify still says "not synchronised" (exit 1), and diagnose no longer
#    names clock-sync (a time service runs).
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/vm.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

[ -n "${CRASH_SHIM:-}" ] && [ -f "$CRASH_SHIM" ] || { echo "not ok 1 - CRASH_SHIM names the crash shim"; echo "1..1"; exit 1; }

TS=systemd-timesyncd.service
[ -e /lib/systemd/system/$TS ] || lab_skip_unless "systemd-timesyncd is not installed (tests/run-all installs it)" "clock-sync VM scenario"

LAB_VM_NIC=none
lab_vm_setup || exit 1
lab_cni_config || exit 1
# The kernel as a Kubernetes node has it (kernel-netfilter is another scenario's).
lab_vm_k8s_kernel || exit 1
# No network device: the kubelet's address is given, as on such nodes (kubelet-wait-online's sign).
printf 'KUBELET_EXTRA_ARGS=--node-ip=127.0.0.1\n' >"$LAB_ROOT/etc/default/kubelet"
# timesyncd installed, not enabled (nor masked, as the host that lends the node its files may
# have it); and no NTP server to ask even if a network came.
rm -f "$LAB_ROOT/etc/systemd/system/sysinit.target.wants/$TS" "$LAB_ROOT/etc/systemd/system/dbus-org.freedesktop.timesync1.service" \
        "$LAB_ROOT/etc/systemd/system/$TS"
mkdir -p "$LAB_ROOT/etc/systemd/timesyncd.conf.d"
printf '[Time]\nNTP=\nFallbackNTP=\n' >"$LAB_ROOT/etc/systemd/timesyncd.conf.d/lab-no-servers.conf"

# ntp_synchronized: timedated's answer, by timedatectl (not remedy).
ntp_synchronized() { lab_run timedatectl show -p NTPSynchronized --value; }

lab_vm_boot || exit 1

# ---- 1: broken
is "$(lab_run systemctl is-enabled $TS 2>/dev/null)" disabled "timesyncd is installed and disabled"
is "$(lab_unit_prop $TS ActiveState)" inactive "and not running"
is "$(ntp_synchronized)" no "timedated: NTPSynchronized=no"
node_findings
is "$FOUND" clock-sync "diagnose names clock-sync, and nothing else"
contains "$DIAG_OUT" "NTPSynchronized=no: the clock is not synchronised" "the evidence: timedated's NTPSynchronized"
contains "$DIAG_OUT" "no time service runs: $TS inactive (disabled)" "and the time service that does not run"

# ---- 2: fix, which cannot verify without a time source: rolled back
node_remedy fix --yes
is "$RC" 1 "fix exits 1: not verified"
contains "$OUT" "passed  verify ntp" "the time service ran (the first check)"
contains "$OUT" "not synchronised: systemd-timedated's NTPSynchronized is still no after 30s" \
        "verify says, honestly, that the clock is not synchronised"
contains "$OUT" "rolled back" "the transaction is rolled back"
is "$(lab_run systemctl is-enabled $TS 2>/dev/null)" disabled "rollback: timesyncd is disabled again"
is "$(lab_unit_prop $TS ActiveState)" inactive "rollback: and stopped again"

# ---- 3: apply --no-rollback keeps the service for a source that comes later; first killed right
# after each of its D-Bus calls (issue 12's fault matrix, kill_points in scenario.sh), rollback
# each time giving back the unit files and timesyncd's states. The apply not killed is the one
# that keeps the service.
clock_state() {
        node_tree etc/systemd/system
        unit_states $TS
}
KILL_STATE=clock_state KILL_WANT_RC=1
kill_points kill-live clock-sync --no-rollback
diag "D-Bus calls killed after: ${KILL_SUMMARY[*]}"
is "$RC" 1 "apply --no-rollback exits 1: not verified"
contains "$OUT" "not synchronised" "verify still says not synchronised"
is "$(lab_run systemctl is-enabled $TS 2>/dev/null)" enabled "timesyncd is enabled (systemd says so)"
stays_up $TS 3
ok $? "timesyncd runs and stays up"
is "$(ntp_synchronized)" no "timedated still says NTPSynchronized=no: nothing set the clock"
node_findings
is "$FOUND" "" "diagnose no longer names clock-sync: a time service runs"

lab_teardown
is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
