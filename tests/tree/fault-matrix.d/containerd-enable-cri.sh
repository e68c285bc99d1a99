# SPDX-License-Identifier: MIT
# The tree containerd-enable-cri has work on (for fault-matrix.sh): the sample node with the
# config.toml Docker's containerd.io package installs (disabled_plugins = ["cri"]). fm_prepare DIR
# prints the node's path.
fm_prepare() {
        local n
        n=$(new_node broken-node)
        cp "$FIXTURES/real-world/containerd/docker-containerd.io-package-containerd.toml" "$n/etc/containerd/config.toml"
        echo "$n"
}
