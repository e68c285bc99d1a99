#!/bin/bash
# SPDX-License-Identifier: MIT
# Seed 001, swap, on a VM node (tests/lab/vm.sh): real swap, which a container cannot have.
#
# A swap partition (a virtio disk made with mkswap, in the fstab by UUID as installers write it)
# is turned on at boot by systemd's own swap units, one per name of the device (/dev/vda, its
# by-uuid, by-path and by-diskseq links). The kubelet stand-in reads the kernel's /proc/swaps
# and fails with "running with swap on is not supported".
#
# 1. diagnose names swap-off and nothing else; fix --dry-run changes nothing.
# 2. fix: systemd turns the swap off (/proc/swaps is empty), the fstab line is commented out and
#    every other byte kept, the unit is masked, no unit is left failed, the kubelet stays up, and
#    diagnose finds nothing.
# 3. A reboot: swap stays off and the kubelet comes up.
# 4. rollback: the fstab byte for byte, the unit unmasked, swap on again, no unit failed.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/vm.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

lab_vm_setup || exit 1
lab_cni_config || exit 1
lab_vm_disk swap 64M || exit 1
uuid=$LAB_VM_DISK_UUID
printf 'UUID=%s none swap sw 0 0\n' "$uuid" >>"$LAB_ROOT/etc/fstab"
fstab_before=$(cat "$LAB_ROOT/etc/fstab"; echo x)
# The fstab as swap-off should leave it, worked out here: the swap line behind a '#'.
fstab_fixed=$(sed "s/^UUID=$uuid /#&/" "$LAB_ROOT/etc/fstab"; echo x)
unit=$(systemd-escape --path --suffix=swap "/dev/disk/by-uuid/$uuid")

# swap_in_kernel: the devices /proc/swaps lists, by the node's kernel.
swap_in_kernel() { lab_run cat /proc/swaps | tail -n +2 | awk '{ print $1 }'; }
# failed_units: the node's failed units, from systemd.
failed_units() { lab_run systemctl list-units --state=failed --plain --no-legend | awk '{ print $1 }'; }

lab_vm_boot || exit 1

# ---- 1: broken
is "$(swap_in_kernel)" /dev/vda "the node booted with swap on (/proc/swaps)"
is "$(lab_unit_prop "$unit" ActiveState)" active "systemd's unit for the fstab line is active"
lab_wait_journal kubelet.service "running with swap on is not supported" 60
ok $? "the kubelet fails on the real /proc/swaps"
node_findings
is "$FOUND" swap-off "diagnose names swap-off, and nothing else"
is "$DIAG_RC" 1 "diagnose exits 1: something found"
node_remedy fix --yes --dry-run
is "$RC" 0 "fix --dry-run exits 0"
contains "$OUT" "swap-off" "the dry run plans swap-off"
is "$(swap_in_kernel)" /dev/vda "the dry run left swap on"
is "$(cat "$LAB_ROOT/etc/fstab"; echo x)" "$fstab_before" "the dry run left the fstab as it was"

# ---- 2: fixed
node_remedy fix --yes
is "$RC" 0 "fix exits 0"
contains "$OUT" "passed  verify swap" "fix verified that swap is off"
is "$(swap_in_kernel)" "" "the kernel has no swap on (/proc/swaps)"
is "$(cat "$LAB_ROOT/etc/fstab"; echo x)" "$fstab_fixed" "the fstab's swap line is commented out, every other byte kept"
is "$(lab_run systemctl is-enabled "$unit" 2>/dev/null)" masked "systemd says the fstab line's unit is masked"
is "$(failed_units)" "" "no unit is left failed (systemd runs swapoff once per name of the device)"
stays_up kubelet.service 5
ok $? "the kubelet stays up"
node_findings
is "$FOUND" "" "diagnose finds nothing after the fix"

# ---- 3: a reboot
lab_vm_reboot || exit 1
is "$(swap_in_kernel)" "" "after a reboot, swap is still off"
lab_wait_unit kubelet.service active 60
stays_up kubelet.service 5
ok $? "after a reboot, the kubelet comes up and stays up"
is "$(failed_units)" "" "after a reboot, no unit failed"

# ---- 4: rolled back
node_remedy rollback --last
is "$RC" 0 "rollback exits 0"
is "$(cat "$LAB_ROOT/etc/fstab"; echo x)" "$fstab_before" "the fstab is restored byte for byte"
is "$(lab_run systemctl is-enabled "$unit" 2>/dev/null)" generated "the unit is no longer masked (generated from the fstab again)"
is "$(swap_in_kernel)" /dev/vda "swap is on again (/proc/swaps)"
is "$(lab_unit_prop "$unit" ActiveState)" active "and the fstab line's unit is active"
is "$(failed_units)" "" "no unit is left failed"

lab_teardown
ok $? "the VM node is torn down, nothing left behind"
done_testing
