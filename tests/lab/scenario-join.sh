#!/bin/bash
# SPDX-License-Identifier: MIT
# Issue 15 §1: a kubelet that cannot join or register, diagnosed live layer by layer against
# the kube-apiserver STAND-IN (apiserver-standin) on 127.0.0.1:6443 of the node's own network
# namespace (LAB_PRIVATE_NETWORK: loopback only, nothing leaves it). Certificates are made with
# the openssl CLI; no clock is changed anywhere: a server certificate valid from tomorrow and a
# Date header an hour ahead stand for clocks that disagree. Each fault is one finding, of the
# layer it belongs to, with its evidence, and nothing of the layers after it.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

utc() { date -u -d "$1" +%Y%m%d%H%M%SZ; }
S=/var/lib/apiserver-standin

# join_diag: diagnose in the node; FOUND (every finding's name), DIAG_OUT, DIAG_RC, JSON.
join_diag() {
        DIAG_OUT=$(lab_run "$REMEDY" --no-color --playbooks="$PLAYBOOKS" diagnose 2>&1) && DIAG_RC=0 || DIAG_RC=$?
        JSON=$(lab_run "$REMEDY" --playbooks="$PLAYBOOKS" --json diagnose 2>/dev/null)
        FOUND=$(jq -r '[.findings[].name] | join(" ")' <<<"$JSON")
        LAYERS=$(jq -r '.join.layers[]?' <<<"$JSON")
}

# serve NAME: the stand-in serves $LAB_DIR/pki/NAME.crt (copied into the node), plus ARGS.
serve() {
        local name=$1
        shift
        cp "$LAB_DIR/pki/$name.crt" "$LAB_DIR/pki/$name.key" "$LAB_ROOT$S/" &&
                lab_apiserver --cert "$S/$name.crt" --key "$S/$name.key" "$@"
}

LAB_PRIVATE_NETWORK=1
lab_setup || exit 1
lab_cni_config || exit 1
# The private network has no default route, which a kubelet without --node-ip logs as a node
# without an address (kubelet-wait-online's sign): its address is given, as on such nodes.
printf 'KUBELET_EXTRA_ARGS=--node-ip=127.0.0.1\n' >"$LAB_ROOT/etc/default/kubelet"
lab_boot || exit 1
lab_wait_unit kubelet.service active 20
lab_wait_unit apiserver-standin.service active 20
ok $? "the node's API server stand-in runs (a unit of the node, on its loopback)"

# Healthy: every layer passes; the node is registered.
lab_apiserver --node "$LAB_NODE_NAME"
join_diag
is "$FOUND" "" "healthy: no findings"
is "$DIAG_RC" 0 "healthy: exit 0"
contains "$LAYERS" "connect: TCP to 127.0.0.1 port 6443 from 127.0.0.1 on lo: connected" \
        "the connect layer names the local address and interface"
contains "$LAYERS" "tls: the server's certificate (CN=kube-apiserver, IP:127.0.0.1, DNS:localhost) verifies against the kubeconfig's CA" \
        "the TLS layer: verified, with the server's names"
contains "$LAYERS" "request: GET /version: 200 OK, the client certificate accepted" "GET /version with the client certificate"
contains "$LAYERS" "request: GET /api/v1/nodes/$LAB_NODE_NAME: 200 OK, the node is registered" "GET the node's own Node"
contains "$LAYERS" "clock: the API server's Date" "the clock layer compares the Date header"
contains "$LAYERS" "NTPSynchronized=" "and reads NTPSynchronized from systemd-timedated"
contains "$DIAG_OUT" "Joining (/etc/kubernetes/kubelet.conf):" "the text report shows the layers"

# Server down: nothing listens on the port.
lab_run systemctl stop apiserver-standin.service
join_diag
is "$FOUND" "join-api-server-unreachable" "server down: join-api-server-unreachable, and only it"
contains "$DIAG_OUT" "TCP to 127.0.0.1 port 6443 from 127.0.0.1 on lo: connection refused" \
        "the evidence says refused in plain words, with the local end"
lacks "$LAYERS" "tls:" "no TLS layer after a failed connect"
is "$DIAG_RC" 1 "exit 1"

# A server certificate another CA issued.
lab_ca other other-cluster || exit 1
lab_server_cert other-server other "$(utc '-1 hour')" "$(utc '+30 days')" "IP:127.0.0.1" || exit 1
serve other-server
join_diag
is "$FOUND" "join-tls-untrusted" "wrong CA: join-tls-untrusted, and only it"
contains "$DIAG_OUT" "the server's certificate (CN=kube-apiserver) is issued by CN=other-cluster; the kubeconfig /etc/kubernetes/kubelet.conf trusts CN=kubernetes" \
        "the evidence names both CAs"
