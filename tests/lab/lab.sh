# SPDX-License-Identifier: MIT
# The node lab: a disposable Kubernetes-node-like machine for tests that need the real systemd.
#
# The host's root file system is mounted read-only as the lower layer of an overlay whose upper
# layer is a tmpfs, and systemd-nspawn boots the overlay with real systemd as PID 1, the real
# D-Bus, journald and containerd (Debian's package). Nothing the node writes reaches the host.
# systemd is never booted on the host's own root: its boot-time tmpfiles cleanup would empty /tmp.
#
# A lab test is a TAP bash script:
#
#       . "$SOURCE_ROOT/tests/lab/lab.sh"
#       lab_setup                       # $LAB_DIR, $LAB_ROOT: a healthy kubeadm worker, not booted
#       echo 'failSwapOn: true' >>"$LAB_ROOT/var/lib/kubelet/config.yaml"   # break it
#       lab_boot                        # $LAB_INIT; teardown registered on EXIT
#       lab_wait_unit kubelet.service active 10
#       lab_run systemctl is-active kubelet
#       lab_teardown; done_testing
#
# The TAP helpers (ok, is, contains, lacks, done_testing) and $WORK come from tests/tree/lib.sh.
# Without root or systemd-nspawn a lab test skips ("1..0 # SKIP"), except under CI=true where
# that fails (lab_require, also called by lab_setup).
#
# lab_setup and lab_boot put lab_teardown in front of the EXIT trap already set (lib.sh's); a
# test that sets its own EXIT trap later must call lab_teardown itself.
#
# Functions: lab_setup, lab_boot, lab_run CMD..., lab_teardown (idempotent; returns 1 and lists
# what is left), lab_leftovers; before boot, edits under $LAB_ROOT or lab_cni_config,
# lab_swap_on [SWAPS-LINE], lab_kubelet_cert NOT-BEFORE NOT-AFTER,
# lab_node_kubeconfig OUT NOT-BEFORE NOT-AFTER [CN], lab_containerd_systemd_cgroup
# true|false, lab_kubelet_config_set KEY VALUE; after boot, lab_wait_unit UNIT STATE SECS,
# lab_wait_restarts UNIT N SECS, lab_wait_journal UNIT TEXT SECS, lab_unit_prop UNIT PROP,
# lab_nrestarts UNIT, lab_journal UNIT, lab_apiserver ARGS.... A node has an API server (the
# kube-apiserver stand-in, lab_apiserver_install) on 127.0.0.1:6443 of its network; lab_server_cert
# and lab_ca make certificates for it.
#
# Variables: LAB_DIR (scratch dir), LAB_ROOT (the node's /, seen from the host), LAB_NODE_NAME
# (its hostname), LAB_INIT (host PID of the node's systemd), LAB_NSPAWN (host PID of
# systemd-nspawn), LAB_CONSOLE (the boot console log), LAB_KUBELET_VERSION (the stand-in's
# version, set before lab_setup to pick another minor of kubelet-flags.tsv; default 1.30.0),
# LAB_PRIVATE_NETWORK (1 before lab_boot: a network namespace with loopback only), LAB_NETNS (a
# path such as /run/netns/NAME before lab_boot: the node joins that network namespace, which
# the test made and wired).
#
# Several nodes at once: the variables above are the current node's. lab_node NAME saves the
# current node (under its LAB_NODE_NAME) and makes NAME current: a node saved before, or a new
# one that lab_setup then makes. Every node is torn down on EXIT (lab_teardown_all).

LAB_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../tree/lib.sh
. "$LAB_LIB_DIR/../tree/lib.sh"

LAB_DIR=
LAB_ROOT=
LAB_INIT=
LAB_NSPAWN=
LAB_CONSOLE=
LAB_PIDNS=
LAB_CGROUPS=()
LAB_NODE_NAME=${LAB_NODE_NAME:-lab-node01}
LAB_KUBELET_VERSION=${LAB_KUBELET_VERSION:-1.30.0}
LAB_TRAP_SET=
LAB_BOOT_TIMEOUT=${LAB_BOOT_TIMEOUT:-60}

lab_log() { echo "# lab: $*" >&2; }

declare -gA LAB_NODES=()   # LAB_NODE_NAME -> the node's variables, as declare -p prints them
LAB_NODE_VARS=(LAB_DIR LAB_ROOT LAB_INIT LAB_NSPAWN LAB_CONSOLE LAB_PIDNS LAB_CGROUPS LAB_NODE_NAME)

lab_node_save() {
        [ -n "$LAB_DIR" ] || [ -n "${LAB_NODES[$LAB_NODE_NAME]:-}" ] || return 0
        LAB_NODES[$LAB_NODE_NAME]=$(declare -p "${LAB_NODE_VARS[@]}" | sed 's/^declare -/declare -g -/')
}

# lab_node NAME: makes NAME the current node (see the header).
lab_node() {
        lab_node_save
        if [ -n "${LAB_NODES[$1]:-}" ]; then
                eval "${LAB_NODES[$1]}"
        else
                LAB_DIR='' LAB_ROOT='' LAB_INIT='' LAB_NSPAWN='' LAB_CONSOLE='' LAB_PIDNS='' LAB_CGROUPS=()
                LAB_NODE_NAME=$1
        fi
}

