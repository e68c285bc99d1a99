#!/bin/bash
# SPDX-License-Identifier: MIT
# apply fixes the bundled broken node (judged by the real consumers: containerd config dump,
# systemctl --root is-enabled), a second plan has nothing to do, and rollback restores the tree
# identical in content, mode, owner, xattrs, ACLs and mtime.
. "$(dirname "$0")/lib.sh"

node=$(new_node broken-node)
store="$WORK/store"
# Metadata rollback must restore, beyond what git can carry.
chown 1234:2345 "$node/etc/default/kubelet"
chmod 0640 "$node/etc/default/kubelet"
setfattr -n user.remedy.test -v keep "$node/var/lib/kubelet/config.yaml"
setfacl -m u:nobody:r "$node/etc/containerd/config.toml"
touch -d '2024-02-03 04:05:06.123456789' "$node/etc/containerd/config.toml" "$node/var/lib/kubelet/kubeadm-flags.env"
before=$(snapshot "$node")

dump_before=$(containerd --config "$node/etc/containerd/config.toml" config dump)

run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply cgroup-driver-systemd cni-placeholder kubelet-strip-flags kubelet-wait-online
is "$RC" 0 "apply exits 0"
contains "$OUT" "Backup: " "apply prints the backup id"
id=$(sed -n 's/.*Backup: \([^ ]*\) .*/\1/p' <<<"$OUT")
test -n "$id"; ok $? "backup id found ($id)"

# The real consumers judge the result.
dump_after=$(containerd --config "$node/etc/containerd/config.toml" config dump)
contains "$dump_after" "SystemdCgroup = true" "containerd config dump: SystemdCgroup = true"
changed=$(diff <(echo "$dump_before") <(echo "$dump_after") | grep '^[<>]' | grep -v SystemdCgroup)
is "$changed" "" "containerd config dump: no other effective value changed"
is "$(systemctl --root="$node" is-enabled systemd-networkd-wait-online.service 2>&1)" "enabled" "systemctl --root: wait-online enabled"
grep -q '^cgroupDriver: systemd$' "$node/var/lib/kubelet/config.yaml"; ok $? "kubelet config: cgroupDriver: systemd"
getfattr -n user.remedy.test "$node/var/lib/kubelet/config.yaml" >/dev/null 2>&1; ok $? "edited file kept its xattr"
getfacl -c "$node/etc/containerd/config.toml" 2>/dev/null | grep -q 'user:nobody:r--'; ok $? "edited file kept its ACL"
is "$(stat -c '%a %u %g' "$node/etc/default/kubelet")" "640 1234 2345" "edited file kept mode and owner"
! grep -q -- --improve-speed "$node/var/lib/kubelet/kubeadm-flags.env"; ok $? "--improve-speed gone"
test -f "$node/etc/cni/net.d/zz-remedy-placeholder.conflist"; ok $? "placeholder conflist written"
jq -e '.plugins[0].ipam.subnet == "10.244.0.0/16"' "$node/etc/cni/net.d/zz-remedy-placeholder.conflist" >/dev/null; ok $? "placeholder is valid JSON with the subnet"
is "$(stat -c '%a %U' "$store")" "700 root" "backup store is 0700 root"
bad=$(find "$store" -type f ! -perm 0600 -printf '%p %m\n'); is "$bad" "" "every backup file is 0600"
ls -A "$node/etc/containerd" "$node/var/lib/kubelet" | grep -q '^\.#remedy'; ok $((! $?)) "no temporary files left"

run --root="$node" --playbooks="$PLAYBOOKS" plan --exit-code cgroup-driver-systemd cni-placeholder kubelet-strip-flags kubelet-wait-online
is "$RC" 0 "plan after apply: nothing to do (--exit-code 0)"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply cgroup-driver-systemd
is "$RC" 0 "second apply exits 0"
contains "$OUT" "Nothing to do" "second apply has nothing to do"

run --root="$node" --backup-dir="$store" backups list
contains "$OUT" "$id" "backups list shows the transaction"
contains "$OUT" "applied" "it is applied"
run --root="$node" --backup-dir="$store" backups verify "$id"
is "$RC" 0 "backups verify: archive matches its manifest"

after=$(snapshot "$node")
run --root="$node" --backup-dir="$store" rollback --last --dry-run
is "$RC" 0 "rollback --dry-run exits 0"
contains "$OUT" "+cgroupDriver: cgroupfs" "rollback preview shows the diff back"
is "$(snapshot "$node")" "$after" "rollback --dry-run changed nothing"

run --root="$node" --backup-dir="$store" rollback --last
is "$RC" 0 "rollback --last exits 0"
is "$(snapshot "$node")" "$before" "rollback restored the tree identically (content, mode, owner, mtime, xattrs, ACLs)"
is "$(systemctl --root="$node" is-enabled systemd-networkd-wait-online.service 2>&1)" "disabled" "systemctl --root: wait-online disabled again"
run --root="$node" --backup-dir="$store" --json backups show "$id"
is "$(jq -r .state <<<"$OUT")" "rolled-back" "transaction marked rolled-back"

# The default store lives in the node, outside every configuration directory.
node2=$(new_node broken-node)
run --root="$node2" --playbooks="$PLAYBOOKS" apply kubelet-strip-flags
is "$RC" 0 "apply with the default backup dir"
is "$(stat -c '%a' "$node2/var/lib/remedy/backups")" "700" "default store ROOT/var/lib/remedy/backups is 0700"

# A tampered archive is refused and nothing is written.
node3=$(new_node broken-node)
store3="$WORK/store3"
run --root="$node3" --playbooks="$PLAYBOOKS" --backup-dir="$store3" apply cgroup-driver-systemd
is "$RC" 0 "apply for the tamper test"
applied=$(snapshot "$node3")
archive=$(ls "$store3"/*.tar.zst)
printf 'X' | dd of="$archive" bs=1 seek=100 conv=notrunc status=none
run --root="$node3" --backup-dir="$store3" rollback --last
is "$RC" 2 "rollback of a tampered archive exits 2"
contains "$ERR" "refusing" "it says it refuses"
is "$(snapshot "$node3")" "$applied" "nothing was written"
run --root="$node3" --backup-dir="$store3" backups verify "$(basename "$archive" .tar.zst)"
is "$RC" 2 "backups verify reports the mismatch"

# A node path that is not UTF-8 (a Latin-1 file name) is backed up and restored as bytes.
latin=$(new_node broken-node)
mv "$latin/etc/default/kubelet" "$latin/etc/default/kube"$'\xff'"let"
sed -i 's|EnvironmentFile=-/etc/default/kubelet|EnvironmentFile=-/etc/default/kube'$'\xff''let|' "$latin/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"
latin_before=$(snapshot "$latin")
run --root="$latin" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/latin-store" apply kubelet-strip-flags
is "$RC" 0 "apply edits a file whose name is not UTF-8"
! grep -q -- --network-plugin "$latin/etc/default/kube"$'\xff'"let"; ok $? "the flag is gone from it"
run --root="$latin" --backup-dir="$WORK/latin-store" rollback --last
is "$RC" 0 "rollback exits 0"
is "$(snapshot "$latin")" "$latin_before" "rollback restores it byte for byte"

done_testing
