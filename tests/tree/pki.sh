# SPDX-License-Identifier: MIT
# Certificates and kubeconfigs made with the openssl CLI as kubeadm makes them, for the tree
# tests, so that nothing expires in the repository. Set pki=DIR before use.

# make_ca NAME CN: NAME.key, NAME.crt
make_ca() {
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$pki/$1.key" \
                -out "$pki/$1.crt" -days 3650 -subj "/CN=$2" 2>/dev/null
}

# make_cert NAME CA SUBJECT NOT-BEFORE NOT-AFTER: NAME.key, NAME.crt (a client certificate as the
# kubeadm CA issues it: clientAuth, not a CA).
make_cert() {
        local name=$1 ca=$2 subj=$3 start=$4 end=$5 db="$pki/db-$1"
        mkdir -p "$db" && : >"$db/index.txt" && echo 1000 >"$db/serial"
        cat >"$db/ca.cnf" <<EOF
[ca]
default_ca = c
[c]
database = $db/index.txt
serial = $db/serial
new_certs_dir = $db
certificate = $pki/$ca.crt
private_key = $pki/$ca.key
default_md = sha256
policy = p
unique_subject = no
x509_extensions = x
[p]
organizationName = optional
commonName = supplied
[x]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
EOF
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$pki/$name.key" \
                -out "$db/req.csr" -subj "$subj" 2>/dev/null &&
        openssl ca -batch -config "$db/ca.cnf" -in "$db/req.csr" -out "$pki/$name.crt" -notext \
                -startdate "$start" -enddate "$end" >"$db/log" 2>&1
}

# make_kubeconfig OUT CA CERT KEY SERVER USER: kubeadm's layout with embedded credentials.
make_kubeconfig() {
        cat >"$1" <<EOF
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: $(base64 -w0 "$pki/$2.crt")
    server: $5
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: $6
  name: $6@kubernetes
current-context: $6@kubernetes
kind: Config
preferences: {}
users:
- name: $6
  user:
    client-certificate-data: $(base64 -w0 "$pki/$3.crt")
    client-key-data: $(base64 -w0 "$pki/$4.key")
EOF
}

ago() { date -u -d "$1" +%Y%m%d%H%M%SZ; }

# expired_node: a copy of the broken sample node as the kubelet leaves it after TLS bootstrap,
# with its certificate expired (needs ca and expired made, and lib.sh's new_node).
expired_node() {
        local n
        n=$(new_node broken-node)
        rm -f "$n"/var/lib/kubelet/pki/kubelet-client-*
        cat "$pki/expired.crt" "$pki/expired.key" >"$n/var/lib/kubelet/pki/kubelet-client-2025-01-01-00-00-00.pem"
        chmod 0600 "$n/var/lib/kubelet/pki/kubelet-client-2025-01-01-00-00-00.pem"
        ln -s /var/lib/kubelet/pki/kubelet-client-2025-01-01-00-00-00.pem "$n/var/lib/kubelet/pki/kubelet-client-current.pem"
        sed -i "s|certificate-authority-data: .*|certificate-authority-data: $(base64 -w0 "$pki/ca.crt")|" "$n/etc/kubernetes/kubelet.conf"
        chmod 0600 "$n/etc/kubernetes/kubelet.conf"
        mkdir -m 0700 "$n/root"
        echo "$n"
}


# renew_node_cert NODE: the node's kubelet-client pem (the sample nodes' 2025-01-01 one) replaced
# by a certificate valid now for its /etc/hostname, issued by a CA made here ("ca", once) that its
# kubelet.conf then trusts: a node whose credentials agree (the join check finds nothing).
renew_node_cert() {
        local n=$1 name
        pki=${pki:-$WORK/pki}
        mkdir -p "$pki" && { [ -e "$pki/ca.crt" ] || make_ca ca kubernetes; } || return 1
        name=$(cat "$n/etc/hostname")
        make_cert "$name" ca "/O=system:nodes/CN=system:node:$name" "$(ago '-1 hour')" "$(ago '+30 days')" &&
                cat "$pki/$name.crt" "$pki/$name.key" >"$n/var/lib/kubelet/pki/kubelet-client-2025-01-01-00-00-00.pem" &&
                sed -i "s|certificate-authority-data: .*|certificate-authority-data: $(base64 -w0 "$pki/ca.crt")|" \
                        "$n/etc/kubernetes/kubelet.conf"
}
