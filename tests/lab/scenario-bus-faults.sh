#!/bin/bash
# SPDX-License-Identifier: MIT
# The fault matrix's live half (issue 12 §4): remedy killed right after each D-Bus call that
# changes what systemd runs or enables (the crash shim's kill-bus mode: systemd did it, remedy
# never learnt that it did), on a real systemd. Each time, the next apply refuses and names
# rollback, and `rollback` puts the node back: the files byte for byte, and each unit's enablement
# and active state as they were. The count of calls comes from the shim, so a playbook that
# gains a unit step is covered without a change here.
#
# Every shipped playbook with a unit step is either broken here, one after another on the same
# node (MATRIX below), or listed in ELSEWHERE with the reason a container node cannot hold its
# failure; a new playbook with a unit step fails the first check until it is one or the other.
# Here: cgroup-driver-systemd on a crash-looping kubelet (a file edit, then containerd and the
# kubelet restarted), kubelet-enable on a masked, stopped kubelet (unmask, enable, start),
# containerd-enable-cri (a file edit, containerd restarted under the kubelet), kubelet-strip-flags
# (an env file edit, the kubelet restarted) and cri-endpoint on a containerd stopped and disabled
# by hand (enable, start, then the kubelet restarted).
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

[ -n "${CRASH_SHIM:-}" ] && [ -f "$CRASH_SHIM" ] || { echo "not ok 1 - CRASH_SHIM names the crash shim"; echo "1..1"; exit 1; }

files=(/etc/containerd/config.toml /var/lib/kubelet/config.yaml /var/lib/kubelet/kubeadm-flags.env
        /etc/systemd/system/multi-user.target.wants/kubelet.service /etc/systemd/system/kubelet.service
        /etc/systemd/system/multi-user.target.wants/containerd.service)

MATRIX=(cgroup-driver-systemd kubelet-enable containerd-enable-cri kubelet-strip-flags cri-endpoint)
# playbook: why its failure is proven elsewhere (its unit calls are the same unit step and
# rollback code as the ones above: restart, start, enable).
declare -A ELSEWHERE=(
        [clock-sync]="a container shares the host's clock: lab-scenario-clock-sync-vm"
        [kernel-netfilter]="a container cannot load modules or set these sysctls: the VM node"
        [inotify-limits]="a container cannot set these sysctls: the VM node"
        [swap-off]="swap needs the host's kernel: lab-scenario-swap, lab-scenario-swap-vm"
        [kubelet-allow-swap]="swap needs the host's kernel: lab-scenario-swap"
        [kubelet-rotate-kubeconfig]="needs a control plane's CA and an expired certificate: lab-scenario-rotate-kubeconfig"
        [prejoin-cgroup-driver]="a node before join: lab-scenario-join-before"
        [sandbox-image]="needs an image store without the registry: lab-scenario-sandbox-image"
        [kubelet-resolv-conf]="needs systemd-resolved in the node: lab-scenario-resolv-conf"
        [kubelet-wait-online]="needs a network that comes up late: lab-scenario-wait-online"
        [cni-placeholder]="restarts only what cgroup-driver-systemd restarts: lab-scenario-cni"
        [kubelet-feature-gates]="an env file edit and a kubelet restart, as kubelet-strip-flags: lab-scenario-feature-gates"
)
units=(containerd.service kubelet.service)

# What rollback must give back: file hashes, each unit's enablement, and the active state of
# the units in STABLE (a crash-looping kubelet is "active" or "activating" from one moment to the
# next: for it, crash_loops is asked instead).
STABLE=()
node_state() {
        local u
        node_sha256 "${files[@]}"
        for u in "${units[@]}"; do
                echo "$u $(lab_unit_prop "$u" UnitFileState)"
        done
        for u in "${STABLE[@]}"; do
                echo "$u $(lab_unit_prop "$u" ActiveState)"
        done
}

# shim_remedy MODE AT ARGS...: remedy in the node under the crash shim; RC its exit status.
shim_remedy() {
        local mode=$1 at=$2
        shift 2
        lab_run env LD_PRELOAD="$CRASH_SHIM" REMEDY_SHIM_MODE="$mode" REMEDY_SHIM_AT="$at" \
                REMEDY_SHIM_REPORT=/run/remedy-shim-count \
                "$REMEDY" --no-color --playbooks="$PLAYBOOKS" "$@" >/dev/null 2>"$LAB_DIR/shim-err" && RC=0 || RC=$?
        [ "$RC" -eq 0 ] || [ "$RC" -eq 137 ] || diag "remedy $*: exit $RC: $(head -c 2000 "$LAB_DIR/shim-err")"
}