lacks "$LAYERS" "request:" "no request after a failed TLS layer"

# A certificate for other names than the URL's host.
lab_server_cert wrong-name ca "$(utc '-1 hour')" "$(utc '+30 days')" "DNS:kubernetes,IP:10.96.0.1" || exit 1
serve wrong-name
join_diag
is "$FOUND" "join-tls-name-mismatch" "name mismatch: join-tls-name-mismatch, and only it"
contains "$DIAG_OUT" "connects to '127.0.0.1'; the server's certificate (CN=kube-apiserver) names DNS:kubernetes, IP:10.96.0.1" \
        "the evidence shows the server's SANs against the URL's host"

# An expired server certificate.
lab_server_cert expired ca "$(utc '-60 days')" "$(utc '-1 day')" "IP:127.0.0.1" || exit 1
serve expired
join_diag
is "$FOUND" "join-tls-server-expired" "expired server certificate: join-tls-server-expired, and only it"
contains "$DIAG_OUT" "kubeadm certs renew apiserver" "the advice renews it on the control plane"

# A server certificate valid from tomorrow: this node's clock is behind, as it sees it.
lab_server_cert tomorrow ca "$(utc '+1 day')" "$(utc '+30 days')" "IP:127.0.0.1" || exit 1
serve tomorrow
join_diag
is "$FOUND" "join-tls-server-not-yet-valid" "server certificate not yet valid: join-tls-server-not-yet-valid, and only it"
contains "$DIAG_OUT" "is valid from $(date -u -d '+1 day' +%Y-%m-%d)" "the evidence has the start date"
contains "$DIAG_OUT" "this node's clock says $(date -u +%Y-%m-%d)" "and this node's clock"

# The client certificate is not accepted: the cluster's client CA is another (a rotated CA).
# The handshake still admits it (--accept-ca), as kube-apiserver requests and does not require one.
cp "$LAB_DIR/pki/other.crt" "$LAB_ROOT$S/other-ca.crt"
lab_apiserver --client-ca "$S/other-ca.crt" --accept-ca "$S/ca.crt"
join_diag
is "$FOUND" "join-credentials-rejected" "client certificate rejected: join-credentials-rejected (401), and only it"
contains "$DIAG_OUT" "GET https://127.0.0.1:6443/version with the client certificate of /etc/kubernetes/kubelet.conf: 401 Unauthorized" \
        "the evidence: the request and the 401 in plain words"
contains "$DIAG_OUT" "kubelet-rotate-kubeconfig" "the advice installs a new kubeconfig"

# The node authorizer is not enabled: the kubelet's own Node is forbidden (403).
lab_apiserver --authorization-mode RBAC --node "$LAB_NODE_NAME"
join_diag
is "$FOUND" "join-node-forbidden" "no node authorizer: join-node-forbidden (403), and only it"
contains "$DIAG_OUT" "403 Forbidden: authenticated, but not allowed: nodes \"$LAB_NODE_NAME\" is forbidden: User \"system:node:$LAB_NODE_NAME\"" \
        "the evidence quotes the API server's message"

# A certificate for another node's name: found in the files already, before any request.
lab_apiserver --node "$LAB_NODE_NAME"
lab_node_kubeconfig "$LAB_DIR/other-node.conf" "$(utc '-1 hour')" "$(utc '+30 days')" system:node:lab-node99 || exit 1
cp "$LAB_ROOT/etc/kubernetes/kubelet.conf" "$LAB_DIR/kubelet.conf.good"
cp "$LAB_DIR/other-node.conf" "$LAB_ROOT/etc/kubernetes/kubelet.conf"
join_diag
is "$FOUND" "join-node-name-mismatch" "wrong CN: join-node-name-mismatch from the files (the 403 it would get), and only it"
contains "$DIAG_OUT" "the kubelet registers as '$LAB_NODE_NAME' (the hostname)" "the evidence: the hostname"
contains "$DIAG_OUT" "its client certificate is for 'lab-node99'" "and the certificate's name"
lacks "$LAYERS" "connect:" "no network layer after a failed file layer"
cp "$LAB_DIR/kubelet.conf.good" "$LAB_ROOT/etc/kubernetes/kubelet.conf"

# Clock skew: the API server's Date header an hour ahead of this node's clock.
lab_apiserver --node "$LAB_NODE_NAME" --date-offset 3600
join_diag
is "$FOUND" "clock-skew" "clock skew: clock-skew, and only it"
contains "$DIAG_OUT" "the node is 3600 s behind" "the evidence gives the offset from the Date header"
contains "$DIAG_OUT" "NTPSynchronized=" "and the NTP state from timedated"

lab_teardown
is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
