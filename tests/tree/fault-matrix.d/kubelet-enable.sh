# SPDX-License-Identifier: MIT
# The tree kubelet-enable has work on (for fault-matrix.sh): the sample node with kubelet.service
# masked and not enabled. fm_prepare DIR prints the node's path.
fm_prepare() {
        local n
        n=$(new_node broken-node)
        rm "$n/etc/systemd/system/multi-user.target.wants/kubelet.service"
        ln -s /dev/null "$n/etc/systemd/system/kubelet.service"
        echo "$n"
}
