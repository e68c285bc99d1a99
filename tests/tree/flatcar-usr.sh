#!/bin/bash
# SPDX-License-Identifier: MIT
# Flatcar (issue 11): containerd's unit passes --config ${CONTAINERD_CONFIG}, set to the file in
# the read-only /usr (/usr/share/containerd/config.toml). cgroup-driver-systemd copies it to
# /etc/containerd/config.toml and points containerd at the copy with a containerd.service drop-in
# (Environment=CONTAINERD_CONFIG=/etc/containerd/config.toml), as Flatcar documents, then edits
# the copy; rollback removes both. sandbox-image and containerd-enable-cri (issue 16) go through
# the same copy. Real files from the corpus: Flatcar's containerd unit and its
# cgroupfs configuration (SOURCES: flatcar-containerd-1.0.0.service,
# flatcar-containerd-config-cgroupfs.toml).
. "$(dirname "$0")/lib.sh"

rw="$FIXTURES/real-world"
node=$(new_node broken-node)
rm -f "$node/etc/containerd/config.toml"
mkdir -p "$node/usr/lib/systemd/system" "$node/usr/share/containerd"
cp "$rw/containerd-units/flatcar-containerd-1.0.0.service" "$node/usr/lib/systemd/system/containerd.service"
cp "$rw/containerd/flatcar-containerd-config-cgroupfs.toml" "$node/usr/share/containerd/config.toml"
dropin=/etc/systemd/system/containerd.service.d/50-remedy-config.conf
before=$(snapshot "$node")

run --root="$node" --playbooks="$PLAYBOOKS" plan cgroup-driver-systemd
is "$RC" 0 "containerd's config in /usr: plan exits 0 (it no longer refuses)"
contains "$OUT" "create /etc/containerd/config.toml" "it copies the file to /etc"
contains "$OUT" "create $dropin" "and adds a containerd.service drop-in"
contains "$OUT" "Environment=CONTAINERD_CONFIG=/etc/containerd/config.toml, as Flatcar documents" "and says so"
is "$(snapshot "$node")" "$before" "plan changed nothing"

run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" apply cgroup-driver-systemd
is "$RC" 0 "apply exits 0"
is "$(cat "$node$dropin" | grep -v '^#')" $'[Service]\nEnvironment=CONTAINERD_CONFIG=/etc/containerd/config.toml' \
   "the drop-in sets the variable the unit's ExecStart= expands"
