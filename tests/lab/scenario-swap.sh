#!/bin/bash
# SPDX-License-Identifier: MIT
# Seed 001, swap. Two nodes.
#
# 1. Swap in the fstab that `swapoff -a` turned off by hand: the kubelet runs, but the next boot
#    turns swap back on. diagnose finds it from the fstab; swap-off comments the line out and
#    masks the swap unit through the node's systemd (systemctl is-enabled says masked), the kubelet
#    stays up, and rollback restores the fstab byte for byte and unmasks the unit.
#
#    A container cannot turn swap on, and systemd in a container has no swap units, so the "swap
#    on now" half (StopUnit on an active .swap unit) is scenario-swap-vm's, on a VM node. If this
#    machine has swap on, the node sees it in /proc/swaps and swap-off must refuse, naming
#    kubelet-allow-swap: that is what is asserted then.
#
# 2. Swap on (simulated: /run/lab/swaps, read by the kubelet stand-in only, see lab.sh): the
#    kubelet fails with "running with swap on is not supported". diagnose names swap-off from the
#    journal, and kubelet-allow-swap (the alternative, applied by name) brings the kubelet up;
#    rollback brings the failure back.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

host_swap=$(tail -n +2 /proc/swaps)

# ---- 1: swap at boot
lab_setup || exit 1
lab_cni_config || exit 1
printf '# <file system> <mount point> <type> <options> <dump> <pass>\n/swap.img\tnone\tswap\tsw\t0\t0\n' \
        >>"$LAB_ROOT/etc/fstab"
lab_boot || exit 1
lab_wait_unit kubelet.service active 15
stays_up kubelet.service 3
ok $? "node 1: the kubelet runs (swap is off now)"
node_findings
is "$FOUND" swap-off "diagnose names swap-off, and nothing else"
contains "$DIAG_OUT" "swap on at boot: /etc/fstab:" "the evidence is the fstab line"
contains "$DIAG_OUT" "(swap.img.swap)" "and names its unit"
contains "$DIAG_OUT" "kubelet-allow-swap" "the advice names the alternative"
before=$(node_sha256 /etc/fstab)
is "$(lab_run systemctl is-enabled swap.img.swap 2>/dev/null)" "" "the swap unit is not masked before (systemd has no swap units in a container)"

node_remedy apply swap-off
if [ -n "$host_swap" ]; then
        is "$RC" 2 "this machine has swap on, which the node sees: swap-off refuses"
        contains "$ERR" "systemd has no unit for it" "saying systemd does not manage it here"
        contains "$ERR" "kubelet-allow-swap" "and naming the alternative"
        is "$(node_sha256 /etc/fstab)" "$before" "nothing changed"
else
        is "$RC" 0 "swap-off applies"
        [ "$RC" -eq 0 ] || diag "$OUT" "$ERR"
        contains "$OUT" "masks swap.img.swap" "it masks the fstab's swap unit"
        contains "$OUT" "passed  verify swap" "its swap check passed"
        grep -q $'^#/swap.img\tnone\tswap\tsw\t0\t0$' "$LAB_ROOT/etc/fstab"
        ok $? "the fstab line is commented out"
        is "$(lab_run systemctl is-enabled swap.img.swap 2>/dev/null)" masked "systemd says the swap unit is masked"
        is "$(lab_unit_prop swap.img.swap LoadState)" masked "and loads it as masked"
        stays_up kubelet.service 3
        ok $? "the kubelet stays up"
        node_findings
        is "$FOUND" "" "diagnose finds nothing now"
        is "$(last_txn_state)" applied "the transaction is applied"

        node_remedy rollback --last
        is "$RC" 0 "rollback exits 0"
        [ "$RC" -eq 0 ] || diag "$OUT" "$ERR"
        is "$(node_sha256 /etc/fstab)" "$before" "the fstab is back byte for byte"
        is "$(lab_run systemctl is-enabled swap.img.swap 2>/dev/null)" "" "the unit is no longer masked"
        node_findings
        is "$FOUND" swap-off "and swap-off is found again"
fi
lab_teardown

# ---- 2: swap on now, the kubelet fails
lab_setup || exit 1
lab_cni_config || exit 1
lab_swap_on || exit 1
lab_boot || exit 1
lab_wait_journal kubelet.service "running with swap on is not supported" 20
ok $? "node 2: the kubelet says swap is on"
crash_loops kubelet.service
ok $? "and crash-loops"
node_findings
is "$FOUND" swap-off "diagnose names swap-off (from the kubelet's journal)"
contains "$DIAG_OUT" "running with swap on is not supported" "quoting the kubelet"
config_before=$(node_sha256 /var/lib/kubelet/config.yaml)

node_remedy fix --yes --dry-run
lacks "$OUT" "kubelet-allow-swap:" "fix does not pick kubelet-allow-swap by itself"

node_remedy apply kubelet-allow-swap
is "$RC" 0 "kubelet-allow-swap applies"
[ "$RC" -eq 0 ] || diag "$OUT" "$ERR"
contains "$(cat "$LAB_ROOT/var/lib/kubelet/config.yaml")" "failSwapOn: false" "failSwapOn is false"
stays_up kubelet.service 3
ok $? "the kubelet stays up with swap on"
inv=$(lab_unit_prop kubelet.service InvocationID)
lacks "$(lab_run journalctl --no-pager -o cat _SYSTEMD_INVOCATION_ID="$inv")" "swap on is not supported" \
        "its current run does not complain of swap"
node_findings
is "$FOUND" "" "diagnose finds nothing: the kubelet tolerates swap now"

node_remedy rollback --last
is "$RC" 0 "rollback exits 0"
is "$(node_sha256 /var/lib/kubelet/config.yaml)" "$config_before" "config.yaml is back byte for byte"
cursor=$(journal_cursor)
wait_journal_after "$cursor" kubelet.service "running with swap on is not supported" 15
ok $? "and the kubelet fails on swap again"

lab_teardown
is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
