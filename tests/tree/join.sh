#!/bin/bash
# SPDX-License-Identifier: MIT
# remedy diagnose offline (--root): the file layers of joining and registering. The kubeconfig the
# kubelet uses (--kubeconfig, or --bootstrap-kubeconfig before the node joined), its server URL,
# its CA against the node's /etc/kubernetes/pki/ca.crt, its client certificate (the pair, the
# issuer, CN=system:node:NAME and O=system:nodes) or bootstrap token, and the node name the
# kubelet registers against the certificate's. Each fault is one advice-only finding with the file
# and field as evidence and the control-plane command as advice; the network layers are not run
# offline. Certificates are made here with the openssl CLI (pki.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pki.sh"
pki=$WORK/pki
mkdir -p "$pki"
make_ca ca kubernetes
make_ca other-ca other-cluster
make_cert node01 ca "/O=system:nodes/CN=system:node:node01" "$(ago '-1 hour')" "$(ago '+30 days')"
make_cert node02 ca "/O=system:nodes/CN=system:node:node02" "$(ago '-1 hour')" "$(ago '+30 days')"
make_cert no-org ca "/CN=system:node:node01" "$(ago '-1 hour')" "$(ago '+30 days')"
make_cert foreign other-ca "/O=system:nodes/CN=system:node:node01" "$(ago '-1 hour')" "$(ago '+30 days')"

# A node as kubeadm leaves it after join: kubelet.conf with the CA, the client certificate
# (certificate then key) in kubelet-client-current.pem, the CA in /etc/kubernetes/pki; no swap,
# no flags its kubelet rejects: nothing else to find.
joined_node() {   # joined_node CERT [KEY]
        local n pem
        n=$(new_node broken-node)
        pem=$n/var/lib/kubelet/pki/kubelet-client-2025-01-01-00-00-00.pem
        cat "$pki/$1.crt" "$pki/${2:-$1}.key" >"$pem"
        sed -i "s|certificate-authority-data: .*|certificate-authority-data: $(base64 -w0 "$pki/ca.crt")|" \
                "$n/etc/kubernetes/kubelet.conf"
        mkdir -p "$n/etc/kubernetes/pki" && cp "$pki/ca.crt" "$n/etc/kubernetes/pki/ca.crt"
        sed -i 's|^/swap.img|#/swap.img|' "$n/etc/fstab"
        sed -i 's| --improve-speed"|"|' "$n/var/lib/kubelet/kubeadm-flags.env"
        sed -i 's| --network-plugin=cni"|"|' "$n/etc/default/kubelet"
        echo "$n"
}

diag() {   # diag NODE: OUT (text), JSON, RC, FOUND (every finding's name)
        run --root="$1" --playbooks="$PLAYBOOKS" --json diagnose
        JSON=$OUT
        FOUND=$(jq -r '[.findings[].name] | join(" ")' <<<"$JSON")
        run --root="$1" --playbooks="$PLAYBOOKS" diagnose
}

node=$(joined_node node01)
diag "$node"
is "$FOUND" "" "a joined node whose kubeconfig, CA, certificate and name agree: no findings"
is "$RC" 0 "exit 0"
contains "$OUT" "Joining (/etc/kubernetes/kubelet.conf):" "the report shows the kubeconfig the kubelet uses"
contains "$OUT" "ca: certificate-authority-data of /etc/kubernetes/kubelet.conf is CN=kubernetes, the same as /etc/kubernetes/pki/ca.crt" \
        "the CA layer: the same CA as the node's pki/ca.crt"
contains "$OUT" "node name 'node01' agrees" "the names layer"
contains "$OUT" "network: not run offline" "the network layers are not run offline"
is "$(jq -r '.join.kubeconfig' <<<"$JSON")" /etc/kubernetes/kubelet.conf "--json: the kubeconfig judged"

# The CA in kubelet.conf is not the node's cluster CA.
node=$(joined_node node01)
cp "$pki/other-ca.crt" "$node/etc/kubernetes/pki/ca.crt"
diag "$node"
is "$FOUND" "join-ca-mismatch" "another CA in pki/ca.crt: join-ca-mismatch, and only it"
is "$RC" 1 "exit 1"
contains "$OUT" "evidence: /etc/kubernetes/kubelet.conf: certificate-authority-data is CN=kubernetes; /etc/kubernetes/pki/ca.crt is CN=other-cluster" \
        "the evidence names the file, the field and both CAs"
