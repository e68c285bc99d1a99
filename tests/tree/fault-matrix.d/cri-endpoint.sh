# SPDX-License-Identifier: MIT
# The tree cri-endpoint has work on (for fault-matrix.sh): the sample node with Debian's
# containerd.service, disabled, and kubeadm-flags.env naming a socket containerd does not listen
# on. fm_prepare DIR prints the node's path.
fm_prepare() {
        local n
        n=$(new_node broken-node)
        printf '[Unit]\nDescription=containerd container runtime\n[Service]\nExecStart=/usr/bin/containerd\nType=notify\n[Install]\nWantedBy=multi-user.target\n' \
                >"$n/lib/systemd/system/containerd.service"
        sed -i 's|unix:///var/run/containerd/containerd.sock|unix:///run/containerd/old.sock|' "$n/var/lib/kubelet/kubeadm-flags.env"
        echo "$n"
}
