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
# Several parts of a diagnose want a package's version (the kubelet's flag set, its minor for
# the cgroup v1 check): the database is copied and read once for the run, not once per question.
is "$(grep -c ' /usr/bin/rpm$' "$WORK/exec.log")" 1 "diagnose runs rpm once for the whole run"
rm -f "$WORK/exec.log"
LD_PRELOAD="$CRASH_SHIM" REMEDY_SHIM_EXEC_LOG="$WORK/exec.log" "$REMEDY" --root="$node" --json snapshot >"$WORK/snapshot.json" 2>"$WORK/stderr"
is "$(grep -c ' /usr/bin/rpm$' "$WORK/exec.log")" 1 "snapshot too, for its seven packages and the kubelet's flags"
is "$(jq -r '.packages.kubelet.version + " " + .packages.kubelet.source' "$WORK/snapshot.json")" \
   "1.29.3 /var/lib/rpm/rpmdb.sqlite" "snapshot: the kubelet's version from the RPM database"
is "$(jq -r '.packages | keys | join(" ")' "$WORK/snapshot.json")" "kubelet" "and no package the database does not hold"
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

# RHEL 8 and older: a Berkeley DB database (Packages and its indexes), no rpmdb.sqlite. Made from
# the sqlite one by the real Berkeley DB (db5.3_load, the libdb RHEL 8's rpm uses): Packages a hash
# of header number -> header blob (key 0 holds the next number), Name a btree of name -> (header,
# index) pairs, as rpm's bdb backend writes them. Debian's rpm reads it with its bdb_ro backend.
if command -v db5.3_load >/dev/null; then
        python3 - "$node/var/lib/rpm/rpmdb.sqlite" "$WORK" <<'PY'
import sqlite3, struct, sys
db = sqlite3.connect(sys.argv[1])
def dump(path, kind, items):
    with open(path, 'w') as f:
        f.write('VERSION=3\nformat=bytevalue\ntype=%s\nHEADER=END\n' % kind)
        for k, v in items:
            f.write(' %s\n %s\n' % (k.hex(), v.hex()))
        f.write('DATA=END\n')
rows = list(db.execute('select hnum, blob from Packages'))
nxt = max(h for h, _ in rows) + 1
dump(sys.argv[2] + '/Packages.dump', 'hash', [(struct.pack('=I', h), b) for h, b in rows] + [(struct.pack('=I', 0), struct.pack('=I', nxt))])
dump(sys.argv[2] + '/Name.dump', 'btree', [(n.encode(), struct.pack('=II', h, i)) for n, h, i in db.execute('select key, hnum, idx from Name')])
PY
        ok $? "the sqlite database converted to db_load's format"
        rm -f "$node/var/lib/rpm/"rpmdb.sqlite*
        db5.3_load -f "$WORK/Packages.dump" "$node/var/lib/rpm/Packages" && db5.3_load -f "$WORK/Name.dump" "$node/var/lib/rpm/Name"
        ok $? "db5.3_load makes a Berkeley DB Packages and Name"
        bdb_before=$(snapshot "$node")
        run --root="$node" --playbooks="$PLAYBOOKS" plan kubelet-strip-flags
        is "$RC" 0 "Berkeley DB node: plan exits 0"
        is "$(grep '^+KUBELET_KUBEADM_ARGS' <<<"$OUT")" \
           '+KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.10.1"' \
           "the version read from Packages (rpm's bdb_ro): the three flags 1.29 rejects removed"
        lacks "$OUT" "not judged" "every flag judged"
        is "$(snapshot "$node")" "$bdb_before" "reading the Berkeley DB wrote nothing to the node"
else
        TAP_N=$((TAP_N + 1)); echo "ok $TAP_N # SKIP db5.3_load (Debian's db5.3-util) is not installed: the Berkeley DB database is not tested"
fi

done_testing
