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

ln -s /dev/null "$node/etc/systemd/system/kubelet.service"
found "$node"
is "$RC" 1 "kubelet.service masked: exit 1"
is "$FOUND" kubelet-masked "diagnose names it by itself"
contains "$OUT" "kubelet.service is masked: systemd will not start it; no shipped playbook matches this failure" \
        "saying no playbook matches"
contains "$OUT" "evidence: kubelet.service: unit file masked (offline: its running state is not known)" "with the unit file state"
run --root="$node" --playbooks="$PLAYBOOKS" --json diagnose
is "$(jq -r '.findings[] | select(.name == "kubelet-masked") | [(.playbook | tostring), (.fix | tostring), (.safety | tostring)] | join(" ")' <<<"$OUT")" \
        "null null null" "--json: no playbook, no fix, no safety class"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" fix --yes
is "$RC" 1 "fix: exit 1, nothing it can fix"
contains "$ERR" "not fixed: kubelet-masked" "fix names it"

# Offline, a unit without its [Install] links is not judged: a preset may enable it at the first
# boot (Flatcar, Bottlerocket), which only the running systemd knows.
node=$(healthy_sample_node)
rm "$node/etc/systemd/system/multi-user.target.wants/kubelet.service"
found "$node"
is "$FOUND" "" "offline, a kubelet without its enablement link: not judged"

# Before join: nothing join writes exists; the kubelet crash-loops by design until then.
rm -f "$node/var/lib/kubelet/config.yaml" "$node/etc/kubernetes/kubelet.conf" "$node/etc/kubernetes/bootstrap-kubelet.conf"
found "$node"
lacks "$FOUND" kubelet "before join, the kubelet is not a finding"
ln -s /dev/null "$node/etc/systemd/system/kubelet.service"
found "$node"
contains " $FOUND " " kubelet-masked " "before join, a masked kubelet still is: join cannot start it"

node=$(healthy_sample_node)
mkdir -p "$node/lib/systemd/system"
printf '[Unit]\nDescription=containerd\n[Service]\nExecStart=/usr/bin/containerd\n[Install]\nWantedBy=multi-user.target\n' \
        >"$node/lib/systemd/system/containerd.service"
ln -s /dev/null "$node/etc/systemd/system/containerd.service"
found "$node"
is "$FOUND" containerd-masked "containerd masked: found"

# A masked unit is a cause of its own: named beside a playbook's finding (a failed or crash-looping
# one, live, would be that finding's consequence and is not).
node=$(healthy_sample_node)
ln -s /dev/null "$node/etc/systemd/system/containerd.service"
sed -i 's|^#/swap.img|/swap.img|' "$node/etc/fstab"
found "$node"
is "$FOUND" "swap-off containerd-masked" "a masked containerd beside a playbook finding: both named"
done_testing
