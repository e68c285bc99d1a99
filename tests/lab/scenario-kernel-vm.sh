#!/bin/bash
# SPDX-License-Identifier: MIT
# kernel-netfilter and inotify-limits (FAILURES.md B.16, B.28) on a VM node (tests/lab/vm.sh): a
# container cannot load modules or set these sysctls (its kernel is the host's), so the live half
# runs on a kernel of the node's own. Nothing here touches the host's kernel.
#
# The node has Debian's kernel modules installed (depmod'd, as a kernel package leaves them) but
# no modules-load.d file for overlay or br_netfilter, and /etc/sysctl.conf (Debian's
# 99-sysctl.conf link) turns forwarding off. After boot its inotify instances are capped at 1 (in
# the VM's kernel): the kubelet stand-in's cAdvisor inotify_init fails with EMFILE, as the real
# kubelet's does, and it crash-loops with "Failed to start cAdvisor" err="inotify_init: too many
# open files".
#
# 1. diagnose names both playbooks; fix --dry-run changes nothing, in the kernel either.
# 2. fix: the kernel has the modules (/proc/modules) and values (/proc/sys), systemd reads the
#    files as setting them at boot (systemd-analyze cat-config), a limit already higher is not
#    lowered, the kubelet stays up, diagnose finds nothing.
# 3. A reboot: systemd-modules-load and systemd-sysctl load and set them from remedy's files.
# 4. rollback: the files byte for byte, the values written back, br_netfilter and overlay
#    unloaded, the kubelet failing again as before.
# 5. The fault matrix's live half for both (issue 12): each apply killed right after each modprobe,
#    /proc/sys write and D-Bus call it makes (the crash shim's kill-live mode), then `rollback`:
#    files, values, modules and units as before; the apply not killed fixes and verifies.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/vm.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

[ -n "${CRASH_SHIM:-}" ] && [ -f "$CRASH_SHIM" ] || { echo "not ok 1 - CRASH_SHIM names the crash shim"; echo "1..1"; exit 1; }

lab_vm_setup || exit 1
lab_cni_config || exit 1
lab_vm_kernel_modules overlay br_netfilter || exit 1
mkdir -p "$LAB_ROOT/etc/sysctl.d"
printf '# /etc/sysctl.conf\n#net.ipv4.ip_forward=1\nnet.ipv4.ip_forward=0\n' >"$LAB_ROOT/etc/sysctl.conf"
ln -sfn ../sysctl.conf "$LAB_ROOT/etc/sysctl.d/99-sysctl.conf"
# Watches already above what inotify-limits asks: they must stay so.
printf 'fs.inotify.max_user_watches = 1048576\n' >"$LAB_ROOT/etc/sysctl.d/60-watches.conf"
rm -f "$LAB_ROOT/etc/modules-load.d/k8s.conf" "$LAB_ROOT/etc/sysctl.d/k8s.conf"
# The crash-looping kubelet waits 30 s between runs rather than 10: remedy judges a run that
# has ended by its own lines, and under emulation diagnose and fix take seconds of that pause.
mkdir -p "$LAB_ROOT/etc/systemd/system/kubelet.service.d"
printf '[Service]\nRestartSec=30\n' >"$LAB_ROOT/etc/systemd/system/kubelet.service.d/lab-restart-pause.conf"
kernel_files() { node_tree etc/sysctl.d etc/modules-load.d etc/sysctl.conf; }
files_before=$(kernel_files)

