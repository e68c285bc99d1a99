#!/bin/bash
# SPDX-License-Identifier: MIT
# A kubelet installed without a package, offline (issue 11): a release binary in /usr/local/bin,
# run by a drop-in's ExecStart= (kubespray's and EKS's way), no dpkg or RPM database entry. remedy
# must read the version from the binary the unit runs and judge the flags for it. The binaries are
# the CRAFTED ELF files of tests/fixtures/kubelet-binary/ (sections copied from real Kubernetes
# release builds; see make-crafted.py there): a kubelet 1.29.14 built with Go 1.22 (version only
# in the linker's -X gitVersion string) and a 1.33.1 built with Go 1.24 (also in the module
# information).
. "$(dirname "$0")/lib.sh"

bin="$FIXTURES/kubelet-binary"

node=$(new_node broken-node)
rm "$node/var/lib/dpkg/status"
# Flags of the 1.2x era: --network-plugin went in 1.24, --container-runtime in 1.27; 1.29 rejects
# both and still accepts --pod-infra-container-image (removed in 1.35).
sed -i 's|^KUBELET_KUBEADM_ARGS="|&--network-plugin=cni --container-runtime=remote |' "$node/var/lib/kubelet/kubeadm-flags.env"
mkdir -p "$node/usr/local/bin" "$node/etc/systemd/system/kubelet.service.d"
install -m 0755 "$bin/kubelet-v1.29.14-go1.22" "$node/usr/local/bin/kubelet"
cat >"$node/etc/systemd/system/kubelet.service.d/20-local-bin.conf" <<'UNIT'
[Service]
ExecStart=
ExecStart=/usr/local/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
UNIT
before=$(snapshot "$node")

run --root="$node" --playbooks="$PLAYBOOKS" --json diagnose
is "$(jq -r '[.kubelet_command_line.args[] | select(.accepted == false) | .word] | join(" ")' <<<"$OUT")" \
   "--network-plugin=cni --container-runtime=remote --improve-speed --network-plugin=cni" \
   "diagnose: kubelet 1.29.14, read from the binary the unit runs, rejects the three flags (and the sample's own in /etc/default/kubelet)"

run --root="$node" --playbooks="$PLAYBOOKS" plan kubelet-strip-flags
is "$RC" 0 "plan exits 0"
is "$(grep '^+KUBELET_KUBEADM_ARGS' <<<"$OUT")" \
   '+KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.10.1"' \
   "plan removes the three flags kubelet 1.29 rejects, and keeps --pod-infra-container-image, which it accepts"
lacks "$OUT" "not judged" "every flag is judged"

run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" apply kubelet-strip-flags
is "$RC" 0 "apply exits 0"
run --root="$node" --playbooks="$PLAYBOOKS" plan --exit-code kubelet-strip-flags
is "$RC" 0 "nothing left to do"
run --root="$node" --backup-dir="$WORK/store" rollback --last
is "$(snapshot "$node")" "$before" "rollback restores the node byte for byte"

# The same binary where kubeadm's unit looks for it, no drop-in: /usr/bin/kubelet.
rm -r "$node/etc/systemd/system/kubelet.service.d" "$node/usr/local/bin/kubelet"
mkdir -p "$node/usr/bin"
install -m 0755 "$bin/kubelet-v1.33.1-go1.24" "$node/usr/bin/kubelet"
run --root="$node" --playbooks="$PLAYBOOKS" plan kubelet-strip-flags
is "$(grep '^+KUBELET_KUBEADM_ARGS' <<<"$OUT")" \
   '+KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.10.1"' \
   "/usr/bin/kubelet 1.33.1 (Go 1.24 build): the same three removed"

# Not a kubelet the rule knows (a wrapper script): no version, so only what no kubelet accepts.
printf '#!/bin/sh\nexec /opt/kubernetes/kubelet "$@"\n' >"$node/usr/bin/kubelet"
run --root="$node" --playbooks="$PLAYBOOKS" plan kubelet-strip-flags
is "$RC" 0 "a wrapper script: plan exits 0"
contains "$OUT" "not judged" "and names the flags it cannot judge without a version"
contains "$OUT" "--container-runtime=remote" "--container-runtime among them"

# diagnose's fix line works as printed: it carries the --set the fix needs on this node, and says
# what the operator must supply and why remedy could not.
run --root="$node" --playbooks="$PLAYBOOKS" diagnose
contains "$OUT" "fix:     remedy --root=$node apply kubelet-strip-flags --set kubelet_version=" \
         "no version on the node: the fix line asks for kubelet_version"
contains "$OUT" "supply:  kubelet_version" "and a line says what to supply"
contains "$OUT" "no version in the kubelet binary" "and why remedy could not read it"
run --root="$node" --playbooks="$PLAYBOOKS" --json diagnose
is "$(jq -r '.findings[] | select(.playbook == "kubelet-strip-flags") | .fix' <<<"$OUT")" \
   "remedy --root=$node apply kubelet-strip-flags --set kubelet_version=..." "--json: the same fix command"
is "$(jq -r '.findings[] | select(.playbook == "kubelet-strip-flags") | .supply[0].param' <<<"$OUT")" \
   "kubelet_version" "--json: supply names the parameter"
lacks "$(jq -r '.findings[] | select(.playbook != "kubelet-strip-flags") | .fix' <<<"$OUT")" "kubelet_version" \
      "playbooks without that parameter do not get it"

# With the version readable, the fix line needs nothing more.
install -m 0755 "$bin/kubelet-v1.29.14-go1.22" "$node/usr/bin/kubelet"
run --root="$node" --playbooks="$PLAYBOOKS" diagnose
contains "$OUT" "fix:     remedy --root=$node apply kubelet-strip-flags"$'\n' "version read: the fix line is the plain command"
lacks "$OUT" "supply:" "and nothing to supply"

done_testing
