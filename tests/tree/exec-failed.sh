#!/bin/bash
# SPDX-License-Identifier: MIT
# FAILURES.md B.6, 203/EXEC: systemd cannot execute the kubelet's (or containerd's) ExecStart=
# binary. Offline, diagnose judges the binary the unit files name: missing (where the tree has its
# directory), a dangling symlink, no execute bit, a directory, on a filesystem the node's fstab or
# a .mount unit mounts noexec; the finding names the binary and the
# FILE:LINE of the ExecStart= that sets it, says what to do, and nothing fixes it (fix: exit 1,
# nothing changed). A tree without the binary's directory (a tree of configuration files) is not a
# finding. The live half (ExecMainStatus 203, systemd's journal line) is in the lab
# (scenario-exec.sh).
. "$(dirname "$0")/lib.sh"

found() {   # found NODE: sets OUT, RC, FOUND (finding names)
        run --root="$1" --playbooks="$PLAYBOOKS" diagnose
        FOUND=$("$REMEDY" --root="$1" --playbooks="$PLAYBOOKS" --json diagnose 2>/dev/null | jq -r '[.findings[].name] | join(" ")')
}

node=$(healthy_sample_node)
found "$node"
is "$FOUND" "" "a tree of configuration files, no /usr/bin at all: no finding"

mkdir -p "$node/usr/bin"
found "$node"
is "$RC" 1 "/usr/bin in the tree without the kubelet: exit 1"
is "$FOUND" kubelet-exec-failed "diagnose names kubelet-exec-failed, and nothing else"
contains "$OUT" "kubelet.service cannot start: its ExecStart= binary is missing (203/EXEC)" "the summary says what"
contains "$OUT" "ExecStart= at /lib/systemd/system/kubelet.service.d/10-kubeadm.conf:11 runs /usr/bin/kubelet" \
        "the evidence names the binary and the drop-in line that sets it (after the empty reset line)"
contains "$OUT" "/usr/bin/kubelet does not exist" "and what is wrong with it"
contains "$OUT" "reinstall the package that ships it" "the advice: reinstall"
contains "$OUT" "the line that sets it is /lib/systemd/system/kubelet.service.d/10-kubeadm.conf:11" "the advice names the line"

run --root="$node" --playbooks="$PLAYBOOKS" --json diagnose
is "$(jq -r '.findings[] | select(.name == "kubelet-exec-failed") | [(.playbook | tostring), (.fix | tostring)] | join(" ")' <<<"$OUT")" \
        "null null" "--json: no playbook, no fix"
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" fix --yes
is "$RC" 1 "fix: exit 1"
contains "$ERR" "not fixed: kubelet-exec-failed" "fix names it as not fixed"
is "$(snapshot "$node")" "$before" "fix changed nothing"

# The binary there and executable: quiet again.
printf '#!/bin/sh\n' >"$node/usr/bin/kubelet"
chmod 0755 "$node/usr/bin/kubelet"
found "$node"
is "$FOUND" "" "an executable /usr/bin/kubelet: no finding"

chmod 0644 "$node/usr/bin/kubelet"
found "$node"
is "$FOUND" kubelet-exec-failed "mode 0644: kubelet-exec-failed"
contains "$OUT" "/usr/bin/kubelet has mode 0644: no execute bit" "saying it has no execute bit"
contains "$OUT" "chmod 0755 /usr/bin/kubelet" "the advice: chmod"

rm "$node/usr/bin/kubelet"
ln -s /opt/kubernetes/bin/kubelet "$node/usr/bin/kubelet"
found "$node"
is "$FOUND" kubelet-exec-failed "a dangling symlink: kubelet-exec-failed"
contains "$OUT" "/usr/bin/kubelet is a symbolic link to /opt/kubernetes/bin/kubelet, which does not exist" \
        "saying where the link points"
mkdir -p "$node/opt/kubernetes/bin"
printf '#!/bin/sh\n' >"$node/opt/kubernetes/bin/kubelet"
chmod 0755 "$node/opt/kubernetes/bin/kubelet"
found "$node"
is "$FOUND" "" "the link's target there: no finding"