cmp -s "$node/usr/share/containerd/config.toml" "$rw/containerd/flatcar-containerd-config-cgroupfs.toml"
ok $? "/usr is left as it was"
dump=$(containerd_dump "$node" /etc/containerd/config.toml)
ok $? "containerd 1.6 loads the copy"
is "$(python3 -c '
import sys, tomllib
d = tomllib.loads(sys.stdin.read())
print(d["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]["runc"]["options"]["SystemdCgroup"])' <<<"$dump")" \
   "True" "containerd config dump of the copy: runc on the systemd cgroup driver"
is "$(diff <(grep -v SystemdCgroup "$node/usr/share/containerd/config.toml") <(grep -v SystemdCgroup "$node/etc/containerd/config.toml"))" "" \
   "the copy is the /usr file, every other line kept"
run --root="$node" --playbooks="$PLAYBOOKS" plan --exit-code cgroup-driver-systemd
is "$RC" 0 "nothing left to do: containerd reads the copy now"
run --root="$node" --backup-dir="$WORK/store" rollback --last
is "$(snapshot "$node")" "$before" "rollback removes the copy and the drop-in: the node byte for byte as it was"

# sandbox-image (issue 16) goes through the same copy: the image set in the copy, /usr untouched.
run --root="$node" --playbooks="$PLAYBOOKS" plan sandbox-image --set image=registry.k8s.io/pause:3.10.1
is "$RC" 0 "sandbox-image, containerd's config in /usr: plan exits 0 (it no longer refuses)"
contains "$OUT" "create /etc/containerd/config.toml" "sandbox-image copies the file to /etc"
contains "$OUT" "create $dropin" "and adds the containerd.service drop-in"
is "$(snapshot "$node")" "$before" "plan changed nothing"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store-sandbox" apply sandbox-image \
        --set image=registry.k8s.io/pause:3.10.1
is "$RC" 0 "sandbox-image: apply exits 0"
is "$(grep -v '^#' "$node$dropin")" $'[Service]\nEnvironment=CONTAINERD_CONFIG=/etc/containerd/config.toml' \
   "the drop-in points containerd at the copy"
cmp -s "$node/usr/share/containerd/config.toml" "$rw/containerd/flatcar-containerd-config-cgroupfs.toml"
ok $? "/usr is left as it was"
is "$(containerd_dump "$node" /etc/containerd/config.toml | sed -n 's/^ *sandbox_image = //p')" '"registry.k8s.io/pause:3.10.1"' \
   "containerd 1.6's config dump of the copy reads the new sandbox image"
is "$(diff "$node/usr/share/containerd/config.toml" "$node/etc/containerd/config.toml" | grep '^[<>]')" \
   $'> \n> [plugins."io.containerd.grpc.v1.cri"]\n> sandbox_image = "registry.k8s.io/pause:3.10.1"' \
   "the copy is the /usr file with the CRI table and its sandbox image added"
run --root="$node" --playbooks="$PLAYBOOKS" plan --exit-code sandbox-image --set image=registry.k8s.io/pause:3.10.1
is "$RC" 0 "nothing left to do: containerd reads the copy, which has the image"
run --root="$node" --backup-dir="$WORK/store-sandbox" rollback --last
is "$(snapshot "$node")" "$before" "rollback removes the copy and the drop-in: the node byte for byte as it was"

# containerd-enable-cri (issue 16) too: CRI disabled in the /usr file is enabled in the copy.
sed -i 's/^disabled_plugins = \[\]/disabled_plugins = ["io.containerd.grpc.v1.cri"]/' "$node/usr/share/containerd/config.toml"
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store-cri" apply containerd-enable-cri
is "$RC" 0 "containerd-enable-cri, containerd's config in /usr: apply exits 0 (it no longer refuses)"
contains "$OUT" "create $dropin" "it adds the containerd.service drop-in"
is "$(grep '^disabled_plugins' "$node/etc/containerd/config.toml")" "disabled_plugins = []" "the copy has the CRI plugin enabled"
is "$(grep -c '^disabled_plugins = \["io.containerd.grpc.v1.cri"\]' "$node/usr/share/containerd/config.toml")" 1 "/usr is left as it was"
containerd_dump "$node" /etc/containerd/config.toml >/dev/null
ok $? "containerd 1.6 loads the copy"
run --root="$node" --backup-dir="$WORK/store-cri" rollback --last
is "$(snapshot "$node")" "$before" "rollback removes the copy and the drop-in: the node byte for byte as it was"
cp "$rw/containerd/flatcar-containerd-config-cgroupfs.toml" "$node/usr/share/containerd/config.toml"

# An /etc/containerd/config.toml containerd does not read: not overwritten.
printf 'version = 2\n' >"$node/etc/containerd/config.toml"
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" plan cgroup-driver-systemd
is "$RC" 2 "an unread /etc/containerd/config.toml is there: refused (exit 2)"
contains "$ERR" "/etc/containerd/config.toml is there but not read" "naming it"
is "$(snapshot "$node")" "$before" "nothing changed"
rm "$node/etc/containerd/config.toml"

# A unit that names the /usr file itself: the variable would not help; refused, with what to do.
sed -i 's|^ExecStart=.*|ExecStart=/usr/bin/containerd --config /usr/share/containerd/config.toml|' \
        "$node/usr/lib/systemd/system/containerd.service"
run --root="$node" --playbooks="$PLAYBOOKS" plan cgroup-driver-systemd
is "$RC" 2 "a unit that does not take \$CONTAINERD_CONFIG: refused (exit 2)"
contains "$ERR" "does not take its configuration from \$CONTAINERD_CONFIG" "saying why"
contains "$ERR" "ExecStart=containerd --config /etc/containerd/config.toml" "and what to do"

done_testing
