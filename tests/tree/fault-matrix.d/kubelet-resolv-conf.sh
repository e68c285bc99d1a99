# SPDX-License-Identifier: MIT
# The tree kubelet-resolv-conf has work on (for fault-matrix.sh): the sample node's kubelet on its
# default /etc/resolv.conf, a link to systemd-resolved's stub (127.0.0.53), and resolved's
# upstream file there. fm_prepare DIR prints the node's path.
fm_prepare() {
        local n
        n=$(new_node broken-node)
        sed -i '/^resolvConf:/d' "$n/var/lib/kubelet/config.yaml"
        mkdir -p "$n/run/systemd/resolve"
        printf 'nameserver 127.0.0.53\n' >"$n/run/systemd/resolve/stub-resolv.conf"
        printf 'nameserver 192.0.2.53\n' >"$n/run/systemd/resolve/resolv.conf"
        ln -sfn ../run/systemd/resolve/stub-resolv.conf "$n/etc/resolv.conf"
        echo "$n"
}
