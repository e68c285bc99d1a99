# SPDX-License-Identifier: MIT
# The tree kubelet-feature-gates has work on (for fault-matrix.sh): the sample node with a gate
# kubelet 1.30 no longer has in --feature-gates of kubeadm-flags.env and one in featureGates: of
# config.yaml, so that apply writes two files.
FM_ARGS=(--set kubelet_version=1.30)

fm_prepare() {
        local n
        n=$(new_node broken-node)
        printf 'KUBELET_KUBEADM_ARGS="--feature-gates=KubeletCredentialProviders=true,GracefulNodeShutdown=true"\n' \
                >"$n/var/lib/kubelet/kubeadm-flags.env" &&
                printf 'featureGates:\n  SeccompDefault: true\n' >>"$n/var/lib/kubelet/config.yaml" || return 1
        echo "$n"
}
