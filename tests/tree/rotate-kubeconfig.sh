#!/bin/bash
# SPDX-License-Identifier: MIT
# Seed 001 offline: kubelet-rotate-kubeconfig installs a new kubeconfig made as kubeadm makes it
# (kubeadm kubeconfig user --client-name=system:node:NODE --org system:nodes) after checking it,
# removes the expired kubelet-client* files, and rollback restores everything. Each bad kubeconfig
# is refused in plan: exit 2, one line naming the file, nothing changed, no backup made. The
# certificates are made here with the openssl CLI, so that nothing expires in the repository.
. "$(dirname "$0")/lib.sh"

[ -n "${WORK:-}" ] && [ -d "$WORK" ] || { echo "Bail out! no work directory"; exit 1; }
pki="$WORK/pki"
mkdir -p "$pki"

. "$(dirname "$0")/pki.sh"
server=https://192.0.2.1:6443

make_ca ca kubernetes; ok $? "CA made"
make_ca other-ca kubernetes; ok $? "a second CA with the same name made"
make_cert expired ca "/O=system:nodes/CN=system:node:node01" "$(ago '-400 days')" "$(ago '-35 days')"; ok $? "expired node certificate"
make_cert good ca "/O=system:nodes/CN=system:node:node01" "$(ago '-1 hour')" "$(ago '+365 days')"; ok $? "new node certificate"
make_cert future ca "/O=system:nodes/CN=system:node:node01" "$(ago '+2 days')" "$(ago '+365 days')"; ok $? "not yet valid certificate"
make_cert node02 ca "/O=system:nodes/CN=system:node:node02" "$(ago '-1 hour')" "$(ago '+365 days')"; ok $? "certificate for another node"
make_cert noorg ca "/CN=system:node:node01" "$(ago '-1 hour')" "$(ago '+365 days')"; ok $? "certificate without system:nodes"
make_cert foreign other-ca "/O=system:nodes/CN=system:node:node01" "$(ago '-1 hour')" "$(ago '+365 days')"; ok $? "certificate from the other CA"

node=$(expired_node)
[ -d "$node/etc/kubernetes" ] || { echo "Bail out! no copy of the sample node"; exit 1; }
store="$WORK/store"
conf=/etc/kubernetes/kubelet.conf
make_kubeconfig "$node/root/node01.conf" ca good good "$server" system:node:node01
# The bad ones, made before the snapshot that every refusal is compared with.
make_kubeconfig "$node/root/expired.conf" ca expired expired "$server" system:node:node01
make_kubeconfig "$node/root/future.conf" ca future future "$server" system:node:node01
make_kubeconfig "$node/root/node02.conf" ca node02 node02 "$server" system:node:node02
make_kubeconfig "$node/root/noorg.conf" ca noorg noorg "$server" system:node:node01
make_kubeconfig "$node/root/foreign.conf" other-ca foreign foreign "$server" system:node:node01
make_kubeconfig "$node/root/signed-elsewhere.conf" ca foreign foreign "$server" system:node:node01
make_kubeconfig "$node/root/server.conf" ca good good https://198.51.100.7:6443 system:node:node01
make_kubeconfig "$node/root/mismatch.conf" ca good node02 "$server" system:node:node01
printf 'this is not: [a kubeconfig\n' >"$node/root/garbage.conf"
printf -- '- just\n- a list\n' >"$node/root/list.conf"
sed '/client-key-data/d' "$node/root/node01.conf" >"$node/root/nokey.conf"
old_conf=$(sha256sum <"$node$conf")
before=$(snapshot "$node")

run --root="$node" --playbooks="$PLAYBOOKS" plan kubelet-rotate-kubeconfig --set kubeconfig=/root/node01.conf
is "$RC" 0 "plan exits 0"
echo "$OUT" | sed 's/^/# /'
contains "$OUT" "client certificate for system:node:node01, valid until" "plan says what it validated"
contains "$OUT" "signed by CN=kubernetes" "plan names the CA"
contains "$OUT" "kubelet-client-2025-01-01-00-00-00.pem" "plan lists the expired certificate file"
lacks "$OUT" "$(base64 -w0 "$pki/good.key")" "plan does not print the new private key"
is "$(snapshot "$node")" "$before" "plan changed nothing"