# An executable binary on a filesystem mounted noexec (FAILURES.md B.6: "ensure the filesystem is
# not noexec"): systemd's execve() gets EACCES, 203/EXEC, though the file has its execute bits.
# Offline the node's fstab says so: the longest mount point that holds the binary (the link's
# target, which is what execve() runs) decides, and its options as mount reads them (the last of
# exec/noexec wins).
printf '/dev/vdb1 /opt ext4 defaults,nosuid,noexec 0 2\n' >>"$node/etc/fstab"
found "$node"
is "$FOUND" kubelet-exec-failed "the link's target on a noexec /opt in fstab: kubelet-exec-failed"
contains "$OUT" "kubelet.service cannot start: its ExecStart= binary is on a filesystem mounted noexec (203/EXEC)" \
        "the summary says the binary is on a noexec mount"
contains "$OUT" "/opt/kubernetes/bin/kubelet is on /opt, mounted noexec by /etc/fstab:4" "the evidence names the fstab line"
contains "$OUT" "remove noexec from /opt's options at /etc/fstab:4" "the advice says what to change, and where"
sed -i 's|defaults,nosuid,noexec|defaults,noexec,exec|' "$node/etc/fstab"
found "$node"
is "$FOUND" "" "noexec then exec: the last wins, no finding"
sed -i 's|defaults,noexec,exec|noexec|' "$node/etc/fstab"
printf '/dev/vdc1 /opt/kubernetes ext4 defaults 0 2\n' >>"$node/etc/fstab"
found "$node"
is "$FOUND" "" "a longer mount point without noexec holds it: no finding"
# A .mount unit of the operator's for that longer mount point, with noexec: it decides.
printf '[Unit]\nDescription=kube\n[Mount]\nWhat=/dev/vdc1\nWhere=/opt/kubernetes\nType=ext4\nOptions=nodev,noexec\n' \
        >"$node/etc/systemd/system/opt-kubernetes.mount"
found "$node"
is "$FOUND" kubelet-exec-failed "/etc/systemd/system/opt-kubernetes.mount with Options=noexec: kubelet-exec-failed"
contains "$OUT" "/opt/kubernetes/bin/kubelet is on /opt/kubernetes, mounted noexec by /etc/systemd/system/opt-kubernetes.mount:7" \
        "naming the unit's Options= line"
