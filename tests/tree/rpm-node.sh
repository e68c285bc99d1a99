#!/bin/bash
# SPDX-License-Identifier: MIT
# An RPM-based node offline (issue 11): no dpkg database, the kubelet installed from an RPM. The
# database is made here by the real rpm (rpmbuild of an empty package named and versioned as
# pkgs.k8s.io's kubelet RPM, installed with --justdb into the node's /var/lib/rpm). remedy must
# read the kubelet's version from it and judge the flags for that version; without it, it falls
# back to removing only the flags no kubelet version accepts. Reading must write nothing to the
# node: rpm itself creates sqlite side files beside a database it queries.
. "$(dirname "$0")/lib.sh"

[ -n "${WORK:-}" ] && [ -d "$WORK" ] || { echo "Bail out! no work directory"; exit 1; }
command -v rpmbuild >/dev/null || { echo "Bail out! rpmbuild (Debian's rpm package) is missing"; exit 1; }

top="$WORK/rpmbuild"
mkdir -p "$top/SPECS"
cat >"$top/SPECS/kubelet.spec" <<'EOF'
Name: kubelet
Version: 1.29.3
Release: 150500.1.1
Summary: remedy test package: named and versioned as pkgs.k8s.io's kubelet RPM, without files
License: ASL 2.0
BuildArch: x86_64
%description
remedy test package.
%files
EOF
rpmbuild --define "_topdir $top" -bb "$top/SPECS/kubelet.spec" >"$WORK/rpmbuild.log" 2>&1
ok $? "rpmbuild makes the kubelet package"

node=$(new_node broken-node)
rm "$node/var/lib/dpkg/status"
# Flags of the 1.2x era: --network-plugin went in 1.24, --container-runtime in 1.27; 1.29 rejects both.
sed -i 's|^KUBELET_KUBEADM_ARGS="|&--network-plugin=cni --container-runtime=remote |' "$node/var/lib/kubelet/kubeadm-flags.env"

run --root="$node" --playbooks="$PLAYBOOKS" plan kubelet-strip-flags
is "$RC" 0 "no package database: plan exits 0"
contains "$OUT" "--improve-speed" "it removes the flag no kubelet version accepts"
contains "$OUT" "--container-runtime=remote" "and names the one it cannot judge without a version"
is "$(grep '^+KUBELET_KUBEADM_ARGS' <<<"$OUT")" \
   '+KUBELET_KUBEADM_ARGS="--network-plugin=cni --container-runtime=remote --container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.10.1"' \
   "and keeps --network-plugin and --container-runtime, which older kubelets accept"

rpm --root "$node" --dbpath /var/lib/rpm -i --justdb --nodeps "$top"/RPMS/x86_64/kubelet-1.29.3-*.rpm 2>"$WORK/rpm.err"
ok $? "rpm installs the package into the node's database"
test -f "$node/var/lib/rpm/rpmdb.sqlite"; ok $? "the node has /var/lib/rpm/rpmdb.sqlite"
rm -f "$node/var/lib/rpm/rpmdb.sqlite-shm" "$node/var/lib/rpm/rpmdb.sqlite-wal" "$node/var/lib/rpm/.rpm.lock"
before=$(snapshot "$node")

OUT=$(LD_PRELOAD="$CRASH_SHIM" REMEDY_SHIM_EXEC_LOG="$WORK/exec.log" "$REMEDY" --no-color --root="$node" --playbooks="$PLAYBOOKS" --json diagnose 2>"$WORK/stderr")
# rpm parses a database from a disk that may be hostile: it runs as nobody, without groups,
# unable to regain privileges (the shim logs the credentials each program is executed with).
is "$(grep ' /usr/bin/rpm$' "$WORK/exec.log" | sort -u)" "uid=65534 gid=65534 groups=0 nnp=1 /usr/bin/rpm" \
   "rpm is run as nobody:nogroup, no supplementary groups, no_new_privs"
is "$(jq -r '[.kubelet_command_line.args[] | select(.accepted == false) | .word] | join(" ")' <<<"$OUT")" \
   "--network-plugin=cni --container-runtime=remote --improve-speed --network-plugin=cni" \
   "diagnose: kubelet 1.29.3 from the RPM database rejects the three flags (and the sample's own in /etc/default/kubelet)"
run --root="$node" --playbooks="$PLAYBOOKS" plan kubelet-strip-flags
is "$RC" 0 "RPM node: plan exits 0"
is "$(grep '^+KUBELET_KUBEADM_ARGS' <<<"$OUT")" \
   '+KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.10.1"' \
   "plan removes the three flags kubelet 1.29 rejects, and nothing else"
is "$(snapshot "$node")" "$before" "reading the RPM database wrote nothing to the node (no sqlite side files)"
is "$(find /tmp -maxdepth 1 -name 'remedy-rpmdb-*' | wc -l)" 0 "and left no private copy behind"

run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" apply kubelet-strip-flags
is "$RC" 0 "apply exits 0"
run --root="$node" --playbooks="$PLAYBOOKS" plan --exit-code kubelet-strip-flags
is "$RC" 0 "nothing left to do"
run --root="$node" --backup-dir="$WORK/store" rollback --last
is "$(snapshot "$node")" "$before" "rollback restores the node byte for byte"

done_testing
