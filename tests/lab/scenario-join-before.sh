#!/bin/bash
# SPDX-License-Identifier: MIT
# Issue 15: a node that has not joined yet, diagnosed live against the kube-apiserver STAND-IN
# (apiserver-standin) on 127.0.0.1:6443 of the node's own network namespace (LAB_PRIVATE_NETWORK:
# loopback only, nothing leaves it; no DNS query leaves it either).
#   - bootstrap-kubelet.conf with a bootstrap token: accepted; expired (its Secret's expiration
#     in the past, as the stand-in's bootstrap token authenticator judges it); deleted.
#   - a server name that does not resolve: the DNS layer, naming the resolver, and nothing after.
#   - no kubeconfig at all, `diagnose --api-server=HOST:PORT` as kubeadm join is given it: the
#     certificate verified against the node's pki/ca.crt, or shown unverified without it; a port
#     where nothing listens.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

TOKEN=abcdef.0123456789abcdef
rfc3339() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }
utc() { date -u -d "$1" +%Y%m%d%H%M%SZ; }

# join_diag [ARGS...]: diagnose in the node; JOIN_FOUND (the join layer's findings: join-* and
# clock-skew; the pre-join playbooks are other tests'), DIAG_OUT, LAYERS.
join_diag() {
        DIAG_OUT=$(lab_run "$REMEDY" --no-color --playbooks="$PLAYBOOKS" "$@" diagnose 2>&1)
        JSON=$(lab_run "$REMEDY" --playbooks="$PLAYBOOKS" --json "$@" diagnose 2>/dev/null)
        JOIN_FOUND=$(jq -r '[.findings[].name | select(startswith("join-") or . == "clock-skew")] | join(" ")' <<<"$JSON")
        LAYERS=$(jq -r '.join.layers[]?' <<<"$JSON")
}

LAB_PRIVATE_NETWORK=1
lab_setup || exit 1
lab_cni_config || exit 1
printf 'KUBELET_EXTRA_ARGS=--node-ip=127.0.0.1\n' >"$LAB_ROOT/etc/default/kubelet"
# Not joined: no kubelet.conf, the bootstrap kubeconfig kubeadm join writes, with a token.
rm "$LAB_ROOT/etc/kubernetes/kubelet.conf"
cat >"$LAB_ROOT/etc/kubernetes/bootstrap-kubelet.conf" <<EOF
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: $(base64 -w0 "$LAB_DIR/pki/ca.crt")
    server: https://127.0.0.1:6443
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
    token: $TOKEN
EOF
chmod 0600 "$LAB_ROOT/etc/kubernetes/bootstrap-kubelet.conf"
# The resolver the node uses, known: glibc asks /etc/hosts, then the DNS server on the node's
# own loopback, where nothing listens (nothing leaves the namespace).
printf 'nameserver 127.0.0.1\n' >"$LAB_ROOT/etc/resolv.conf.lab"
rm -f "$LAB_ROOT/etc/resolv.conf" && mv "$LAB_ROOT/etc/resolv.conf.lab" "$LAB_ROOT/etc/resolv.conf"
printf 'hosts: files dns\n' >"$LAB_ROOT/etc/nsswitch.conf.lab"
sed '/^hosts:/d' /etc/nsswitch.conf >>"$LAB_ROOT/etc/nsswitch.conf.lab"
mv "$LAB_ROOT/etc/nsswitch.conf.lab" "$LAB_ROOT/etc/nsswitch.conf"
lab_boot || exit 1
lab_wait_unit apiserver-standin.service active 20
ok $? "the node's API server stand-in runs"

# A valid token, expiring tomorrow.
lab_apiserver --token "$TOKEN,expiration=$(rfc3339 '+1 day')"
join_diag
is "$JOIN_FOUND" "" "a token the API server accepts: no join finding"
contains "$DIAG_OUT" "Joining (/etc/kubernetes/bootstrap-kubelet.conf):" "the bootstrap kubeconfig is judged"
contains "$LAYERS" "request: GET /version: 200 OK, the token accepted" "GET /version with the bootstrap token: 200"

# The token expired an hour ago: its Secret's expiration is in the past.
lab_apiserver --token "$TOKEN,expiration=$(rfc3339 '-1 hour')"
join_diag
is "$JOIN_FOUND" "join-bootstrap-token-rejected" "an expired token: join-bootstrap-token-rejected, and only it"
contains "$DIAG_OUT" "token rejected: expired or deleted" "the summary says expired or deleted"
contains "$DIAG_OUT" "with the bootstrap token of /etc/kubernetes/bootstrap-kubelet.conf: 401 Unauthorized" \
        "the evidence: the request and the 401"
contains "$DIAG_OUT" "bootstrap-token-abcdef in kube-system" "and the Secret that holds the expiry"
contains "$DIAG_OUT" "kubeadm token create --print-join-command" "the advice: a new token on the control plane"
lacks "$DIAG_OUT$JSON" "0123456789abcdef" "the token's secret is not printed"
lacks "$LAYERS" "clock:" "no layer after the one that failed"