run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply kubelet-rotate-kubeconfig --set kubeconfig=/root/node01.conf
is "$RC" 0 "apply exits 0"
[ "$RC" -eq 0 ] || echo "$OUT$ERR" | sed 's/^/# /'
cmp -s "$node/root/node01.conf" "$node$conf"; ok $? "kubelet.conf is the new kubeconfig byte for byte"
is "$(stat -c '%a %u %g' "$node$conf")" "600 0 0" "kubelet.conf is 0600 root:root"
is "$(find "$node/var/lib/kubelet/pki" -name 'kubelet-client*' | wc -l)" 0 "pki/kubelet-client* removed"
contains "$OUT" "skipped" "the kubelet restart is skipped offline"
# The installed file is what the kubelet will read: its certificate is the new one, for node01.
sed -n 's/^    client-certificate-data: //p' "$node$conf" | base64 -d | openssl x509 -noout -subject -checkend 0 >"$WORK/subject" 2>&1
ok $? "the installed client certificate is valid now (openssl x509 -checkend 0)"
contains "$(cat "$WORK/subject")" "CN = system:node:node01" "and is for system:node:node01"

run --root="$node" --playbooks="$PLAYBOOKS" plan --exit-code kubelet-rotate-kubeconfig --set kubeconfig=/root/node01.conf
is "$RC" 0 "plan after apply: nothing to do"

run --root="$node" --backup-dir="$store" rollback --last
is "$RC" 0 "rollback exits 0"
is "$(snapshot "$node")" "$before" "rollback restored kubelet.conf and the pki files byte for byte, with their metadata"
is "$(sha256sum <"$node$conf")" "$old_conf" "the old kubelet.conf is back"
is "$(readlink "$node/var/lib/kubelet/pki/kubelet-client-current.pem")" \
   /var/lib/kubelet/pki/kubelet-client-2025-01-01-00-00-00.pem "the kubelet-client-current.pem symlink is back"

# Bad kubeconfigs: refused in plan, nothing touched.
expect_refused() {   # expect_refused DESCRIPTION PATTERN FILE [ARGS...]
        local what=$1 pattern=$2 file=$3; shift 3
        rm -rf "$WORK/store-bad"
        run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store-bad" apply kubelet-rotate-kubeconfig \
                --set "kubeconfig=$file" "$@"
        is "$RC" 2 "$what: exit status 2"
        contains "$ERR" "$file" "$what: the error names the file"
        contains "$ERR" "$pattern" "$what: the error says why"
        is "$(grep -c . <<<"$ERR")" 1 "$what: one line"
        echo "# $ERR"
        is "$(snapshot "$node")" "$before" "$what: nothing changed"
        test ! -e "$WORK/store-bad"; ok $? "$what: no backup store made"
}

expect_refused "expired certificate" "client certificate expired on $(date -u -d "$(openssl x509 -noout -enddate -in "$pki/expired.crt" | cut -d= -f2)" '+%Y-%m-%d %H:%M:%S') UTC" /root/expired.conf
expect_refused "not yet valid certificate" "is not valid before" /root/future.conf
expect_refused "kubeconfig for another node" "is for 'system:node:node02', not 'system:node:node01'" /root/node02.conf
expect_refused "another node, named explicitly wrong" "not 'system:node:node03'" /root/node01.conf --set node_name=node03
expect_refused "no system:nodes organization" "do not include system:nodes" /root/noorg.conf
expect_refused "kubeconfig of another cluster's CA" "is not the CA of /etc/kubernetes/kubelet.conf" /root/foreign.conf
expect_refused "certificate not signed by the cluster CA" "is not signed by the cluster CA" /root/signed-elsewhere.conf
expect_refused "another server" "server https://198.51.100.7:6443 is not the server of /etc/kubernetes/kubelet.conf" /root/server.conf
expect_refused "key of another certificate" "the client key does not belong to the client certificate" /root/mismatch.conf
expect_refused "not YAML" "/root/garbage.conf:2:1: did not find expected" /root/garbage.conf
expect_refused "YAML but not a kubeconfig" "not a kubeconfig" /root/list.conf
expect_refused "missing file" "no such file" /root/nothing-here.conf
expect_refused "no client key" "has no client key" /root/nokey.conf
# node_name given explicitly wins over the current kubeconfig.
make_kubeconfig "$node/root/node02.conf" ca node02 node02 "$server" system:node:node02
run --root="$node" --playbooks="$PLAYBOOKS" plan kubelet-rotate-kubeconfig --set kubeconfig=/root/node02.conf --set node_name=node02
is "$RC" 0 "node_name=node02 accepts node02's kubeconfig"