# Tears down every node (lab_teardown on each); 1 when one left something behind.
lab_teardown_all() {
        local name rc=0
        [ ${#LAB_NODES[@]} -eq 0 ] && { lab_teardown; return; }
        lab_node_save
        for name in "${!LAB_NODES[@]}"; do
                eval "${LAB_NODES[$name]}"
                lab_teardown || rc=1
                lab_node_save
        done
        return $rc
}

# Says why the lab cannot run here, or nothing.
lab_missing() {
        [ "$(id -u)" -eq 0 ] || { echo "not root"; return; }
        local tool
        for tool in systemd-nspawn nsenter openssl containerd mount umount python3; do
                command -v "$tool" >/dev/null 2>&1 || { echo "no $tool"; return; }
        done
        [ -x /lib/systemd/systemd ] || { echo "no /lib/systemd/systemd"; return; }
        grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
                { echo "no overlayfs"; return; }
}

# lab_skip_unless WHY WHAT: nothing when WHY is empty; otherwise skips the whole test ("WHAT:
# WHY"), or fails it under CI=true.
lab_skip_unless() {
        [ -z "$1" ] && return 0
        if [ "${CI:-}" = true ]; then
                echo "1..1"
                echo "not ok 1 - the $2 cannot run under CI=true: $1"
                exit 1
        fi
        echo "1..0 # SKIP $2: $1"
        exit 0
}

# Skips the whole test when the lab cannot run, or fails it under CI=true.
lab_require() {
        lab_skip_unless "$(lab_missing)" "node lab"
}

# Unit files and configuration as the kubernetes deb packages and "kubeadm join" leave them.
lab_install_kubelet() {
        local r=$LAB_ROOT standin=$LAB_LIB_DIR/kubelet-standin
        local flags=$LAB_LIB_DIR/../../remedy/data/kubelet-flags.tsv

        [ -r "$flags" ] || { lab_log "missing $flags"; return 1; }
        mkdir -p "$r/usr/share/remedy-lab" || return 1
        install -m 0644 "$flags" "$r/usr/share/remedy-lab/kubelet-flags.tsv" || return 1
        install -m 0644 "$LAB_LIB_DIR/../../remedy/data/kubelet-feature-gates.tsv" \
                "$r/usr/share/remedy-lab/kubelet-feature-gates.tsv" || return 1
        # The minor version and the flag table's path are baked in, as a real build bakes them.
        sed -e "s|^STANDIN_VERSION = .*|STANDIN_VERSION = \"$LAB_KUBELET_VERSION\"|" \
            -e "s|^FLAGS_TSV = .*|FLAGS_TSV = \"/usr/share/remedy-lab/kubelet-flags.tsv\"|" \
            -e "s|^GATES_TSV = .*|GATES_TSV = \"/usr/share/remedy-lab/kubelet-feature-gates.tsv\"|" \
            "$standin" >"$r/usr/bin/kubelet" || return 1
        chmod 0755 "$r/usr/bin/kubelet"

        mkdir -p "$r/lib/systemd/system" "$r/etc/systemd/system/kubelet.service.d" \
                 "$r/etc/systemd/system/multi-user.target.wants" || return 1
        # kubernetes/release cmd/krel/templates/latest/kubelet/kubelet.service, as shipped.
        cat >"$r/lib/systemd/system/kubelet.service" <<'EOF'
[Unit]
Description=kubelet: The Kubernetes Node Agent
Documentation=https://kubernetes.io/docs/
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=/usr/bin/kubelet
Restart=always
StartLimitInterval=0
RestartSec=10

[Install]
WantedBy=multi-user.target
EOF
        # kubernetes/release cmd/krel/templates/latest/kubeadm/10-kubeadm.conf with the deb
        # packaging's /etc/sysconfig -> /etc/default substitution; the legacy apt location.
        cat >"$r/etc/systemd/system/kubelet.service.d/10-kubeadm.conf" <<'EOF'
# Note: This dropin only works with kubeadm and kubelet v1.11+
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
# This is a file that "kubeadm init" and "kubeadm join" generates at runtime, populating the KUBELET_KUBEADM_ARGS variable dynamically
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
# This is a file that the user can use for overrides of the kubelet args as a last resort. Preferably, the user should use
# the .NodeRegistration.KubeletExtraArgs object in the configuration files instead. KUBELET_EXTRA_ARGS should be sourced from this file.
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
EOF
        # Not part of any real node: the lab's only deviation from the packaged units.
        cat >"$r/etc/systemd/system/kubelet.service.d/05-lab-restart.conf" <<'EOF'
# remedy node lab only. The packaged kubelet.service restarts a failed kubelet after 10 s;
# the lab shortens that so a test sees a crash loop (NRestarts growing) within seconds.
# Everything else about the unit is as the kubernetes packages ship it.
[Service]
RestartSec=1s
EOF
        ln -sf /lib/systemd/system/kubelet.service \
                "$r/etc/systemd/system/multi-user.target.wants/kubelet.service" || return 1
        printf 'KUBELET_EXTRA_ARGS=\n' >"$r/etc/default/kubelet" || return 1

        mkdir -p "$r/var/lib/kubelet/pki" "$r/etc/kubernetes/manifests" "$r/etc/kubernetes/pki" || return 1
        chmod 0700 "$r/var/lib/kubelet/pki"
        # cmd/kubeadm/app/phases/kubelet/flags.go for 1.27-1.34 with containerd.
        printf '%s\n' 'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.9"' \
                >"$r/var/lib/kubelet/kubeadm-flags.env" || return 1
        # What "kubeadm join" (1.30) writes, from the kubelet-config ConfigMap.
        cat >"$r/var/lib/kubelet/config.yaml" <<'EOF'
apiVersion: kubelet.config.k8s.io/v1beta1
authentication:
  anonymous:
    enabled: false
  webhook:
    cacheTTL: 0s
    enabled: true
  x509:
    clientCAFile: /etc/kubernetes/pki/ca.crt
authorization:
  mode: Webhook
  webhook:
    cacheAuthorizedTTL: 0s
    cacheUnauthorizedTTL: 0s
cgroupDriver: systemd
clusterDNS:
- 10.96.0.10
clusterDomain: cluster.local
containerRuntimeEndpoint: ""
cpuManagerReconcilePeriod: 0s
evictionPressureTransitionPeriod: 0s
fileCheckFrequency: 0s
healthzBindAddress: 127.0.0.1
healthzPort: 10248
httpCheckFrequency: 0s
imageMaximumGCAge: 0s
imageMinimumGCAge: 0s
kind: KubeletConfiguration
logging:
  flushFrequency: 0
  options:
    json:
      infoBufferSize: "0"
  verbosity: 0
memorySwap: {}
nodeStatusReportFrequency: 0s
nodeStatusUpdateFrequency: 0s
rotateCertificates: true
runtimeRequestTimeout: 0s
shutdownGracePeriod: 0s
shutdownGracePeriodCriticalPods: 0s
staticPodPath: /etc/kubernetes/manifests
streamingConnectionIdleTimeout: 0s
syncFrequency: 0s
volumeStatsAggPeriod: 0s
EOF
        lab_make_pki || return 1
}

# A throwaway cluster CA and the node's client certificate, as the kubelet's TLS bootstrap
# leaves them: kubelet-client-<timestamp>.pem (certificate then key) and the
# kubelet-client-current.pem symlink that kubelet.conf references.
lab_make_pki() {
        local r=$LAB_ROOT p=$LAB_DIR/pki
        mkdir -p "$p" || return 1
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$p/ca.key" -out "$p/ca.crt" \
                -days 3650 -subj /CN=kubernetes >/dev/null 2>&1 || { lab_log "openssl: CA"; return 1; }
        install -m 0644 "$p/ca.crt" "$r/etc/kubernetes/pki/ca.crt" || return 1
        lab_kubelet_cert "$(date -u -d '-1 hour' +%Y%m%d%H%M%SZ)" \
                         "$(date -u -d '+365 days' +%Y%m%d%H%M%SZ)" || return 1
        local ca_b64
        ca_b64=$(base64 -w0 "$p/ca.crt") || return 1
        # The kubeconfig the kubelet writes after TLS bootstrap on a node that joined.
        cat >"$r/etc/kubernetes/kubelet.conf" <<EOF
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: $ca_b64
    server: https://127.0.0.1:6443
  name: default-cluster
contexts:
- context:
    cluster: default-cluster
    namespace: default
    user: default-auth
  name: default-context
current-context: default-context
kind: Config
preferences: {}
users:
- name: default-auth
  user:
    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem
    client-key: /var/lib/kubelet/pki/kubelet-client-current.pem
EOF
        chmod 0600 "$r/etc/kubernetes/kubelet.conf"
        lab_apiserver_install
}

# The cluster's API server, as a joined node reaches it: the kube-apiserver STAND-IN
# (apiserver-standin) on 127.0.0.1:6443 of the node's network, a unit of the node's own systemd
# (so that it lives and dies with the node), serving a certificate of the lab CA for 127.0.0.1
# and accepting the node's client certificate. Its arguments are APISERVER_ARGS in
# /etc/default/apiserver-standin; lab_apiserver ARGS... changes them once the node runs.
lab_apiserver_install() {
        local r=$LAB_ROOT p=$LAB_DIR/pki s=$LAB_ROOT/var/lib/apiserver-standin
        mkdir -p "$s" || return 1
        lab_server_cert apiserver ca "$(date -u -d '-1 hour' +%Y%m%d%H%M%SZ)" \
                "$(date -u -d '+365 days' +%Y%m%d%H%M%SZ)" "IP:127.0.0.1,DNS:localhost" || return 1
        cp "$p/ca.crt" "$s/ca.crt" && cp "$p/apiserver.crt" "$p/apiserver.key" "$s/" || return 1
        cat >"$r/etc/systemd/system/apiserver-standin.service" <<EOF || return 1
# remedy node lab only: the cluster's API server, a STAND-IN (tests/lab/apiserver-standin).
[Unit]
Description=kube-apiserver STAND-IN for the remedy lab
# tests restart it with other arguments many times a minute
StartLimitIntervalSec=0
[Service]
EnvironmentFile=/etc/default/apiserver-standin
ExecStart=/usr/bin/python3 $LAB_LIB_DIR/apiserver-standin \$APISERVER_ARGS
[Install]
WantedBy=multi-user.target
EOF
        ln -sf /etc/systemd/system/apiserver-standin.service \
                "$r/etc/systemd/system/multi-user.target.wants/apiserver-standin.service" || return 1
        lab_apiserver_args
}

# lab_apiserver_args ARGS...: the stand-in's arguments, after the lab's own (its address, the
# lab's certificate and CA); a later --cert, --key, --client-ca wins.
lab_apiserver_args() {
        local s=/var/lib/apiserver-standin
        printf 'APISERVER_ARGS="--listen 127.0.0.1:6443 --cert %s --key %s --client-ca %s %s"\n' \
                "$s/apiserver.crt" "$s/apiserver.key" "$s/ca.crt" "$*" >"$LAB_ROOT/etc/default/apiserver-standin"
}

# lab_apiserver ARGS...: after boot, restarts the stand-in with these arguments and waits until
# it listens.
lab_apiserver() {
        local i
        lab_apiserver_args "$@"
        lab_run systemctl restart apiserver-standin.service || return 1
        for ((i = 0; i < 50; i++)); do
                lab_run python3 -c 'import socket; socket.create_connection(("127.0.0.1", 6443), 1)' 2>/dev/null && return 0
                sleep 0.1
        done
        lab_log "the API server stand-in does not listen: $(lab_run journalctl -u apiserver-standin -n 5 --no-pager -o cat)"
        return 1
}

# lab_server_cert NAME CA NOT-BEFORE NOT-AFTER SANS: a TLS server certificate (serverAuth,
# subjectAltName SANS such as "IP:127.0.0.1,DNS:localhost") that CA signed (the lab's "ca", or
# one lab_ca made): $LAB_DIR/pki/NAME.crt and NAME.key. Dates YYYYmmddHHMMSSZ, UTC.
lab_server_cert() {
        local name=$1 ca=$2 start=$3 end=$4 sans=$5 p=$LAB_DIR/pki db
        db=$p/db-$name
        mkdir -p "$db" && : >"$db/index.txt" && echo 2000 >"$db/serial" || return 1
        cat >"$db/ca.cnf" <<EOF
[ca]
default_ca = c
[c]
database = $db/index.txt
serial = $db/serial
new_certs_dir = $db
certificate = $p/$ca.crt
private_key = $p/$ca.key
default_md = sha256
policy = p
unique_subject = no
copy_extensions = none
x509_extensions = x
[p]
commonName = supplied
[x]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = $sans
EOF
        openssl req -newkey rsa:2048 -nodes -keyout "$p/$name.key" -out "$db/req.csr" -subj /CN=kube-apiserver \
                >/dev/null 2>&1 || { lab_log "openssl: server CSR"; return 1; }
        openssl ca -batch -config "$db/ca.cnf" -in "$db/req.csr" -out "$p/$name.crt" -notext \
                -startdate "$start" -enddate "$end" >"$db/log" 2>&1 || { lab_log "openssl ca:"; cat "$db/log" >&2; return 1; }
}

# lab_ca NAME CN: another CA ($LAB_DIR/pki/NAME.crt and NAME.key), for what the cluster does not
# trust.
lab_ca() {
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$LAB_DIR/pki/$1.key" -out "$LAB_DIR/pki/$1.crt" \
                -days 3650 -subj "/CN=$2" >/dev/null 2>&1 || { lab_log "openssl: CA $1"; return 1; }
}

# lab_kubelet_cert NOT-BEFORE NOT-AFTER (YYYYmmddHHMMSSZ, UTC): (re)issues the node's client
# certificate with that validity, e.g. an expired one for the cert-expiry scenario.
lab_kubelet_cert() {
        local r=$LAB_ROOT p=$LAB_DIR/pki start=$1 end=$2
        mkdir -p "$p/ca-db" || return 1
        : >"$p/ca-db/index.txt"
        [ -e "$p/ca-db/serial" ] || echo 1000 >"$p/ca-db/serial"
        cat >"$p/ca.cnf" <<EOF
[ca]
default_ca = lab_ca
[lab_ca]
database = $p/ca-db/index.txt
serial = $p/ca-db/serial
new_certs_dir = $p/ca-db
certificate = $p/ca.crt
private_key = $p/ca.key
default_md = sha256
policy = lab_policy
unique_subject = no
copy_extensions = none
x509_extensions = lab_client
[lab_policy]
organizationName = supplied
commonName = supplied
[lab_client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
EOF
        openssl req -newkey rsa:2048 -nodes -keyout "$p/client.key" -out "$p/client.csr" \
                -subj "/O=system:nodes/CN=system:node:$LAB_NODE_NAME" >/dev/null 2>&1 ||
                { lab_log "openssl: client CSR"; return 1; }
        openssl ca -batch -config "$p/ca.cnf" -in "$p/client.csr" -out "$p/client.crt" -notext \
                -startdate "$start" -enddate "$end" >"$p/ca.log" 2>&1 ||
                { lab_log "openssl ca failed:"; cat "$p/ca.log" >&2; return 1; }
        local stamp
        stamp=$(date -u +%Y-%m-%d-%H-%M-%S)
        cat "$p/client.crt" "$p/client.key" >"$r/var/lib/kubelet/pki/kubelet-client-$stamp.pem" || return 1
        chmod 0600 "$r/var/lib/kubelet/pki/kubelet-client-$stamp.pem"
        ln -sfn "/var/lib/kubelet/pki/kubelet-client-$stamp.pem" \
                "$r/var/lib/kubelet/pki/kubelet-client-current.pem"
}

# lab_node_kubeconfig OUT NOT-BEFORE NOT-AFTER [CN] (dates YYYYmmddHHMMSSZ, UTC): writes to the
# host path OUT the kubeconfig an operator makes on the control plane for this node with
# `kubeadm kubeconfig user --client-name=system:node:NODE --org system:nodes`: a new key and
# client certificate signed by the lab's CA, all embedded, the lab cluster's server. CN defaults
# to system:node:$LAB_NODE_NAME. Call after lab_setup.
lab_node_kubeconfig() {
        local out=$1 start=$2 end=$3 cn=${4:-system:node:$LAB_NODE_NAME} p=$LAB_DIR/pki d
        [ -f "$p/ca.cnf" ] || { lab_log "lab_node_kubeconfig before lab_setup"; return 1; }
        d=$(mktemp -d "$p/kubeconfig-XXXXXX") || return 1
        openssl req -newkey rsa:2048 -nodes -keyout "$d/client.key" -out "$d/client.csr" \
                -subj "/O=system:nodes/CN=$cn" >/dev/null 2>&1 || { lab_log "openssl: kubeconfig CSR"; return 1; }
        openssl ca -batch -config "$p/ca.cnf" -in "$d/client.csr" -out "$d/client.crt" -notext \
                -startdate "$start" -enddate "$end" >"$d/ca.log" 2>&1 ||
                { lab_log "openssl ca failed:"; cat "$d/ca.log" >&2; return 1; }
        # kubeadm's layout (cmd/kubeadm/app/util/kubeconfig: CreateWithCerts), cluster "kubernetes".
        cat >"$out" <<EOF || return 1
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: $(base64 -w0 "$p/ca.crt")
    server: https://127.0.0.1:6443
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: $cn
  name: $cn@kubernetes
current-context: $cn@kubernetes
kind: Config
preferences: {}
users:
- name: $cn
  user:
    client-certificate-data: $(base64 -w0 "$d/client.crt")
    client-key-data: $(base64 -w0 "$d/client.key")
EOF
        chmod 0600 "$out"
}

# containerd's own default configuration with the two edits every kubeadm install guide makes:
# SystemdCgroup = true (matching the kubelet's cgroupDriver: systemd) and Debian's CNI bin_dir.
lab_install_containerd_config() {
        local r=$LAB_ROOT
        mkdir -p "$r/etc/containerd" "$r/etc/cni/net.d" || return 1
        containerd config default >"$LAB_DIR/containerd-default.toml" 2>/dev/null || return 1
        sed -e 's/SystemdCgroup = false/SystemdCgroup = true/' \
            -e 's|bin_dir = "/opt/cni/bin"|bin_dir = "/usr/lib/cni"|' \
            "$LAB_DIR/containerd-default.toml" >"$r/etc/containerd/config.toml" || return 1
        containerd --config "$r/etc/containerd/config.toml" config dump 2>/dev/null |
                grep -q 'SystemdCgroup = true' || { lab_log "containerd config: SystemdCgroup not set"; return 1; }
}

# lab_containerd_systemd_cgroup true|false: containerd's effective runc SystemdCgroup.
lab_containerd_systemd_cgroup() {
        sed -i "s/SystemdCgroup = \(true\|false\)/SystemdCgroup = $1/" "$LAB_ROOT/etc/containerd/config.toml"
}

# lab_kubelet_config_set KEY VALUE: sets a top-level scalar of the kubelet's config.yaml.
lab_kubelet_config_set() {
        local f=$LAB_ROOT/var/lib/kubelet/config.yaml
        if grep -q "^$1:" "$f"; then
                sed -i "s|^$1:.*|$1: $2|" "$f"
        else
                echo "$1: $2" >>"$f"
        fi
}

# A working CNI configuration: the bridge + host-local + portmap chain from the CNI plugins'
# documentation, with Debian's plugins in /usr/lib/cni. Without it containerd logs
# "no network config found in /etc/cni/net.d", as on a node before its CNI DaemonSet runs.
lab_cni_config() {
        mkdir -p "$LAB_ROOT/etc/cni/net.d" || return 1
        cat >"$LAB_ROOT/etc/cni/net.d/10-lab-bridge.conflist" <<'EOF'
{
  "cniVersion": "1.0.0",
  "name": "lab-bridge",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "10.244.0.0/24" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    {
      "type": "portmap",
      "capabilities": { "portMappings": true }
    }
  ]
}
EOF
}

# lab_swap_on [LINE]: simulated active swap. A container cannot swapon, so the stand-in kubelet
# also reads /run/lab/swaps (in /proc/swaps format) - the lab's one simulated input. /run is a
# tmpfs inside the node, so a tmpfiles.d entry writes it at boot.
lab_swap_on() {
        local line=${1:-/swap.img                               file		2097148		0		-2}
        mkdir -p "$LAB_ROOT/etc/tmpfiles.d" || return 1
        printf 'd /run/lab 0755 root root -\nf /run/lab/swaps 0644 root root - %s\n' \
                "Filename				Type		Size		Used		Priority\\n$line\\n" \
                >"$LAB_ROOT/etc/tmpfiles.d/lab-swap.conf"
}

# lab_swap_off: no active swap, whatever the host has: lab_setup's default, so that a host with
# swap on does not make every lab kubelet fail.
lab_swap_off() {
        mkdir -p "$LAB_ROOT/etc/tmpfiles.d" || return 1
        printf 'd /run/lab 0755 root root -\nf /run/lab/swaps 0644 root root - %s\n' \
                "Filename				Type		Size		Used		Priority\\n" \
                >"$LAB_ROOT/etc/tmpfiles.d/lab-swap.conf"
}

# Host services that have nothing to do with a Kubernetes node would slow the boot and fill the
# journal: masked in the upper layer only.
lab_mask_host_services() {
        local d=$LAB_ROOT/etc/systemd/system u name
        mkdir -p "$d" || return 1
        for u in postgresql.service postgresql@.service docker.service docker.socket \
                 e2scrub_reap.service e2scrub_all.timer apt-daily.timer apt-daily-upgrade.timer \
                 man-db.timer dpkg-db-backup.timer fstrim.timer logrotate.timer \
                 systemd-pstore.service ssh.service cron.service; do
                ln -sfn /dev/null "$d/$u"
        done
        for u in "$d"/*.wants/*; do
                [ -e "$u" ] || [ -L "$u" ] || continue
                name=${u##*/}
                case $name in
                containerd.service|kubelet.service|systemd-*|getty@*|dbus*|remote-fs.target|machines.target) ;;
                *) [ -e "$d/$name" ] || ln -sfn /dev/null "$d/$name" ;;
                esac
        done
}

