#!/bin/bash
# SPDX-License-Identifier: MIT
# FAILURES.md B.9: containerd runs with its CRI plugin disabled, so the kubelet's "validate service
# connection" gets "unknown service runtime.v1.RuntimeService" and it crash-loops. First with the
# config.toml Docker's containerd.io package installs (disabled_plugins = ["cri"], version 1),
# then with a version 2 config whose conf.d import disables io.containerd.grpc.v1.cri.
# containerd-enable-cri takes the CRI out of disabled_plugins in the file that names it and
# restarts containerd and the kubelet. Judged by containerd itself (ctr plugins ls), the journal
# and systemd; rollback restores the bytes and the crash loop.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

cri_plugin() {   # the CRI plugin's line of `ctr plugins ls`, as the running containerd reports it
        lab_run ctr plugins ls 2>/dev/null | awk '$1 == "io.containerd.grpc.v1" && $2 == "cri" {print $NF}'
}

lab_setup || exit 1
lab_cni_config || exit 1
# Docker's file has no CRI settings: runc on cgroupfs, which the kubelet must match once the CRI
# is back (the cgroup driver is cgroup-driver-systemd's business, not this scenario's).
install -m 0644 "$SOURCE_ROOT/tests/fixtures/real-world/containerd/docker-containerd.io-package-containerd.toml" \
        "$LAB_ROOT/etc/containerd/config.toml"
lab_kubelet_config_set cgroupDriver cgroupfs
lab_boot || exit 1

files=(/etc/containerd/config.toml)
lab_wait_journal kubelet.service "unknown service runtime.v1.RuntimeService" 20
ok $? "Docker's file: the kubelet says containerd has no CRI runtime service"
crash_loops kubelet.service
ok $? "Docker's file: the kubelet crash-loops"
is "$(cri_plugin)" "" "Docker's file: containerd reports no CRI plugin"
before=$(node_sha256 "${files[@]}")
node_findings
is "$FOUND" containerd-enable-cri "Docker's file: diagnose names containerd-enable-cri, and nothing else"
contains "$DIAG_OUT" 'disabled_plugins names "cri"' "with the disabled_plugins entry as evidence"

node_remedy plan containerd-enable-cri
is "$RC" 0 "plan exits 0"
contains "$OUT" '-disabled_plugins = ["cri"]' "plan shows the line going"
contains "$OUT" '+disabled_plugins = []' "and what replaces it"
is "$(node_sha256 "${files[@]}")" "$before" "plan changed nothing"

cursor=$(journal_cursor)
node_remedy apply containerd-enable-cri
is "$RC" 0 "apply exits 0"
[ "$RC" -eq 0 ] || diag "$OUT" "$ERR"
is "$(cri_plugin)" ok "containerd reports its CRI plugin loaded (ctr plugins ls)"
contains "$(journal_after "$cursor" containerd.service)" "Start cri plugin" "containerd's journal: the restarted daemon started its CRI plugin"
stays_up kubelet.service 4
ok $? "the kubelet stays up"
diff <(sed 's/^disabled_plugins = \[\]$/disabled_plugins = ["cri"]/' "$LAB_ROOT/etc/containerd/config.toml") \
        "$SOURCE_ROOT/tests/fixtures/real-world/containerd/docker-containerd.io-package-containerd.toml" >/dev/null
ok $? "config.toml differs from Docker's file by that one line only"
node_findings
is "$FOUND" "" "after the fix diagnose finds nothing"
node_remedy apply containerd-enable-cri
contains "$OUT" "Nothing to do" "a second apply changes and restarts nothing"

node_remedy rollback --last
is "$RC" 0 "rollback exits 0"
is "$(node_sha256 "${files[@]}")" "$before" "rollback restored config.toml byte for byte"
lab_run systemctl restart containerd.service
is "$(cri_plugin)" "" "containerd restarted on the restored file has no CRI again"
crash_loops kubelet.service
ok $? "and the kubelet crash-loops again: the node is as it was"

# A version 2 configuration whose conf.d import disables the CRI by its full id.
files=(/etc/containerd/config.toml /etc/containerd/conf.d/10-no-cri.toml)
lab_install_containerd_config || exit 1
lab_containerd_systemd_cgroup false
sed -i 's|^imports = \[\]$|imports = ["/etc/containerd/conf.d/*.toml"]|' "$LAB_ROOT/etc/containerd/config.toml"
mkdir -p "$LAB_ROOT/etc/containerd/conf.d"
printf '# what an image build left\nversion = 2\ndisabled_plugins = [\n  "io.containerd.grpc.v1.cri",\n  "io.containerd.snapshotter.v1.btrfs",\n]\n' \
        >"$LAB_ROOT/etc/containerd/conf.d/10-no-cri.toml"
lab_run systemctl restart containerd.service
cursor=$(journal_cursor)
lab_run systemctl restart kubelet.service
wait_journal_after "$cursor" kubelet.service "unknown service runtime.v1.RuntimeService" 20
ok $? "import: the kubelet says containerd has no CRI runtime service"
is "$(cri_plugin)" "" "import: containerd reports no CRI plugin"
before=$(node_sha256 "${files[@]}")
node_findings
is "$FOUND" containerd-enable-cri "import: diagnose names containerd-enable-cri, and nothing else"
contains "$DIAG_OUT" "/etc/containerd/conf.d/10-no-cri.toml:4:3: disabled_plugins names" "naming the import's line"
node_remedy apply containerd-enable-cri
is "$RC" 0 "import: apply exits 0"
[ "$RC" -eq 0 ] || diag "$OUT" "$ERR"
is "$(cat "$LAB_ROOT/etc/containerd/conf.d/10-no-cri.toml")" \
        "$(printf '# what an image build left\nversion = 2\ndisabled_plugins = [\n  "io.containerd.snapshotter.v1.btrfs",\n]')" \
        "import: only the CRI entry is gone, btrfs stays disabled"
is "$(cri_plugin)" ok "import: containerd reports its CRI plugin loaded"
stays_up kubelet.service 4
ok $? "import: the kubelet stays up"
node_remedy rollback --last
is "$RC" 0 "import: rollback exits 0"
is "$(node_sha256 "${files[@]}")" "$before" "import: rollback restored both files byte for byte"
crash_loops kubelet.service
ok $? "import: the kubelet crash-loops again"

lab_teardown
is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
