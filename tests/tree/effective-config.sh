#!/bin/bash
# SPDX-License-Identifier: MIT
# The configuration the daemons load, not one file of it. cgroup-driver-systemd edits the file
# containerd reads each setting from: an import whose CRI table replaces config.toml's (1.x)
# gets the edit, judged by containerd's own config dump. A kubelet --config-dir drop-in that
# overrides config.yaml makes verify fail, naming the overriding file, and the change is rolled
# back rather than reported as a success. diagnose judges the same way.
. "$(dirname "$0")/lib.sh"

fresh_node() {   # the sample node with the kubelet on systemd and containerd's runc not
        node=$(new_node broken-node)
        sed -i 's|^/swap.img|#/swap.img|' "$node/etc/fstab"
        sed -i 's/^cgroupDriver: cgroupfs/cgroupDriver: systemd/' "$node/var/lib/kubelet/config.yaml"
}

# containerd 1.x: an import that names any CRI setting replaces the whole CRI table of
# config.toml, SystemdCgroup included (containerd's mergeConfig).
fresh_node
sed -i 's|^imports = \[\]|imports = ["/etc/containerd/conf.d/*.toml"]|' "$node/etc/containerd/config.toml"
mkdir -p "$node/etc/containerd/conf.d"
cat >"$node/etc/containerd/conf.d/50-registry-mirror.toml" <<'TOML'
version = 2
[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "/etc/containerd/certs.d"
TOML
found() {   # the cgroup-driver finding, if any (the sample node's certificate is expired too)
        run --root="$node" --playbooks="$PLAYBOOKS" --json diagnose
        jq -r '[.findings[].playbook | select(. == "cgroup-driver-systemd")] | join(" ")' <<<"$OUT"
}
is "$(found)" cgroup-driver-systemd "diagnose: the mismatch is found"
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" --json diagnose
contains "$OUT" "containerd 1.x lets an import's CRI settings replace the main file's: /etc/containerd/conf.d/50-registry-mirror.toml" \
        "diagnose names the import that overrides config.toml"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" apply cgroup-driver-systemd
is "$RC" 0 "apply: the fix goes where containerd reads it"
contains "$OUT" "SystemdCgroup = true in [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options] of /etc/containerd/conf.d/50-registry-mirror.toml (was unset)" \
        "in the import whose CRI table replaces the main file's"
dump=$(containerd_dump "$node")
contains "$dump" "SystemdCgroup = true" "containerd config dump: runc on systemd"
contains "$dump" 'runtime_type = "io.containerd.runc.v2"' "containerd config dump: runc keeps its runtime type"
run --root="$node" --backup-dir="$WORK/store" rollback --last
is "$(snapshot "$node")" "$before" "rollback: every file as it was"

# The same import with SystemdCgroup in it too: containerd loads true, and the fix holds.
cat >>"$node/etc/containerd/conf.d/50-registry-mirror.toml" <<'TOML'
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
    SystemdCgroup = true
TOML
is "$(found)" "" "an import that sets SystemdCgroup = true: no mismatch"

# The kubelet: a --config-dir drop-in (kubelet 1.30+) puts cgroupDriver back to cgroupfs.
fresh_node
sed -i 's|--improve-speed"|--config-dir=/etc/kubernetes/kubelet.conf.d"|' "$node/var/lib/kubelet/kubeadm-flags.env"
mkdir -p "$node/etc/kubernetes/kubelet.conf.d"
printf 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: cgroupfs\n' \
        >"$node/etc/kubernetes/kubelet.conf.d/90-vendor.conf"
is "$(found)" "" "the drop-in makes the kubelet cgroupfs, like containerd: no mismatch, though config.yaml says systemd"
sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' "$node/etc/containerd/config.toml"
is "$(found)" cgroup-driver-systemd "with containerd on systemd, the drop-in's cgroupfs is the mismatch"
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store2" apply cgroup-driver-systemd
is "$RC" 0 "apply: the fix goes into the drop-in that decides"
contains "$OUT" "cgroupDriver: cgroupfs → systemd in /etc/kubernetes/kubelet.conf.d/90-vendor.conf" "naming the drop-in"
contains "$OUT" "passed  verify kubelet-config" "verify judges the merged configuration"
python3 -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); sys.exit(d["cgroupDriver"] != "systemd")' \
        "$node/etc/kubernetes/kubelet.conf.d/90-vendor.conf"; ok $? "a YAML parser reads systemd from the drop-in"