lab_setup() {
        lab_require
        LAB_DIR=$(mktemp -d "${LAB_TMPDIR:-/tmp}/remedy-lab-XXXXXX") || return 1
        lab_register_trap
        LAB_ROOT=$LAB_DIR/root
        LAB_CONSOLE=$LAB_DIR/console.log
        mkdir -p "$LAB_DIR/t" "$LAB_ROOT" || return 1
        mount -t tmpfs -o mode=0755 tmpfs "$LAB_DIR/t" || return 1
        mkdir "$LAB_DIR/t/upper" "$LAB_DIR/t/work" || return 1
        mount -t overlay overlay -o "lowerdir=/,upperdir=$LAB_DIR/t/upper,workdir=$LAB_DIR/t/work" "$LAB_ROOT" ||
                { umount "$LAB_DIR/t"; return 1; }
        : >"$LAB_ROOT/etc/machine-id"
        echo "$LAB_NODE_NAME" >"$LAB_ROOT/etc/hostname"
        lab_mask_host_services || return 1
        lab_install_containerd_config || return 1
        lab_install_kubelet || return 1
        lab_swap_off || return 1
}

# Chains lab_teardown in front of whatever EXIT trap the test set (tests/tree/lib.sh sets one).
lab_register_trap() {
        [ -n "$LAB_TRAP_SET" ] && return 0
        local prev parts=()
        prev=$(trap -p EXIT)
        eval "parts=($prev)"   # trap -- 'COMMAND' EXIT
        # A closed stdout or stderr must not kill the shell before the node is torn down.
        # shellcheck disable=SC2064 # the earlier trap's command is meant to be expanded now
        trap "trap '' PIPE; lab_teardown_all >&2; ${parts[2]:-}" EXIT
        trap 'exit 129' HUP
        trap 'exit 130' INT
        trap 'exit 141' PIPE
        trap 'exit 143' TERM
        LAB_TRAP_SET=1
}

