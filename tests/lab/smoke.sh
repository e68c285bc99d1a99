#!/bin/bash
# SPDX-License-Identifier: MIT
# The node lab itself, under the real systemd: a healthy kubeadm worker boots with the kubelet
# (the lab's stand-in) active and not restarting, and each classic breakage makes the kubelet
# crash-loop with the real kubelet's message in its journal. Teardown leaves nothing behind.
. "$(dirname "${BASH_SOURCE[0]}")/lab.sh" || { echo "Bail out! cannot load lab.sh"; exit 1; }
lab_require

# The lab is gone: no process, no mount, no directory.
check_teardown() {   # check_teardown WHAT
        local dir=$LAB_DIR nspawn=$LAB_NSPAWN init=$LAB_INIT rc
        # Not in $(...): lab_teardown must reset the lab's variables in this shell.
        lab_teardown 2>"$WORK/teardown.log" && rc=0 || rc=$?
        is "$rc" 0 "$1: teardown reports nothing left"
        [ -s "$WORK/teardown.log" ] && sed 's/^/# /' "$WORK/teardown.log"
        ok "$( [ ! -e "$dir" ] && echo 0 || echo 1)" "$1: lab directory removed"
        ok "$(grep -qF " $dir" /proc/self/mountinfo && echo 1 || echo 0)" "$1: no mount left under the lab directory"
        ok "$( { kill -0 "$nspawn" || kill -0 "$init"; } 2>/dev/null && echo 1 || echo 0)" \
                "$1: systemd-nspawn and the node's init are gone"
}

# A broken node: the kubelet fails at every start with MESSAGE and systemd keeps restarting it.
check_crash_loop() {   # check_crash_loop WHAT MESSAGE
        local n1 n2 journal
        lab_wait_restarts kubelet.service 1 15
        ok $? "$1: kubelet restarted after failing"
        n1=$(lab_nrestarts kubelet.service)
        lab_wait_restarts kubelet.service $((n1 + 2)) 15
        n2=$(lab_nrestarts kubelet.service)
        ok "$( [ "$n2" -gt "$n1" ] && echo 0 || echo 1)" "$1: NRestarts grows ($n1 -> $n2)"
        journal=$(lab_journal kubelet.service)
        contains "$journal" "$2" "$1: kubelet journal has the kubelet's error"
        contains "$journal" "kubelet.service: Main process exited, code=exited, status=1/FAILURE" \
                "$1: systemd saw exit status 1"
        lacks "$journal" '"Started kubelet"' "$1: the kubelet never got past its checks"
}

# --- a healthy worker, before its CNI is installed ------------------------------------------
t0=$(date +%s.%N)
lab_setup
ok $? "healthy: lab_setup"
lab_boot
ok $? "healthy: lab_boot"
t1=$(date +%s.%N)
diag_boot=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
echo "# setup+boot took $diag_boot s"

is "$(lab_run readlink /proc/1/exe)" /usr/lib/systemd/systemd "healthy: PID 1 of the node is systemd"
is "$(lab_run hostname)" "$LAB_NODE_NAME" "healthy: the node has its own hostname"
lab_wait_unit containerd.service active 15
ok $? "healthy: containerd active"
lab_wait_unit kubelet.service active 15
ok $? "healthy: kubelet active"
lab_wait_journal kubelet.service '"Started kubelet"' 10
ok $? "healthy: kubelet got through its start-up checks"
n1=$(lab_nrestarts kubelet.service)
sleep 3
n2=$(lab_nrestarts kubelet.service)
is "$n1" 0 "healthy: kubelet never restarted"
is "$n2" "$n1" "healthy: NRestarts stable over 3 s"
is "$(lab_unit_prop kubelet.service ActiveState)" active "healthy: kubelet still active after 3 s"
lacks "$(lab_journal kubelet.service)" '"command failed"' "healthy: no kubelet error"
is "$(lab_unit_prop kubelet.service DropInPaths)" \
   "/etc/systemd/system/kubelet.service.d/05-lab-restart.conf /etc/systemd/system/kubelet.service.d/10-kubeadm.conf" \
   "healthy: kubeadm's drop-in and the lab's restart drop-in are loaded"
lab_wait_journal containerd.service 'no network config found in /etc/cni/net.d' 10
ok $? "healthy: containerd logs the missing CNI config"
contains "$(lab_journal containerd.service)" \
        'failed to load cni during init, please check CRI plugin status before setting up network for pods' \
        "healthy: containerd's CNI error is the real one"