# The token was deleted (no Secret): the same 401.
lab_apiserver --token other1.0123456789abcdef
join_diag
is "$JOIN_FOUND" "join-bootstrap-token-rejected" "a deleted token: join-bootstrap-token-rejected"

# A server name that does not resolve: the DNS layer, with the resolver, and nothing after it.
lab_apiserver --token "$TOKEN"
lab_server_cert named ca "$(utc '-1 hour')" "$(utc '+30 days')" "DNS:api.cluster.invalid" || exit 1
cp "$LAB_DIR/pki/named.crt" "$LAB_DIR/pki/named.key" "$LAB_ROOT/var/lib/apiserver-standin/"
lab_apiserver --token "$TOKEN" --cert /var/lib/apiserver-standin/named.crt --key /var/lib/apiserver-standin/named.key
sed -i 's|server: https://127.0.0.1:6443|server: https://api.cluster.invalid:6443|' "$LAB_ROOT/etc/kubernetes/bootstrap-kubelet.conf"
echo "127.0.0.1 api.cluster.invalid" >>"$LAB_ROOT/etc/hosts"
join_diag
is "$JOIN_FOUND" "" "the name in /etc/hosts: it resolves, and every layer passes"
contains "$LAYERS" "resolve: api.cluster.invalid is 127.0.0.1, by /etc/hosts:" "the resolve layer names the hosts line"
sed -i '/api.cluster.invalid/d' "$LAB_ROOT/etc/hosts"
join_diag
is "$JOIN_FOUND" "join-api-server-unresolvable" "the name removed from /etc/hosts: join-api-server-unresolvable, and only it"
contains "$DIAG_OUT" "the API server's host 'api.cluster.invalid' does not resolve" "the summary names the host"
contains "$DIAG_OUT" "resolving 'api.cluster.invalid' by the DNS server 127.0.0.1 (/etc/resolv.conf)" \
        "the evidence names the resolver: the nameserver of /etc/resolv.conf"
contains "$DIAG_OUT" "/etc/nsswitch.conf:1: hosts: files dns (the sources asked, in order)" "and nss's hosts line"
lacks "$LAYERS" "connect:" "no connect layer after a failed resolve"
lacks "$LAYERS" "tls:" "no TLS layer"
sed -i 's|server: https://api.cluster.invalid:6443|server: https://127.0.0.1:6443|' "$LAB_ROOT/etc/kubernetes/bootstrap-kubelet.conf"

# No kubeconfig at all, before `kubeadm join 127.0.0.1:6443`: --api-server names the server.
rm "$LAB_ROOT/etc/kubernetes/bootstrap-kubelet.conf"
lab_apiserver
join_diag
contains "$LAYERS" "the node has not joined (nothing to judge)" "without --api-server nothing is judged"
lacks "$LAYERS" "connect:" "and nothing is connected to"
join_diag --api-server=127.0.0.1:6443
is "$JOIN_FOUND" "" "--api-server=127.0.0.1:6443, the stand-in up: no join finding"
contains "$LAYERS" "connect: TCP to 127.0.0.1 port 6443 from 127.0.0.1 on lo: connected" "it is reached"
contains "$LAYERS" "tls: the server's certificate (CN=kube-apiserver, IP:127.0.0.1, DNS:localhost) verifies against /etc/kubernetes/pki/ca.crt" \
        "the certificate is verified against the node's cluster CA"
contains "$LAYERS" "request: GET /version without credentials: 200 OK" "GET /version anonymously"
contains "$LAYERS" "clock: the API server's Date" "the clock layer compares the Date header"
mv "$LAB_ROOT/etc/kubernetes/pki/ca.crt" "$LAB_DIR/ca.crt.moved"
join_diag --api-server=127.0.0.1:6443
is "$JOIN_FOUND" "" "no CA on the node: still no finding"
contains "$LAYERS" "tls: the server's certificate (CN=kube-apiserver, IP:127.0.0.1, DNS:localhost, issued by CN=kubernetes), valid until" \
        "the server's certificate is shown: subject, SANs, issuer, expiry"
contains "$LAYERS" "not verified: no CA given" "and said not to be verified"
join_diag --api-server=127.0.0.1:6444
is "$JOIN_FOUND" "join-api-server-unreachable" "--api-server at a port where nothing listens: join-api-server-unreachable"
contains "$DIAG_OUT" "TCP to 127.0.0.1 port 6444 from 127.0.0.1 on lo: connection refused" "connection refused, in plain words"
lacks "$LAYERS" "tls:" "no TLS layer after a failed connect"
lab_run "$REMEDY" --api-server=127.0.0.1 diagnose >/dev/null 2>&1
is "$?" 2 "--api-server without a port: exit 2"

lab_teardown
is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