# Without a kubelet.conf the node name comes from /etc/hostname and nothing is compared.
node2=$(expired_node)
[ -d "$node2/etc/kubernetes" ] || { echo "Bail out! no copy of the sample node"; exit 1; }
rm "$node2$conf"
make_kubeconfig "$node2/root/node01.conf" ca good good "$server" system:node:node01
make_kubeconfig "$node2/root/node02.conf" ca node02 node02 "$server" system:node:node02
run --root="$node2" --playbooks="$PLAYBOOKS" plan kubelet-rotate-kubeconfig --set kubeconfig=/root/node02.conf
is "$RC" 2 "no kubelet.conf: the name comes from /etc/hostname (node01), node02's is refused"
contains "$ERR" "from /etc/hostname" "and the error says where the name came from"
run --root="$node2" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store2" apply kubelet-rotate-kubeconfig --set kubeconfig=/root/node01.conf
is "$RC" 0 "no kubelet.conf: node01's kubeconfig is installed"
is "$(stat -c '%a %u %g' "$node2$conf")" "600 0 0" "new kubelet.conf is 0600 root:root"
run --root="$node2" --backup-dir="$WORK/store2" rollback --last
is "$RC" 0 "rollback"
test ! -e "$node2$conf"; ok $? "rollback removed the kubelet.conf it created"

# A node whose kubelet rotated its certificate every month for a year: twelve kubelet-client files.
# The report shows the first five and counts the rest unless -v; --json lists every one; -q prints
# only the outcome.
node3=$(expired_node)
[ -d "$node3/etc/kubernetes" ] || { echo "Bail out! no copy of the sample node"; exit 1; }
for m in 01 02 03 04 05 06 07 08 09 10 11; do
        cp -p "$node3/var/lib/kubelet/pki/kubelet-client-2025-01-01-00-00-00.pem" \
                "$node3/var/lib/kubelet/pki/kubelet-client-2024-$m-01-00-00-00.pem"
done
make_kubeconfig "$node3/root/node01.conf" ca good good "$server" system:node:node01
n_files=$(find "$node3/var/lib/kubelet/pki" -name 'kubelet-client*' | wc -l)
is "$n_files" 13 "thirteen kubelet-client files (twelve certificates and the current symlink)"
run --root="$node3" --playbooks="$PLAYBOOKS" plan kubelet-rotate-kubeconfig --set kubeconfig=/root/node01.conf
is "$RC" 0 "many files: plan exits 0"
is "$(grep -c '^          remove /var/lib/kubelet/pki/kubelet-client' <<<"$OUT")" 5 "the report shows five of them"
contains "$OUT" "… and 8 more of 13 files (-v shows every one)" "and counts the others"
run --root="$node3" --playbooks="$PLAYBOOKS" -v plan kubelet-rotate-kubeconfig --set kubeconfig=/root/node01.conf
is "$(grep -c '^          remove /var/lib/kubelet/pki/kubelet-client' <<<"$OUT")" 13 "-v shows all thirteen"
run --root="$node3" --playbooks="$PLAYBOOKS" --json plan kubelet-rotate-kubeconfig --set kubeconfig=/root/node01.conf
is "$(jq '[.playbooks[].steps[].files[] | select(.path | startswith("/var/lib/kubelet/pki/kubelet-client"))] | length' <<<"$OUT")" 13 \
        "--json lists all thirteen"
run --root="$node3" --playbooks="$PLAYBOOKS" -q --backup-dir="$WORK/store3" apply kubelet-rotate-kubeconfig --set kubeconfig=/root/node01.conf
is "$RC" 0 "-q apply exits 0"
is "$(grep -c . <<<"$OUT")" 1 "-q prints one line"
contains "$OUT" "Applied: " "the outcome"
is "$(find "$node3/var/lib/kubelet/pki" -name 'kubelet-client*' | wc -l)" 0 "and every kubelet-client file was removed"
run --root="$node3" --backup-dir="$WORK/store3" rollback --last --dry-run
is "$(grep -cE '^  [a-z-]+ +/' <<<"$OUT")" 8 "rollback --dry-run shows eight lines: kubelet.conf, five of the directory, the store record and its directory"
contains "$OUT" "remove   /var/lib/remedy/stores (created by the transaction)" "the record of the --backup-dir store is part of the transaction"
contains "$OUT" "remove-directory /var/lib/remedy" "and the directory the record was made in"
contains "$OUT" "… and 8 more files in /var/lib/kubelet/pki (-v shows every one)" "and counts the others"
run --root="$node3" -q --backup-dir="$WORK/store3" rollback --last
is "$RC" 0 "-q rollback exits 0"
is "$(grep -c . <<<"$OUT")" 1 "-q rollback prints one line"
contains "$OUT" "Rolled back " "the outcome"
is "$(find "$node3/var/lib/kubelet/pki" -name 'kubelet-client*' | wc -l)" 13 "rollback brought the thirteen back"

done_testing
