#!/bin/bash
# SPDX-License-Identifier: MIT
# diagnose is never silent on a kubelet or containerd systemd will not run, even when no playbook
# matches: offline, a masked unit is a finding of diagnose's own (its name, the
# unit file state, "no shipped playbook matches"), exit 1. Quiet on a consistent node, and about
# the kubelet of a node that has not joined yet (FAILURES.md B.4), except a masked one. The live
# states (failed, crash-looping, stopped) are tested in the lab (scenario-never-silent.sh).
. "$(dirname "$0")/lib.sh"

found() {   # found NODE: sets OUT, RC, FOUND (finding names)
        run --root="$1" --playbooks="$PLAYBOOKS" diagnose
        FOUND=$("$REMEDY" --root="$1" --playbooks="$PLAYBOOKS" --json diagnose 2>/dev/null | jq -r '[.findings[].name] | join(" ")')
}

node=$(healthy_sample_node)
found "$node"
is "$RC" 0 "a consistent node: exit 0"
is "$FOUND" "" "no findings"

# Before join a masked kubelet is no playbook's (kubelet-enable acts on joined nodes): diagnose's own.
join_pending() {
        rm -f "$1/var/lib/kubelet/config.yaml" "$1/etc/kubernetes/kubelet.conf" "$1/etc/kubernetes/bootstrap-kubelet.conf"
        mkdir -p "$1/etc/cni/net.d"
        printf '{"name": "cbr0", "cniVersion": "0.3.1", "plugins": [{"type": "flannel"}]}\n' >"$1/etc/cni/net.d/10-flannel.conflist"
        sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' "$1/etc/containerd/config.toml"
}
join_pending "$node"
found "$node"
is "$FOUND" "" "before join, the kubelet's state is not a finding"
ln -s /dev/null "$node/etc/systemd/system/kubelet.service"
found "$node"
is "$RC" 1 "before join, kubelet.service masked: exit 1"
is "$FOUND" kubelet-masked "diagnose names it by itself: join cannot start it"
contains "$OUT" "kubelet.service is masked: systemd will not start it; no shipped playbook matches this failure" \
        "saying no playbook matches"
contains "$OUT" "evidence: kubelet.service: unit file masked (offline: its running state is not known)" "with the unit file state"
run --root="$node" --playbooks="$PLAYBOOKS" --json diagnose
is "$(jq -r '.findings[] | select(.name == "kubelet-masked") | [(.playbook | tostring), (.fix | tostring), (.safety | tostring)] | join(" ")' <<<"$OUT")" \
        "null null null" "--json: no playbook, no fix, no safety class"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" fix --yes
is "$RC" 1 "fix: exit 1, nothing it can fix"
contains "$ERR" "not fixed: kubelet-masked" "fix names it"

# On a joined node a playbook covers the unit (kubelet-enable, cri-endpoint): named once, by it.
node=$(healthy_sample_node)
ln -s /dev/null "$node/etc/systemd/system/kubelet.service"
found "$node"
is "$FOUND" kubelet-enable "a joined node's masked kubelet: kubelet-enable, not a second finding"
node=$(healthy_sample_node)
mkdir -p "$node/lib/systemd/system"
printf '[Unit]\nDescription=containerd\n[Service]\nExecStart=/usr/bin/containerd\n[Install]\nWantedBy=multi-user.target\n' \
        >"$node/lib/systemd/system/containerd.service"
ln -s /dev/null "$node/etc/systemd/system/containerd.service"
found "$node"
lacks "$FOUND" containerd-masked "a masked containerd a playbook names is not named twice"
contains "$FOUND" cri-endpoint "cri-endpoint names it"
done_testing