is "$(lab_run kubelet --version)" "Kubernetes v1.30.0 (remedy lab stand-in)" "stand-in: --version"
help=$(lab_run kubelet --help)
contains "$help" "      --config string" "stand-in: --help lists --config with its type"
contains "$help" "  -h, --help " "stand-in: --help lists -h, --help"
lacks "$help" "--network-plugin" "stand-in: --help omits a flag removed before 1.30"
lab_run kubelet --network-plugin=cni 2>"$WORK/err"
is "$?" 1 "stand-in: unknown flag exits 1"
contains "$(cat "$WORK/err")" '"command failed" err="failed to parse kubelet flag: unknown flag: --network-plugin"' \
        "stand-in: unknown flag message"

lab_run sh -c 'exit 7'
is "$?" 7 "lab_run returns the command's exit status"
is "$(echo through | lab_run cat)" through "lab_run passes stdin through"
is "$(FOO=leak lab_run sh -c 'echo "${FOO:-clean}"')" clean "lab_run uses a clean environment"
lab_run sh -c 'echo node >/etc/remedy-lab-probe'
ok "$( [ -e /etc/remedy-lab-probe ] && echo 1 || echo 0)" "a write inside the node does not reach the host"
is "$(cat "$LAB_ROOT/etc/remedy-lab-probe")" node "the write is visible under LAB_ROOT"
t2=$(date +%s.%N)
check_teardown healthy
t3=$(date +%s.%N)
echo "# teardown took $(awk -v a="$t2" -v b="$t3" 'BEGIN { printf "%.2f", b - a }') s"
lab_teardown
ok $? "a second lab_teardown is harmless"

# --- unknown flag in kubeadm-flags.env (CNI installed this time) ----------------------------
lab_setup
lab_cni_config
sed -i 's|^KUBELET_KUBEADM_ARGS="|&--improve-speed |' "$LAB_ROOT/var/lib/kubelet/kubeadm-flags.env"
lab_boot
ok $? "unknown-flag: lab_boot"
check_crash_loop unknown-flag '"command failed" err="failed to parse kubelet flag: unknown flag: --improve-speed"'
lab_wait_unit containerd.service active 15
ok $? "unknown-flag: containerd active"
lacks "$(lab_journal containerd.service)" 'no network config found' "unknown-flag: with a conflist containerd finds a CNI config"
check_teardown unknown-flag

# --- cgroup driver mismatch: kubelet systemd, containerd's runc SystemdCgroup = false ---------
lab_setup
lab_containerd_systemd_cgroup false
lab_boot
ok $? "cgroup-driver: lab_boot"
check_crash_loop cgroup-driver 'misconfiguration: kubelet cgroup driver: \"systemd\" is different from docker cgroup driver: \"cgroupfs\"'
check_teardown cgroup-driver

# --- swap on (simulated /proc/swaps, see lab_swap_on) --------------------------------------
lab_setup
lab_swap_on
lab_boot
ok $? "swap: lab_boot"
check_crash_loop swap 'failed to run Kubelet: running with swap on is not supported, please disable swap! or set --fail-swap-on flag to false. /proc/swaps contained: [Filename'
check_teardown swap

# --- expired client certificate, bootstrap kubeconfig long gone -----------------------------
lab_setup
# One instant for both, so that the expected time cannot be a second off the certificate's.
not_after=$(date -u -d '-35 days' +%s)
lab_kubelet_cert "$(date -u -d '-400 days' +%Y%m%d%H%M%SZ)" "$(date -u -d "@$not_after" +%Y%m%d%H%M%SZ)"
ok $? "cert-expired: an expired client certificate issued"
expired=$(date -u -d "@$not_after" '+%Y-%m-%d %H:%M:%S')
lab_boot
ok $? "cert-expired: lab_boot"
check_crash_loop cert-expired "part of the existing bootstrap client certificate in /etc/kubernetes/kubelet.conf is expired: $expired +0000 UTC"
contains "$(lab_journal kubelet.service)" \
        '"command failed" err="failed to run Kubelet: unable to load bootstrap kubeconfig: stat /etc/kubernetes/bootstrap-kubelet.conf: no such file or directory"' \
        "cert-expired: then the bootstrap kubeconfig is missing"
check_teardown cert-expired

done_testing
