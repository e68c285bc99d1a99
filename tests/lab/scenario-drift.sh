#!/bin/bash
# SPDX-License-Identifier: MIT
# remedy snapshot and drift live, on a booted lab node (real systemd, containerd's own config dump,
# the kubelet stand-in): the snapshot has the units' live states from systemd and containerd's
# effective runtimes; the node that kubeadm joined from the 1.30 ConfigMap does not drift from a
# real kubelet-config ConfigMap of the same shape, nor from its own snapshot; a --cgroup-driver
# flag added in /etc/default/kubelet is drift, named by its line with the playbook that repairs
# it; containerd stopped is drift from the snapshot taken while it ran.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

lab_setup || exit 1
lab_cni_config || exit 1
lab_boot || exit 1
lab_wait_unit kubelet.service active 20
lab_wait_unit containerd.service active 20

# The baselines live in the node (its /tmp is its own).
mkdir -p "$LAB_ROOT/root/baselines"
cp "$FIXTURES/drift/kubeadm-1.27-kubelet-config-cm.yaml" "$LAB_ROOT/root/baselines/cm.yaml"

node_remedy snapshot
is "$RC" 0 "snapshot: exit 0 on a live node"
printf '%s\n' "$OUT" >"$LAB_ROOT/root/baselines/self.yaml"
first=$OUT
python3 -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' "$LAB_ROOT/root/baselines/self.yaml"
ok $? "snapshot: PyYAML reads the live document"
node_remedy --json snapshot
printf '%s\n' "$OUT" >"$WORK/live.json"
is "$(jq -r .mode "$WORK/live.json")" live "snapshot: taken live"
is "$(jq -r '.units["kubelet.service"] | .active_state + " " + .sub_state + " " + .unit_file_state' "$WORK/live.json")" \
        "active running enabled" "snapshot: kubelet.service's state, from systemd"
is "$(jq -r '.units["containerd.service"].active_state' "$WORK/live.json")" \
        "$(lab_unit_prop containerd.service ActiveState)" "snapshot: containerd.service's state, as systemctl shows it"
is "$(jq -r .containerd.runtimes.runc.systemd_cgroup "$WORK/live.json")" true \
        "snapshot: containerd's runc on systemd, as its config dump says"
is "$(jq -r .kubelet.config.cgroupDriver "$WORK/live.json")" systemd "snapshot: the kubelet's cgroupDriver"
pid=$(lab_unit_prop kubelet.service MainPID)
running=$(lab_run cat "/proc/$pid/cmdline" | tr '\0' '\n' | tail -n +2)
is "$(jq -r '.kubelet.command_line[]' "$WORK/live.json")" "$running" \
        "snapshot: the command line is the running kubelet's argv"
node_remedy snapshot
is "$OUT" "$first" "snapshot: a second live snapshot is byte-identical"

node_remedy drift --baseline=/root/baselines/cm.yaml
is "$RC" 0 "drift: the joined node against a kubeadm ConfigMap of its shape: no drift"
contains "$OUT" "no drift" "drift: ... says so"
node_remedy drift --baseline=/root/baselines/self.yaml
is "$RC" 0 "drift: the node against its own snapshot: no drift"

# A flag in /etc/default/kubelet overrides config.yaml's cgroupDriver.
printf 'KUBELET_EXTRA_ARGS="--cgroup-driver=cgroupfs"\n' >"$LAB_ROOT/etc/default/kubelet"
node_remedy drift --baseline=/root/baselines/cm.yaml
is "$RC" 1 "drift: --cgroup-driver=cgroupfs against the ConfigMap: exit 1"
contains "$OUT" "  kubelet.cgroupDriver
    node:     cgroupfs (--cgroup-driver=cgroupfs at /etc/default/kubelet:1)
    baseline: systemd (/root/baselines/cm.yaml:18)
    fix:      remedy apply cgroup-driver-systemd" "drift: the flag as the source, the ConfigMap's line, the playbook"
printf 'KUBELET_EXTRA_ARGS=\n' >"$LAB_ROOT/etc/default/kubelet"

# Units are compared live: containerd stopped is drift from the snapshot taken while it ran.
lab_run systemctl stop containerd.service
node_remedy --json drift --baseline=/root/baselines/self.yaml
is "$RC" 1 "drift: containerd stopped since the snapshot: exit 1"
is "$(jq -r '.drift[] | select(.path == "units.containerd.service.active_state") | .node.value + " " + .baseline.value' <<<"$OUT")" \
        "inactive active" "drift: containerd.service inactive now, active in the baseline"

lab_teardown
is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