rm "$node/etc/systemd/system/opt-kubernetes.mount"
# The same unit in /lib/systemd/system: systemd-fstab-generator's unit of the fstab line (its
# directory is searched before /lib) wins, and that line has no noexec.
mkdir -p "$node/lib/systemd/system"
printf '[Mount]\nWhat=/dev/vdc1\nWhere=/opt/kubernetes\nOptions=noexec\n' >"$node/lib/systemd/system/opt-kubernetes.mount"
found "$node"
is "$FOUND" "" "a unit in /lib/systemd/system loses to the fstab line of the same mount point"
# A drop-in of the operator's applies to whichever unit systemd loads, the generator's included.
mkdir -p "$node/etc/systemd/system/opt-kubernetes.mount.d"
printf '# hardening\n[Mount]\nOptions=nodev,noexec\n' >"$node/etc/systemd/system/opt-kubernetes.mount.d/50-harden.conf"
found "$node"
is "$FOUND" kubelet-exec-failed "a drop-in with Options=noexec over the fstab line's unit: kubelet-exec-failed"
contains "$OUT" "mounted noexec by /etc/systemd/system/opt-kubernetes.mount.d/50-harden.conf:3" "naming the drop-in's line"
rm -r "$node/etc/systemd/system/opt-kubernetes.mount.d"
# Without the fstab line, the unit in /lib is the one systemd loads.
sed -i '/^\/dev\/vdc1 /d' "$node/etc/fstab"
found "$node"
is "$FOUND" kubelet-exec-failed "with no fstab line, /lib/systemd/system/opt-kubernetes.mount mounts it noexec"
contains "$OUT" "mounted noexec by /lib/systemd/system/opt-kubernetes.mount:4" "naming the vendor unit's line"
# A unit whose Where= is not its name's path is refused by systemd: it mounts nothing.
printf '[Mount]\nWhat=/dev/vdc1\nWhere=/srv\nOptions=noexec\n' >"$node/lib/systemd/system/opt-kubernetes.mount"
sed -i 's|^/dev/vdb1 /opt ext4 noexec|/dev/vdb1 /opt ext4 exec|' "$node/etc/fstab"
found "$node"
is "$FOUND" "" "a unit whose Where= disagrees with its name mounts nothing"
sed -i 's|^/dev/vdb1 /opt ext4 exec|/dev/vdb1 /opt ext4 noexec|' "$node/etc/fstab"
# Masked, it mounts nothing either: /opt's fstab line (noexec) is the mount below it.
printf '[Mount]\nWhat=/dev/vdc1\nWhere=/opt/kubernetes\nOptions=exec\n' >"$node/lib/systemd/system/opt-kubernetes.mount"
found "$node"
is "$FOUND" "" "an exec unit for /opt/kubernetes over a noexec /opt: no finding"
ln -s /dev/null "$node/etc/systemd/system/opt-kubernetes.mount"
found "$node"
contains "$OUT" "mounted noexec by /etc/fstab:4" "the unit masked: /opt's noexec fstab line decides"
rm "$node/etc/systemd/system/opt-kubernetes.mount" "$node/lib/systemd/system/opt-kubernetes.mount"
sed -i '/^\/dev\/vd[bc]1 /d' "$node/etc/fstab"
found "$node"
is "$FOUND" "" "the fstab lines gone: quiet again"

# A drop-in of the operator's pointing ExecStart= at a wrong path: that drop-in's line is named.
mkdir -p "$node/etc/systemd/system/kubelet.service.d"
printf '[Service]\nExecStart=\nExecStart=/usr/local/bin/kubelet $KUBELET_KUBEADM_ARGS\n' \
        >"$node/etc/systemd/system/kubelet.service.d/20-path.conf"
mkdir -p "$node/usr/local/bin"
found "$node"
is "$FOUND" kubelet-exec-failed "a drop-in naming a missing binary: kubelet-exec-failed"
contains "$OUT" "ExecStart= at /etc/systemd/system/kubelet.service.d/20-path.conf:3 runs /usr/local/bin/kubelet" \
        "naming the drop-in's line"
mkdir "$node/usr/local/bin/kubelet"
found "$node"
contains "$OUT" "/usr/local/bin/kubelet is a directory, not an executable file" "a directory where the binary should be"
rm -r "$node/etc/systemd/system/kubelet.service.d/20-path.conf" "$node/usr/local/bin/kubelet"

# containerd's own binary, beside another playbook's finding (a cause is always named).
printf '[Unit]\nDescription=containerd\n[Service]\nExecStart=/usr/bin/containerd\n[Install]\nWantedBy=multi-user.target\n' \
        >"$node/lib/systemd/system/containerd.service"
ln -s /lib/systemd/system/containerd.service "$node/etc/systemd/system/multi-user.target.wants/containerd.service"
found "$node"
is "$FOUND" containerd-exec-failed "containerd's missing binary: containerd-exec-failed"
contains "$OUT" "ExecStart= at /lib/systemd/system/containerd.service:4 runs /usr/bin/containerd" "naming containerd's unit line"
sed -i 's|"$| --improve-speed"|' "$node/var/lib/kubelet/kubeadm-flags.env"
found "$node"
contains "$FOUND" containerd-exec-failed "still named beside another playbook's finding"
rm "$node/etc/systemd/system/multi-user.target.wants/containerd.service"
found "$node"
is "$FOUND" "cri-endpoint kubelet-strip-flags containerd-exec-failed" "and beside cri-endpoint, which names containerd.service (it would start a containerd that cannot start)"
done_testing