grep -q '^cgroupDriver: systemd$' "$node/var/lib/kubelet/config.yaml"; ok $? "config.yaml untouched: it said systemd already"
run --root="$node" --backup-dir="$WORK/store2" rollback --last
is "$(snapshot "$node")" "$before" "rollback: every file as it was"

# A --cgroup-driver flag in kubeadm-flags.env overrides every file: it is removed, and the file set.
fresh_node
sed -i 's/^cgroupDriver: systemd/cgroupDriver: cgroupfs/' "$node/var/lib/kubelet/config.yaml"
sed -i 's|--improve-speed"|--cgroup-driver=cgroupfs"|' "$node/var/lib/kubelet/kubeadm-flags.env"
sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' "$node/etc/containerd/config.toml"
is "$(found)" cgroup-driver-systemd "a --cgroup-driver=cgroupfs flag against containerd on systemd is the mismatch"
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store3" apply cgroup-driver-systemd
is "$RC" 0 "apply exits 0"
contains "$OUT" "removes --cgroup-driver=cgroupfs from \$KUBELET_KUBEADM_ARGS in /var/lib/kubelet/kubeadm-flags.env" "the flag is removed, saying so"
! grep -q -- '--cgroup-driver' "$node/var/lib/kubelet/kubeadm-flags.env"; ok $? "kubeadm-flags.env holds it no more"
grep -q '^cgroupDriver: systemd$' "$node/var/lib/kubelet/config.yaml"; ok $? "config.yaml says systemd"
run --root="$node" --backup-dir="$WORK/store3" rollback --last
is "$(snapshot "$node")" "$before" "rollback: every file as it was"

# A short plugin id in a version 2 file: containerd refuses the whole configuration and does not
# start. remedy says so where it reads the file, as containerd's own config dump does.
fresh_node
sed -i 's/^disabled_plugins = \[\]/disabled_plugins = ["cri"]/' "$node/etc/containerd/config.toml"
containerd_dump "$node" >/dev/null 2>&1; ok $((! $?)) "containerd itself refuses the file"
run --root="$node" --playbooks="$PLAYBOOKS" --json diagnose
contains "$(jq -r '.problems[]' <<<"$OUT")" 'plugin "cri" is not a URI like io.containerd.grpc.v1.cri: containerd refuses a version 2 configuration with it' \
        "diagnose reports it as a problem, with the file and line"
contains "$(jq -r '.problems[]' <<<"$OUT")" "/etc/containerd/config.toml:" "naming the file"

# Not fixed: the steps have nothing to change, yet the node is not as the playbook wants it.
# containerd's runc is on systemd already, but its CRI plugin is disabled (as Docker's
# containerd.io ships it): verify says so, and apply does not claim "Nothing to do".
fresh_node
printf 'version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\n  runtime_type = "io.containerd.runc.v2"\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n  SystemdCgroup = true\n' \
        >"$node/etc/containerd/config.toml"
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store4" apply cgroup-driver-systemd
is "$RC" 1 "apply: its steps change nothing, yet it is not fixed: exit 1"
contains "$OUT" "FAILED  verify containerd-config: containerd's CRI plugin would not load (the CRI plugin is disabled" \
        "naming why"
contains "$OUT" "Not fixed: the node is not as the playbook wants it, and its steps have nothing to change" \
        "rather than \"Nothing to do\""
is "$(snapshot "$node")" "$before" "nothing changed"

done_testing