contains "$OUT" "kubeadm token create --print-join-command" "the advice has the control-plane command"
is "$(jq -r '.findings[0] | "\(.kind) \(.name) \(.advice != null) \(.playbook) \(.fix)"' <<<"$JSON")" \
        "advice-only join-ca-mismatch true null null" "--json: kind advice-only, a name and advice, no playbook, no fix"
lacks "$OUT" "preview:" "the text offers no remedy command for it"

# No CA at all.
node=$(joined_node node01)
sed -i '/certificate-authority-data:/d' "$node/etc/kubernetes/kubelet.conf"
diag "$node"
is "$FOUND" "join-ca-missing" "no certificate-authority(-data): join-ca-missing"
contains "$OUT" "cluster 'kubernetes' has neither certificate-authority nor certificate-authority-data" "named in the evidence"

# A server URL the kubelet cannot use.
node=$(joined_node node01)
sed -i 's|server: https://192.0.2.1:6443|server: http://192.0.2.1:6443|' "$node/etc/kubernetes/kubelet.conf"
diag "$node"
is "$FOUND" "join-server-url" "an http:// server: join-server-url"
contains "$OUT" "server: 'http://192.0.2.1:6443' is not an https:// URL" "with the URL"
node=$(joined_node node01)
sed -i 's|server: https://192.0.2.1:6443|server: https://192.0.2.1:99999|' "$node/etc/kubernetes/kubelet.conf"
diag "$node"
is "$FOUND" "join-server-url" "a port past 65535: join-server-url"

# A certificate from another CA: the API server answers 401.
node=$(joined_node foreign)
diag "$node"
is "$FOUND" "join-client-certificate-other-ca" "a client certificate another CA issued: found"
contains "$OUT" "is issued by CN=other-cluster" "the evidence names its issuer"

# A certificate and a key that are not a pair.
node=$(joined_node node01 node02)
diag "$node"
is "$FOUND" "join-client-key-mismatch" "the key of another certificate: join-client-key-mismatch"

# Not a node's certificate: no O=system:nodes.
node=$(joined_node no-org)
diag "$node"
is "$FOUND" "join-node-identity" "no O=system:nodes: join-node-identity"
contains "$OUT" "subject CN=system:node:node01" "the evidence has the subject"
contains "$OUT" "kubeadm kubeconfig user --client-name=system:node:NODE --org system:nodes" "the advice makes a node's certificate"

# The hostname changed after join.
node=$(joined_node node01)
echo node07 >"$node/etc/hostname"
diag "$node"
is "$FOUND" "join-node-name-mismatch" "hostname node07, certificate for node01: join-node-name-mismatch"
contains "$OUT" "the kubelet registers as 'node07' (/etc/hostname)" "the evidence: the name the kubelet registers and why"
contains "$OUT" "its client certificate is for 'node01'" "and the certificate's"

# --hostname-override wins over the hostname.
node=$(joined_node node01)
echo node07 >"$node/etc/hostname"
sed -i 's|^KUBELET_EXTRA_ARGS="|KUBELET_EXTRA_ARGS="--hostname-override=Node01 |' "$node/etc/default/kubelet"
diag "$node"
is "$FOUND" "" "--hostname-override=Node01 (lower-cased, as the kubelet does) agrees with the certificate: no finding"
sed -i 's|--hostname-override=Node01|--hostname-override=node09|' "$node/etc/default/kubelet"
diag "$node"
is "$FOUND" "join-node-name-mismatch" "--hostname-override=node09: join-node-name-mismatch"
contains "$OUT" "registers as 'node09' (--hostname-override at /etc/default/kubelet:3)" "the evidence names the flag and its line"

# An expired certificate is kubelet-rotate-kubeconfig's finding, not a second one.
make_cert old ca "/O=system:nodes/CN=system:node:node01" "$(ago '-60 days')" "$(ago '-1 day')"
node=$(joined_node old)
diag "$node"
is "$FOUND" "kubelet-rotate-kubeconfig" "an expired client certificate: the playbook's finding alone"
contains "$OUT" "see kubelet-rotate-kubeconfig" "the join layers point to it"