# matrix NAME PLAYBOOK: counts the playbook's state-changing calls on the broken node (then rolls
# that apply back), and kills remedy after each in turn.
matrix() {
        local name=$1 playbook=$2 before total n
        before=$(node_state)
        shim_remedy kill-bus 0 apply "$playbook"
        is "$RC" 0 "$name: apply under the shim, counting, exits 0"
        total=$(lab_run cat /run/remedy-shim-count 2>/dev/null || echo 0)
        ok "$([ "$total" -ge 1 ]; echo $?)" "$name: apply makes state-changing D-Bus calls ($total)"
        node_remedy rollback --last
        is "$RC" 0 "$name: its rollback exits 0"
        is "$(node_state)" "$before" "$name: the node is as it was before the counting apply"

        for ((n = 1; n <= total; n++)); do
                shim_remedy kill-bus "$n" apply "$playbook"
                is "$RC" 137 "$name: killed after D-Bus call $n of $total"
                node_remedy apply "$playbook"
                is "$RC" 2 "$name, killed after call $n: the next apply refuses"
                contains "$ERR" "remedy rollback" "$name, killed after call $n: and says how to resolve it"
                node_remedy rollback
                is "$RC" 0 "$name, killed after call $n: rollback exits 0"
                [ "$RC" -eq 0 ] || diag "$OUT" "$ERR"
                is "$(node_state)" "$before" "$name, killed after call $n: files, enablement and active states as before"
                if [ -n "$LOOPS" ]; then
                        crash_loops "$LOOPS"
                        ok $? "$name, killed after call $n: the kubelet crash-loops again, as before"
                fi
        done
        FAULT_POINTS=$((FAULT_POINTS + total))
}
FAULT_POINTS=0
LOOPS=

# Which playbooks have a unit step, from the playbooks themselves.
for yaml in "$PLAYBOOKS"/*.yaml; do
        name=$(basename "$yaml" .yaml)
        python3 -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); sys.exit(0 if any("unit" in s for s in d.get("steps") or []) else 1)' "$yaml" || continue
        in_matrix=0
        for m in "${MATRIX[@]}"; do [ "$m" = "$name" ] && in_matrix=1; done
        ok "$([ "$in_matrix" = 1 ] || [ -n "${ELSEWHERE[$name]:-}" ]; echo $?)" \
                "$name has a unit step: $([ "$in_matrix" = 1 ] && echo "killed after each D-Bus call below" || echo "${ELSEWHERE[$name]:-NOT COVERED: add it to MATRIX or ELSEWHERE}")"
done

lab_setup || exit 1
lab_cni_config || exit 1
lab_containerd_systemd_cgroup false
lab_kubelet_config_set cgroupDriver systemd
lab_boot || exit 1

# Seed 001's crash loop first: the cgroup drivers disagree.
lab_wait_journal kubelet.service "misconfiguration: kubelet cgroup driver" 20
ok $? "the broken node: the kubelet says its cgroup driver differs from containerd's"
STABLE=(containerd.service)
LOOPS=kubelet.service
matrix "cgroup-driver-systemd" cgroup-driver-systemd

# Then fix it for good, and break the kubelet another way: stopped, disabled and masked.
node_remedy apply cgroup-driver-systemd
is "$RC" 0 "the cgroup drivers agree again"
lab_run systemctl disable --now kubelet.service >/dev/null 2>&1
lab_run systemctl mask kubelet.service >/dev/null 2>&1
is "$(lab_run systemctl is-enabled kubelet.service)" masked "the broken node: kubelet.service is masked"
STABLE=(containerd.service kubelet.service)
LOOPS=
matrix "kubelet-enable" kubelet-enable
node_remedy apply kubelet-enable
is "$RC" 0 "the kubelet runs again"

# containerd without its CRI plugin (a version 2 file names it by its full ID: containerd refuses
# Docker's short "cri" there).
sed -i 's/^disabled_plugins = \[\]/disabled_plugins = ["io.containerd.grpc.v1.cri"]/' "$LAB_ROOT/etc/containerd/config.toml"
grep -q '^disabled_plugins = \["io.containerd.grpc.v1.cri"\]' "$LAB_ROOT/etc/containerd/config.toml"
ok $? "the broken node: containerd's config disables the CRI"
lab_run systemctl restart containerd.service
lab_run systemctl restart kubelet.service
lab_wait_journal kubelet.service "unknown service runtime.v1.RuntimeService" 30
ok $? "the broken node: the kubelet says containerd has no CRI runtime service"
STABLE=(containerd.service)
LOOPS=kubelet.service
matrix "containerd-enable-cri" containerd-enable-cri
node_remedy apply containerd-enable-cri
is "$RC" 0 "containerd's CRI is back"

# A flag the kubelet does not know, as seed 004.
sed -i 's|^KUBELET_KUBEADM_ARGS="|&--improve-speed |' "$LAB_ROOT/var/lib/kubelet/kubeadm-flags.env"
lab_run systemctl restart kubelet.service
lab_wait_journal kubelet.service "unknown flag: --improve-speed" 30
ok $? "the broken node: the kubelet refuses --improve-speed"
matrix "kubelet-strip-flags" kubelet-strip-flags
node_remedy apply kubelet-strip-flags
is "$RC" 0 "the kubelet takes its flags again"

# containerd stopped and disabled by hand.
lab_run systemctl disable --now containerd.service >/dev/null 2>&1
lab_run systemctl restart kubelet.service
is "$(lab_run systemctl is-enabled containerd.service)" disabled "the broken node: containerd.service is disabled"
lab_wait_journal kubelet.service "code = Unavailable" 30
ok $? "the broken node: the kubelet says the runtime is unavailable"
STABLE=(containerd.service)
LOOPS=kubelet.service
matrix "cri-endpoint" cri-endpoint

ok "$([ "$FAULT_POINTS" -ge 10 ]; echo $?)" "$FAULT_POINTS D-Bus fault points exercised"
lab_teardown
is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
