# SPDX-License-Identifier: MIT
# The tree sandbox-image has work on (for fault-matrix.sh): the sample node, with an image given
# (offline containerd's image store is not read, so without one the playbook changes nothing).
# fm_prepare DIR prints the node's path; FM_ARGS are the apply arguments.
FM_ARGS=(--set image=registry.k8s.io/pause:3.10.1)

fm_prepare() {
        new_node broken-node
}
