# SPDX-License-Identifier: MIT
# The tree kubelet-rotate-kubeconfig has work on (for fault-matrix.sh): the sample node with its
# kubelet certificate expired and a new kubeconfig for node01 in /root. fm_prepare DIR prints
# the node's path; FM_ARGS are the apply arguments.
. "$(dirname "${BASH_SOURCE[0]}")/../pki.sh"

FM_ARGS=(--set kubeconfig=/root/node01.conf)

fm_prepare() {
        pki="$1/pki"
        mkdir -p "$pki"
        make_ca ca kubernetes &&
                make_cert expired ca "/O=system:nodes/CN=system:node:node01" "$(ago '-400 days')" "$(ago '-35 days')" &&
                make_cert good ca "/O=system:nodes/CN=system:node:node01" "$(ago '-1 hour')" "$(ago '+365 days')" || return 1
        local n
        n=$(expired_node)
        make_kubeconfig "$n/root/node01.conf" ca good good https://192.0.2.1:6443 system:node:node01
        echo "$n"
}