# Before join: bootstrap-kubelet.conf with a token, no kubelet.conf yet.
node=$(joined_node node01)
rm "$node/etc/kubernetes/kubelet.conf"
cat >"$node/etc/kubernetes/bootstrap-kubelet.conf" <<EOF
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: $(base64 -w0 "$pki/ca.crt")
    server: https://192.0.2.1:6443
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: tls-bootstrap-token-user
  name: tls-bootstrap-token-user@kubernetes
current-context: tls-bootstrap-token-user@kubernetes
kind: Config
preferences: {}
users:
- name: tls-bootstrap-token-user
  user:
    token: abcdef.0123456789abcdef
EOF
diag "$node"
is "$FOUND" "" "a bootstrap kubeconfig with a well-formed token: no join finding"
contains "$OUT" "Joining (/etc/kubernetes/bootstrap-kubelet.conf):" "before join, the bootstrap kubeconfig is judged"
contains "$OUT" "bootstrap: the node has not joined yet" "and said to be the bootstrap one"
sed -i 's|token: abcdef.0123456789abcdef|token: ABCDEF.0123456789abcdef-x|' "$node/etc/kubernetes/bootstrap-kubelet.conf"
diag "$node"
is "$FOUND" "join-bootstrap-token-format" "a token not [a-z0-9]{6}.[a-z0-9]{16}: join-bootstrap-token-format"
contains "$OUT" "users[].user.token of user 'tls-bootstrap-token-user' is 25 characters" "the evidence names the field, not the token"
lacks "$OUT$JSON" "0123456789abcdef" "the token is not printed"

# A kubeconfig that does not parse.
node=$(joined_node node01)
printf 'apiVersion: v1\nkind: Config\ncurrent-context: nowhere\n' >"$node/etc/kubernetes/kubelet.conf"
diag "$node"
contains "$FOUND" "join-kubeconfig-invalid" "a kubeconfig whose context is not there: join-kubeconfig-invalid"
is "$RC" 1 "exit 1"

# --api-server=HOST:PORT, kubeadm join's argument: a bad value is one line and exit 2, before
# anything is read.
node=$(joined_node node01)
for bad in 192.0.2.1 https://192.0.2.1:6443 192.0.2.1:99999 "evil host:6443"; do
        run --root="$node" --playbooks="$PLAYBOOKS" --api-server="$bad" diagnose
        is "$RC" 2 "--api-server=$bad: exit 2"
        is "$(wc -l <<<"$ERR")" 1 "--api-server=$bad: one line on stderr"
        contains "$ERR" "--api-server: '$bad'" "--api-server=$bad: the error names the value"
done
contains "$(run --root="$node" --api-server=192.0.2.1 diagnose; echo "$ERR")" "has no port: give HOST:PORT"         "a value without a port says so"

# With a kubeconfig, --api-server is the server reached instead of the kubeconfig's.
run --root="$node" --playbooks="$PLAYBOOKS" --api-server=192.0.2.7:6443 diagnose
contains "$OUT" "server: --api-server 192.0.2.7:6443 instead (host 192.0.2.7, port 6443)"         "with a kubeconfig, --api-server replaces its server"

# Before join, no kubeconfig at all: --api-server is judged alone, with the node's cluster CA when
# it has one; offline only the file part.
rm "$node/etc/kubernetes/kubelet.conf"
run --root="$node" --playbooks="$PLAYBOOKS" --api-server=192.0.2.7:6443 diagnose
contains "$OUT" "the node has not joined (the API server given with --api-server is judged)" "no kubeconfig: --api-server is judged"
contains "$OUT" "server: --api-server 192.0.2.7:6443 (host 192.0.2.7, port 6443), the API server kubeadm join is given"         "the server layer names it"
contains "$OUT" "ca: /etc/kubernetes/pki/ca.crt is CN=kubernetes: the server's certificate is verified against it"         "the node's cluster CA is used"
contains "$OUT" "network: not run offline" "offline, no network layer"
rm "$node/etc/kubernetes/pki/ca.crt"
run --root="$node" --playbooks="$PLAYBOOKS" --api-server=192.0.2.7:6443 diagnose
contains "$OUT" "ca: no /etc/kubernetes/pki/ca.crt on the node, no kubeconfig: the server's certificate is shown, not verified"         "without a CA it says the certificate will not be verified"
run --root="$node" --playbooks="$PLAYBOOKS" diagnose
contains "$OUT" "the node has not joined (nothing to judge)" "without --api-server, nothing to judge"

done_testing