in_kernel() { lab_run grep -c "^$1 " /proc/modules 2>/dev/null | head -n 1; }   # 1 loaded, 0 not
live() { lab_run cat "/proc/sys/$(tr . / <<<"$1")" 2>/dev/null || echo absent; }
# boot_value KEY: what systemd-sysctl sets at boot, by the node's systemd (cat-config's reading
# order; the last assignment wins).
boot_value() {
        lab_run systemd-analyze cat-config sysctl.d 2>/dev/null |
                awk -v key="$1" '
                        /^[ \t]*[#;]/ || !/=/ { next }
                        { k = $0; sub(/=.*/, "", k); gsub(/[ \t]/, "", k); sub(/^-/, "", k)
                          v = $0; sub(/^[^=]*=/, "", v); gsub(/^[ \t]+|[ \t]+$/, "", v)
                          if (k == key) val = v }
                        END { print val }'
}
# between_runs: waits until the crash-looping kubelet is between two runs (auto-restart, RestartSec
# 10 s), so that its newest run has said why it failed: under qemu's emulation a run of the
# stand-in lasts longer than the 5 s after which remedy judges a running run by itself.
between_runs() {
        local i
        for ((i = 0; i < 120; i++)); do
                [ "$(lab_unit_prop kubelet.service SubState)" = auto-restart ] && return 0
                sleep 0.5
        done
        diag "kubelet.service never waited to restart"
        return 1
}
boot_modules() {
        lab_run systemd-analyze cat-config modules-load.d 2>/dev/null | grep -v '^[[:space:]]*[#;]' | grep . | sort |
                tr '\n' ' '
}

lab_vm_boot || exit 1

# ---- 1: broken
is "$(in_kernel br_netfilter)" 0 "the node booted without br_netfilter (/proc/modules)"
# overlay may be loaded already (containerd's overlayfs snapshotter asks for it): whatever it is,
# rollback leaves it so.
overlay_at_boot=$(in_kernel overlay)
is "$(live net.bridge.bridge-nf-call-iptables)" absent "so /proc/sys/net/bridge does not exist"
is "$(live net.ipv4.ip_forward)" 0 "and forwarding is off (/etc/sysctl.conf)"
watches_at_boot=$(live fs.inotify.max_user_watches)
is "$watches_at_boot" 1048576 "the node's own watches limit is 1048576"
lab_run sysctl -q -w fs.inotify.max_user_instances=1 || diag "cannot cap the VM's inotify instances"
lab_run systemctl restart kubelet.service 2>/dev/null
lab_wait_journal kubelet.service 'inotify_init: too many open files' 60
ok $? "the kubelet stand-in's cAdvisor cannot get an inotify instance from the node's kernel"
between_runs
node_findings
is "$(tr ' ' '\n' <<<"$FOUND" | sort | tr '\n' ' ')" "inotify-limits kernel-netfilter " \
        "diagnose names inotify-limits and kernel-netfilter, and nothing else"
[ "$DIAG_RC" = 1 ] && grep -q inotify-limits <<<"$FOUND" || sed 's/^/#   /' <<<"$DIAG_OUT"
contains "$DIAG_OUT" "br_netfilter is not loaded now" "the evidence is the running kernel's"
between_runs
node_remedy fix --dry-run
is "$RC" 0 "fix --dry-run exits 0"
[ "$RC" = 0 ] || sed 's/^/#   /' <<<"$OUT$ERR"
contains "$OUT" "loads br_netfilter now" "the dry run plans loading br_netfilter"
is "$(in_kernel br_netfilter) $(live net.ipv4.ip_forward) $(live fs.inotify.max_user_instances)" "0 0 1" \
        "the dry run left the kernel as it was"

# ---- 2: fixed
between_runs
node_remedy fix
is "$RC" 0 "fix exits 0"
[ "$RC" = 0 ] || sed 's/^/#   /' <<<"$OUT$ERR"
is "$(in_kernel br_netfilter) $(in_kernel overlay)" "1 1" "br_netfilter and overlay are in the kernel (/proc/modules)"
for k in net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.ipv4.ip_forward; do
        is "$(live $k)" 1 "$k is 1 now (/proc/sys)"
        is "$(boot_value $k)" 1 "$k is 1 at boot (systemd-analyze cat-config sysctl.d)"
done
is "$(live fs.inotify.max_user_instances)" 8192 "max_user_instances is 8192 now"
is "$(boot_value fs.inotify.max_user_instances)" 8192 "and at boot"
is "$(live fs.inotify.max_user_watches)" 1048576 "max_user_watches, already higher, is not lowered"
is "$(boot_modules)" "br_netfilter overlay " "systemd-modules-load loads overlay and br_netfilter at boot"
lab_wait_unit kubelet.service active 60
stays_up kubelet.service 5
ok $? "the kubelet stays up"
node_findings
is "$FOUND" "" "diagnose finds nothing after the fix"

# ---- 3: a reboot, from remedy's files alone
lab_vm_reboot || exit 1
is "$(in_kernel br_netfilter) $(in_kernel overlay)" "1 1" "after a reboot, systemd-modules-load loaded both"
is "$(live net.bridge.bridge-nf-call-iptables) $(live net.ipv4.ip_forward)" "1 1" \
        "and systemd-sysctl set the bridge and forwarding values"
is "$(live fs.inotify.max_user_instances)" 8192 "and the inotify instances"
lab_wait_unit kubelet.service active 60
stays_up kubelet.service 5
ok $? "after a reboot the kubelet comes up and stays up"

# ---- 4: rolled back
node_remedy rollback --last
is "$RC" 0 "rollback exits 0"
is "$(kernel_files)" "$files_before" "the sysctl.d and modules-load.d files are as they were, byte for byte"
is "$(live net.ipv4.ip_forward)" 0 "forwarding is off again (/proc/sys)"
is "$(in_kernel br_netfilter) $(in_kernel overlay)" "0 $overlay_at_boot" "br_netfilter is unloaded, overlay as it was at first"
is "$(live fs.inotify.max_user_instances)" 1 "max_user_instances is back to 1"
contains "$OUT" "module br_netfilter" "rollback names the module it unloaded"
lab_wait_journal kubelet.service 'inotify_init: too many open files' 60
ok $? "and the kubelet, restarted as it was, fails as before"

# ---- 5: killed after each live change (issue 12's fault matrix, kill_points in scenario.sh)
# The rolled-back node again: each playbook's apply is killed right after its first modprobe,
# /proc/sys write or D-Bus call, then after its second, ...; after each, rollback must give back
# the files byte for byte, the values in /proc/sys, the modules it loaded (unloaded: what modprobe
# loaded for them, bridge and the like, stays, as rollback leaves it by design) and the units'
# states. The kubelet crash-loops throughout: only its enablement is compared.
SYSCTLS=(net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.ipv4.ip_forward
        fs.inotify.max_user_instances fs.inotify.max_user_watches)
kernel_state() {
        local k
        kernel_files
        echo "overlay $(in_kernel overlay) br_netfilter $(in_kernel br_netfilter)"
        for k in "${SYSCTLS[@]}"; do echo "$k $(live "$k")"; done
        unit_states containerd.service
        echo "kubelet.service $(lab_unit_prop kubelet.service UnitFileState)"
}
KILL_STATE=kernel_state
kill_points kill-live kernel-netfilter
is "$(in_kernel br_netfilter) $(live net.bridge.bridge-nf-call-iptables) $(live net.ipv4.ip_forward)" "1 1 1" \
        "kernel-netfilter, applied at last: br_netfilter loaded, the values set"
kill_points kill-live inotify-limits
is "$(live fs.inotify.max_user_instances) $(live fs.inotify.max_user_watches)" "8192 1048576" \
        "inotify-limits, applied at last: instances raised, watches not lowered"
diag "live changes killed after, per playbook: ${KILL_SUMMARY[*]}"

lab_teardown
ok $? "the VM node is torn down, nothing left behind"
done_testing
