#!/bin/bash
# SPDX-License-Identifier: MIT
# Seed 001 (cgroup driver mismatch): containerd runs runc with the cgroupfs driver
# (SystemdCgroup = false) while the kubelet is configured for systemd; the kubelet exits at start
# and crash-loops under Restart=always. cgroup-driver-systemd sets SystemdCgroup = true, restarts
# containerd then the kubelet over the bus, and verifies both stay up. Judged through
# `containerd config dump`, systemd and the journal; rollback restores the bytes and the crash loop.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

files=(/etc/containerd/config.toml /var/lib/kubelet/config.yaml)

lab_setup || exit 1
lab_cni_config || exit 1
lab_containerd_systemd_cgroup false
lab_kubelet_config_set cgroupDriver systemd
lab_boot || exit 1

lab_wait_journal kubelet.service "misconfiguration: kubelet cgroup driver" 20
ok $? "the broken node: the kubelet says its cgroup driver differs from containerd's"
crash_loops kubelet.service
ok $? "the broken node: the kubelet crash-loops (NRestarts grows)"
before=$(node_sha256 "${files[@]}")
node_findings
is "$FOUND" cgroup-driver-systemd "diagnose names cgroup-driver-systemd, and nothing else"
# Which signal answers first depends on where the crash loop is: the kubelet's line, or the files.
ok "$(grep -qE "misconfiguration: kubelet cgroup driver|the node's files match" <<<"$DIAG_OUT"; echo $?)" \
        "with the kubelet's line or the configuration files as evidence"
states_before=$(unit_states containerd.service kubelet.service | awk '{print $1, $2}')

node_remedy plan cgroup-driver-systemd
is "$RC" 0 "plan exits 0"
contains "$OUT" "+            SystemdCgroup = true" "plan shows the containerd edit as a diff"
is "$(node_sha256 "${files[@]}")" "$before" "plan changed no file"

cursor=$(journal_cursor)
node_remedy apply cgroup-driver-systemd
is "$RC" 0 "apply exits 0"
[ "$RC" -eq 0 ] || diag "$OUT" "$ERR"
contains "$(lab_run containerd config dump)" "SystemdCgroup = true" "containerd config dump: runc uses the systemd cgroup driver"
stays_up kubelet.service 4
ok $? "the kubelet stays up after the fix (active, NRestarts and invocation unchanged)"
is "$(lab_unit_prop containerd.service ActiveState)" active "containerd is active"
node_findings
is "$FOUND" "" "after the fix diagnose finds nothing"
containerd_up=$(lab_unit_prop containerd.service ActiveEnterTimestampMonotonic)
kubelet_start=$(lab_unit_prop kubelet.service ExecMainStartTimestampMonotonic)
ok "$( [ "$kubelet_start" -gt "$containerd_up" ]; echo $?)" "the running kubelet was started after containerd came back up"
contains "$(journal_after "$cursor" kubelet.service)" "Started" "systemd started the kubelet after the change"

node_remedy rollback --last
is "$RC" 0 "rollback exits 0"
is "$(node_sha256 "${files[@]}")" "$before" "rollback restored both files byte for byte, with mode and owner"
contains "$(lab_run containerd config dump)" "SystemdCgroup = false" "containerd config dump: back to the cgroupfs driver"
is "$(unit_states containerd.service kubelet.service | awk '{print $1, $2}')" "$states_before" "unit file states as before"
crash_loops kubelet.service
ok $? "after the rollback the kubelet crash-loops again: the node is as it was"

lab_teardown

# A node with no config.toml at all (containerd on its compiled-in defaults: runc on cgroupfs).
lab_setup || exit 1
lab_cni_config || exit 1
rm "$LAB_ROOT/etc/containerd/config.toml"
lab_kubelet_config_set cgroupDriver systemd
lab_boot || exit 1
lab_wait_journal kubelet.service "misconfiguration: kubelet cgroup driver" 20
ok $? "no config.toml: the kubelet says its cgroup driver differs from containerd's"
node_findings
is "$FOUND" cgroup-driver-systemd "diagnose names cgroup-driver-systemd"
node_remedy plan cgroup-driver-systemd
contains "$OUT" "creates /etc/containerd/config.toml from \"/usr/bin/containerd config default\"" \
        "plan creates config.toml from containerd's own defaults"
[ ! -e "$LAB_ROOT/etc/containerd/config.toml" ]
ok $? "plan wrote nothing"
node_remedy apply cgroup-driver-systemd
is "$RC" 0 "apply exits 0"
[ "$RC" -eq 0 ] || diag "$OUT" "$ERR"
lab_run containerd config default | sed 's/SystemdCgroup = false/SystemdCgroup = true/' >"$LAB_DIR/expected.toml"
is "$(cat "$LAB_ROOT/etc/containerd/config.toml")" "$(cat "$LAB_DIR/expected.toml")" \
        "config.toml is containerd's default config with SystemdCgroup = true, and nothing else changed"
contains "$(lab_run containerd config dump)" "SystemdCgroup = true" "containerd config dump: the systemd cgroup driver"
stays_up kubelet.service 3
ok $? "the kubelet stays up"
node_remedy rollback --last
is "$RC" 0 "rollback exits 0"
[ ! -e "$LAB_ROOT/etc/containerd/config.toml" ]
ok $? "rollback removes the config.toml it created"
crash_loops kubelet.service
ok $? "and the kubelet crash-loops again"
lab_teardown

node=$(mktemp -d "$WORK/offline-XXXXXX")
cp -a "$SOURCE_ROOT/tests/fixtures/nodes/broken-node/." "$node/"
rm "$node/etc/containerd/config.toml"
sed -i 's/^cgroupDriver: cgroupfs/cgroupDriver: systemd/' "$node/var/lib/kubelet/config.yaml"
run --root="$node" --playbooks="$SOURCE_ROOT/playbooks" plan cgroup-driver-systemd
is "$RC" 0 "offline, no containerd on the node: plan exits 0"
contains "$OUT" "containerd is not installed on this node" "and says there is no containerd to configure"
[ ! -e "$node/etc/containerd/config.toml" ]
ok $? "and creates no config.toml"

# Offline with containerd installed but no config.toml: remedy does not run the node's binary to
# print its defaults; it writes the smallest file that sets the driver, judged by the real containerd.
mkdir -p "$node/usr/bin" && cp "$(command -v containerd)" "$node/usr/bin/containerd"
run --root="$node" --playbooks="$SOURCE_ROOT/playbooks" --backup-dir="$WORK/offline-store" apply cgroup-driver-systemd
is "$RC" 0 "offline, containerd installed, no config.toml: apply exits 0"
contains "$OUT" "does not run the node's containerd" "saying it did not run the node's containerd"
contains "$(containerd_dump "$node" 2>&1)" "SystemdCgroup = true" \
        "containerd config dump of the file it wrote: runc on the systemd cgroup driver"
run --root="$node" --backup-dir="$WORK/offline-store" rollback --last
is "$RC" 0 "offline rollback exits 0"
[ ! -e "$node/etc/containerd/config.toml" ]
ok $? "and removes the file it created"

is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
