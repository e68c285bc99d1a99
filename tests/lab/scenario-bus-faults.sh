#!/bin/bash
# SPDX-License-Identifier: MIT
# The fault matrix's live half (issue 12 §4): remedy killed right after each D-Bus call that
# changes what systemd runs or enables (the crash shim's kill-bus mode: systemd did it, remedy
# never learnt that it did), on a real systemd. Each time, the next apply refuses and names
# rollback, and `rollback` puts the node back: the files byte for byte, and each unit's enablement
# and active state as they were. The count of calls comes from the shim, so a playbook that
# gains a unit step is covered without a change here.
#
# Two playbooks, for the two kinds of unit work: kubelet-enable on a masked, stopped kubelet
# (unmask, enable, start) and cgroup-driver-systemd on a crash-looping one (a file edit, then
# containerd and the kubelet restarted).
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

[ -n "${CRASH_SHIM:-}" ] && [ -f "$CRASH_SHIM" ] || { echo "not ok 1 - CRASH_SHIM names the crash shim"; echo "1..1"; exit 1; }

files=(/etc/containerd/config.toml /var/lib/kubelet/config.yaml
        /etc/systemd/system/multi-user.target.wants/kubelet.service /etc/systemd/system/kubelet.service)
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
                "$REMEDY" --no-color --playbooks="$PLAYBOOKS" "$@" >/dev/null 2>&1 && RC=0 || RC=$?
}

# matrix NAME PLAYBOOK: counts the playbook's state-changing calls on the broken node (then rolls
# that apply back), and kills remedy after each in turn.
matrix() {
        local name=$1 playbook=$2 before total n
        before=$(node_state)
        shim_remedy kill-bus 0 apply "$playbook"
        is "$RC" 0 "$name: apply under the shim, counting, exits 0"
        total=$(lab_run cat /run/remedy-shim-count 2>/dev/null || echo 0)
        ok "$([ "$total" -ge 2 ]; echo $?)" "$name: apply makes state-changing D-Bus calls ($total)"
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
                if [ "$name" = cgroup-driver-systemd ]; then
                        crash_loops kubelet.service
                        ok $? "$name, killed after call $n: the kubelet crash-loops again, as before"
                fi
        done
        FAULT_POINTS=$((FAULT_POINTS + total))
}
FAULT_POINTS=0

lab_setup || exit 1
lab_cni_config || exit 1
lab_containerd_systemd_cgroup false
lab_kubelet_config_set cgroupDriver systemd
lab_boot || exit 1

# Seed 001's crash loop first: the cgroup drivers disagree.
lab_wait_journal kubelet.service "misconfiguration: kubelet cgroup driver" 20
ok $? "the broken node: the kubelet says its cgroup driver differs from containerd's"
STABLE=(containerd.service)
matrix "cgroup-driver-systemd" cgroup-driver-systemd

# Then fix it for good, and break the kubelet another way: stopped, disabled and masked.
node_remedy apply cgroup-driver-systemd
is "$RC" 0 "the cgroup drivers agree again"
lab_run systemctl disable --now kubelet.service >/dev/null 2>&1
lab_run systemctl mask kubelet.service >/dev/null 2>&1
is "$(lab_run systemctl is-enabled kubelet.service)" masked "the broken node: kubelet.service is masked"
STABLE=(containerd.service kubelet.service)
matrix "kubelet-enable" kubelet-enable

ok "$([ "$FAULT_POINTS" -ge 4 ]; echo $?)" "$FAULT_POINTS D-Bus fault points exercised"
lab_teardown
is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