# Each node gets its own cgroup. With --keep-unit the node's systemd takes the cgroup it is
# started in as its root and creates system.slice/... below it: two nodes started from the same
# cgroup (parallel tests; a host without systemd runs everything in "/") would share
# /system.slice/kubelet.service, and one node's systemd would kill or count the other's kubelet.
# Sets LAB_CGROUPS: the new directories, in the named systemd v1 hierarchy and the v2 one.
lab_cgroup_create() {
        local line mnt rel dir
        LAB_CGROUPS=()
        while read -r line; do
                mnt=${line%% *} rel=${line#* }
                dir=$mnt${rel%/}/remedy-lab-${LAB_DIR##*-}
                mkdir "$dir" 2>/dev/null || { lab_log "cannot create cgroup $dir: nodes started in parallel may interfere"; continue; }
                LAB_CGROUPS+=("$dir")
        done < <(awk '
                FILENAME == "/proc/self/cgroup" {
                        split($0, f, ":")
                        if (f[2] == "name=systemd") v1 = substr($0, length(f[1] f[2]) + 3)
                        if (f[1] == "0" && f[2] == "") v2 = substr($0, 4)
                        next
                }
                {
                        for (i = 1; $i != "-"; i++) ;
                        if ($(i + 1) == "cgroup2") v2mnt = $5
                        if ($(i + 1) == "cgroup" && $(i + 3) ~ /(^|,)name=systemd(,|$)/) v1mnt = $5
                }
                END {
                        if (v1mnt != "" && v1 != "") print v1mnt " " v1
                        if (v2mnt != "" && v2 != "") print v2mnt " " v2
                }' /proc/self/cgroup /proc/self/mountinfo)
}

# Removes the node's cgroups once nothing runs in them (the node's systemd leaves empty ones).
lab_cgroup_remove() {
        local d
        for d in "${LAB_CGROUPS[@]}"; do
                [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
        done
        return 0
}

# The node's PID 1 among systemd-nspawn's children: nspawn first forks a short-lived helper
# that is not in the node's PID namespace; PID 1 there is "1" at the end of its NSpid line, and
# it is ours once it has exec'd systemd.
lab_find_init() {
        local c
        for c in $(pgrep -P "$1"); do
                awk '$1 == "NSpid:" && $NF == 1 { f = 1 } END { exit !f }' "/proc/$c/status" 2>/dev/null || continue
                [ "$(cat "/proc/$c/comm" 2>/dev/null)" = systemd ] || continue
                echo "$c"
                return 0
        done
}

lab_boot() {
        [ -n "$LAB_ROOT" ] || { lab_log "lab_boot before lab_setup"; return 1; }
        [ -z "$LAB_INIT" ] || { lab_log "already booted"; return 1; }
        local binds=() d
        for d in "${SOURCE_ROOT:-}" "$(dirname "$(dirname "${REMEDY:-/}")")"; do
                [ -n "$d" ] && [ "$d" != / ] && [ -d "$d" ] && binds+=("--bind-ro=$d")
        done
        # LAB_PRIVATE_NETWORK=1: the node gets its own network namespace with only a loopback
        # interface: no default route, as a node whose network is not up yet.
        [ "${LAB_PRIVATE_NETWORK:-0}" = 1 ] && binds+=(--private-network)
        [ -n "${LAB_NETNS:-}" ] && binds+=("--network-namespace-path=$LAB_NETNS")
        lab_register_trap
        lab_cgroup_create
        (
                for d in "${LAB_CGROUPS[@]}"; do echo "$BASHPID" >"$d/cgroup.procs" || exit 1; done
                exec systemd-nspawn -D "$LAB_ROOT" -b --register=no --keep-unit --link-journal=no \
                        --console=read-only --machine="$LAB_NODE_NAME" "${binds[@]}"
        ) >"$LAB_CONSOLE" 2>&1 &
        LAB_NSPAWN=$!
        local i
        for ((i = 0; i < 200; i++)); do
                LAB_INIT=$(lab_find_init "$LAB_NSPAWN")
                [ -n "$LAB_INIT" ] && break
                kill -0 "$LAB_NSPAWN" 2>/dev/null || break
                sleep 0.05
        done
        if [ -z "$LAB_INIT" ]; then
                lab_log "systemd-nspawn did not start the node:"; sed 's/^/#   /' "$LAB_CONSOLE" >&2
                lab_teardown >&2
                return 1
        fi
        LAB_PIDNS=$(readlink "/proc/$LAB_INIT/ns/pid")
        # Until systemd has set up its own namespaces and the bus, systemctl cannot answer.
        local state=
        for ((i = 0; i < LAB_BOOT_TIMEOUT * 10; i++)); do
                state=$(timeout 5 nsenter -t "$LAB_INIT" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
                        systemctl is-system-running 2>/dev/null)
                case $state in running|degraded) break ;; esac
                kill -0 "$LAB_NSPAWN" 2>/dev/null || break
                sleep 0.1
        done
        case $state in
        running|degraded) return 0 ;;
        esac
        lab_log "the node did not finish booting (state \"$state\"); console:"
        sed 's/^/#   /' "$LAB_CONSOLE" >&2
        return 1
}

# lab_run CMD...: runs CMD inside the node with a clean environment; its exit status.
lab_run() {
        local envs=(PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 SYSTEMD_PAGER=cat SYSTEMD_COLORS=0)
        [ -n "${ASAN_OPTIONS:-}" ] && envs+=("ASAN_OPTIONS=$ASAN_OPTIONS")
        [ -n "${UBSAN_OPTIONS:-}" ] && envs+=("UBSAN_OPTIONS=$UBSAN_OPTIONS")
        [ -n "${LSAN_OPTIONS:-}" ] && envs+=("LSAN_OPTIONS=$LSAN_OPTIONS")
        if [ -n "${LAB_VM_SOCK:-}" ]; then   # a VM node (vm.sh)
                "$LAB_LIB_DIR/vm-run" "$LAB_VM_SOCK" "${envs[@]}" -- "$@"
                return
        fi
        nsenter -t "$LAB_INIT" -a -r -w env -i "${envs[@]}" "$@"
}

# lab_unit_prop UNIT PROPERTY: one property's value, e.g. ActiveState, NRestarts.
lab_unit_prop() {
        lab_run systemctl show -p "$2" --value "$1"
}

lab_nrestarts() { lab_unit_prop "$1" NRestarts; }

# lab_wait_unit UNIT STATE TIMEOUT-SECONDS: waits for ActiveState == STATE.
lab_wait_unit() {
        local unit=$1 want=$2 i state=
        for ((i = 0; i < $3 * 10; i++)); do
                state=$(lab_unit_prop "$unit" ActiveState)
                [ "$state" = "$want" ] && return 0
                sleep 0.1
        done
        lab_log "$unit is \"$state\", not \"$want\", after $3 s"
        return 1
}

# lab_wait_restarts UNIT N TIMEOUT-SECONDS: waits until NRestarts >= N.
lab_wait_restarts() {
        local unit=$1 n=$2 i got=
        for ((i = 0; i < $3 * 10; i++)); do
                got=$(lab_nrestarts "$unit")
                [ -n "$got" ] && [ "$got" -ge "$n" ] && return 0
                sleep 0.1
        done
        lab_log "$unit NRestarts is \"$got\", not >= $n, after $3 s"
        return 1
}

# lab_journal UNIT: the unit's journal messages this boot.
lab_journal() {
        lab_run journalctl -b --no-pager -o cat -u "$1"
}

# lab_wait_journal UNIT TEXT TIMEOUT-SECONDS: waits until the unit's journal holds TEXT.
lab_wait_journal() {
        local i
        for ((i = 0; i < $3 * 5; i++)); do
                lab_journal "$1" 2>/dev/null | grep -qF -- "$2" && return 0
                sleep 0.2
        done
        lab_log "no \"$2\" in the journal of $1 after $3 s"
        return 1
}

# What the lab left behind, one line each; nothing when clean.
lab_leftovers() {
        local p
        [ -n "$LAB_NSPAWN" ] && kill -0 "$LAB_NSPAWN" 2>/dev/null && echo "process: systemd-nspawn $LAB_NSPAWN"
        [ -n "${LAB_VM_QEMU:-}" ] && kill -0 "$LAB_VM_QEMU" 2>/dev/null && echo "process: qemu $LAB_VM_QEMU"
        # While the node's init lives its PID namespace does, so the inode cannot have been
        # reused; once it is dead, the kernel has killed everything else in the namespace.
        if [ -n "$LAB_INIT" ] && [ "$(readlink "/proc/$LAB_INIT/ns/pid" 2>/dev/null)" = "$LAB_PIDNS" ]; then
                for p in /proc/[0-9]*; do
                        [ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$LAB_PIDNS" ] &&
                                echo "process: ${p#/proc/} $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)"
                done
        fi
        for p in "${LAB_CGROUPS[@]}"; do
                [ -d "$p" ] && echo "cgroup: $p"
        done
        [ -n "$LAB_DIR" ] && awk -v d="$LAB_DIR" '$5 == d || index($5, d "/") == 1 { print "mount: " $5 }' /proc/self/mountinfo
        [ -n "$LAB_DIR" ] && [ -e "$LAB_DIR" ] && echo "directory: $LAB_DIR"
        return 0
}

# Powers the node off (SIGKILL after 10 s), unmounts, removes LAB_DIR. Idempotent. Returns 1
# and says what is left when something could not be removed.
lab_teardown() {
        local i left
        if [ -n "$LAB_NSPAWN" ] && kill -0 "$LAB_NSPAWN" 2>/dev/null; then
                [ -n "$LAB_INIT" ] && timeout 5 nsenter -t "$LAB_INIT" -a systemctl poweroff --no-block >/dev/null 2>&1
                for ((i = 0; i < 100; i++)); do
                        kill -0 "$LAB_NSPAWN" 2>/dev/null || break
                        sleep 0.1
                done
                if kill -0 "$LAB_NSPAWN" 2>/dev/null; then
                        lab_log "the node did not power off in 10 s: killing it"
                        # SIGKILL to the namespace's init kills every process in the namespace.
                        [ -n "$LAB_INIT" ] && kill -9 "$LAB_INIT" 2>/dev/null
                        kill -9 "$LAB_NSPAWN" 2>/dev/null
                        sleep 0.2
                fi
        fi
        [ -n "$LAB_NSPAWN" ] && wait "$LAB_NSPAWN" 2>/dev/null
        declare -F lab_vm_teardown >/dev/null && lab_vm_teardown
        lab_cgroup_remove
        if [ -n "$LAB_DIR" ]; then
                # -R: a VM node has remedy's directories bound below its root (vm.sh).
                mountpoint -q "$LAB_ROOT" && umount -R "$LAB_ROOT"
                mountpoint -q "$LAB_DIR/t" && umount "$LAB_DIR/t"
                # Never remove through a mount: LAB_ROOT is the host's root underneath.
                if ! awk -v d="$LAB_DIR" '$5 == d || index($5, d "/") == 1 { f = 1 } END { exit !f }' /proc/self/mountinfo; then
                        rm -rf --one-file-system "$LAB_DIR"
                fi
        fi
        left=$(lab_leftovers)
        if [ -n "$left" ]; then
                lab_log "teardown left behind:"
                echo "$left" | sed 's/^/#   /' >&2
                return 1
        fi
        LAB_INIT='' LAB_NSPAWN='' LAB_PIDNS='' LAB_DIR='' LAB_ROOT='' LAB_CGROUPS=()
        return 0
}
