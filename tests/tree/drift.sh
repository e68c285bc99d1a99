#!/bin/bash
# SPDX-License-Identifier: MIT
# remedy snapshot and remedy drift on copies of the sample node: the snapshot is one YAML document
# (read back by PyYAML) or JSON (read by jq) saying the same, byte-identical when taken twice,
# with each kubelet value's file and line or the flag that set it, and no secret in it. drift
# compares the node with a real kubeadm kubelet-config ConfigMap (tests/fixtures/drift/SOURCES),
# a bare KubeletConfiguration in JSON (tests/fixtures/real-world/SOURCES) and another node's
# snapshot: each differing field with both values and their sources, node-specific fields apart,
# the playbook that repairs a drift, the kubelet's defaults and zero values not counted as drift;
# exit 0 without drift, 1 with, 2 with one line for a baseline that is not one.
. "$(dirname "$0")/lib.sh"

CM=$FIXTURES/drift/kubeadm-1.27-kubelet-config-cm.yaml
node=$(new_node broken-node)

# --- snapshot: one document, YAML or JSON, deterministic -------------------------------------
run --root="$node" snapshot
is "$RC" 0 "snapshot: exit 0"
yaml=$OUT
printf '%s\n' "$OUT" >"$WORK/a.yaml"
python3 -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); assert isinstance(d, dict)' "$WORK/a.yaml"
ok $? "snapshot: PyYAML reads the document"
run --root="$node" snapshot
is "$OUT" "$yaml" "snapshot: a second snapshot of the same node is byte-identical"
run --root="$node" --json snapshot
is "$RC" 0 "snapshot --json: exit 0"
printf '%s\n' "$OUT" >"$WORK/a.json"
jq -e . "$WORK/a.json" >/dev/null
ok $? "snapshot --json: jq reads the document"
json=$OUT
run --root="$node" --json snapshot
is "$OUT" "$json" "snapshot --json: byte-identical twice"
python3 -c 'import sys, json, yaml; sys.exit(yaml.safe_load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' \
        "$WORK/a.yaml" "$WORK/a.json"
ok $? "snapshot: the YAML and the JSON say the same (0s, 127.0.0.1 and versions stay strings)"

is "$(jq -r .kubelet.config.cgroupDriver "$WORK/a.json")" cgroupfs "snapshot: the kubelet's effective cgroupDriver"
is "$(jq -r .kubelet.sources.cgroupDriver "$WORK/a.json")" /var/lib/kubelet/config.yaml:15 \
        "snapshot: with the file and line it comes from"
is "$(jq -r '.kubelet.config.authentication.x509.clientCAFile' "$WORK/a.json")" /etc/kubernetes/pki/ca.crt \
        "snapshot: nested fields as the KubeletConfiguration nests them"
is "$(jq -r '.kubelet.sources["authentication.x509.clientCAFile"]' "$WORK/a.json")" /var/lib/kubelet/config.yaml:9 \
        "snapshot: a nested field's source by its dotted path"
is "$(jq -r '.kubelet.sources.containerRuntimeEndpoint' "$WORK/a.json")" \
        "--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock at /var/lib/kubelet/kubeadm-flags.env:1" \
        "snapshot: a field a flag sets names the flag and its line"
is "$(jq -r '.kubelet.config.healthzPort | type' "$WORK/a.json")" number "snapshot: a number stays a number"
is "$(jq -r '.kubelet.config.syncFrequency' "$WORK/a.json")" 0s "snapshot: a duration as written"
is "$(jq -r '[.kubelet.flags[] | select(.flag == "improve-speed") | .accepted] | .[0]' "$WORK/a.json")" false \
        "snapshot: a flag this kubelet refuses is marked"
is "$(jq -r '.containerd.runtimes.runc.type, .containerd.runtimes.runc.systemd_cgroup, .containerd.default_runtime' "$WORK/a.json" | tr '\n' ' ')" \
        "io.containerd.runc.v2 false runc " "snapshot: containerd's runtimes with type and SystemdCgroup"
is "$(jq -r '.containerd.cni_conf_dir, .containerd.cni_bin_dirs[0], .containerd.grpc_address' "$WORK/a.json" | tr '\n' ' ')" \
        "/etc/cni/net.d /opt/cni/bin /run/containerd/containerd.sock " "snapshot: CNI directories and gRPC address"
is "$(jq -r .containerd.sandbox_image "$WORK/a.json")" "$(sed -n 's/^ *sandbox_image = "\(.*\)"/\1/p' "$node/etc/containerd/config.toml")" \
        "snapshot: containerd's sandbox image, from config.toml"
is "$(jq -r '.units["kubelet.service"].unit_file_state' "$WORK/a.json")" enabled "snapshot: offline, the unit file state"
is "$(jq -r '.units["containerd.service"].unit_file_state' "$WORK/a.json")" not-found "snapshot: a unit without a unit file"
is "$(jq -r .packages.kubelet.version "$WORK/a.json")" 1.33.1-1.1 "snapshot: the kubelet package's version"

# Secrets: a variable and a flag that hold credentials are masked in both forms.
secret_node=$(new_node broken-node)
echo 'AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"' >>"$secret_node/etc/default/kubelet"
sed -i 's|KUBELET_EXTRA_ARGS="|KUBELET_EXTRA_ARGS="--registry-password=hunter2hunter2 |' "$secret_node/etc/default/kubelet"
run --root="$secret_node" snapshot
lacks "$OUT" "wJalrXUtnFEMI" "snapshot: a secret variable's value is not printed"
lacks "$OUT" "hunter2hunter2" "snapshot: a secret flag's value is not printed"
contains "$OUT" "<redacted>" "snapshot: ... it says <redacted> instead"
contains "$OUT" "AWS_SECRET_ACCESS_KEY" "snapshot: ... under the variable's name"
run --root="$secret_node" --json snapshot
lacks "$OUT" "wJalrXUtnFEMI" "snapshot --json: no secret either"
lacks "$OUT" "hunter2hunter2" "snapshot --json: no secret flag value either"

# --- drift against kubeadm's ConfigMap --------------------------------------------------------
run --root="$node" drift --baseline="$CM"
is "$RC" 1 "drift against the ConfigMap: exit 1"
contains "$OUT" "  kubelet.cgroupDriver
    node:     cgroupfs (/var/lib/kubelet/config.yaml:15)
    baseline: systemd ($CM:18)
    fix:      remedy apply cgroup-driver-systemd" "drift: the path, the node's value and source, the baseline's line, the playbook"
lacks "$OUT" "syncFrequency" "drift: 0s on both sides is not drift"
lacks "$OUT" "containerRuntimeEndpoint" "drift: \"\" (the default, /run/containerd) against the flag's /var/run/containerd is not drift"
lacks "$OUT" "imageMaximumGCAge" "drift: a field absent from the ConfigMap and at its default on the node is not drift"
lacks "$OUT" "infoBufferSize" "drift: logging's defaults are not drift"
contains "$OUT" "node-specific, not drift" "drift: node-specific fields are shown apart"
contains "$OUT" "  kubelet.resolvConf" "drift: resolvConf, which kubeadm sets per node, is one of them"
run --root="$node" --json drift --baseline="$CM"
is "$RC" 1 "drift --json: exit 1"
printf '%s\n' "$OUT" >"$WORK/drift.json"
is "$(jq -r '[.drift[].path] | join(" ")' "$WORK/drift.json")" "kubelet.cgroupDriver" "drift --json: the one drifting field"
is "$(jq -r '.drift[0].node.source, .drift[0].baseline.value, .drift[0].playbook' "$WORK/drift.json" | tr '\n' ' ')" \
        "/var/lib/kubelet/config.yaml:15 systemd cgroup-driver-systemd " "drift --json: source, baseline value, playbook"
is "$(jq -r '[.node_specific[].path] | join(" ")' "$WORK/drift.json")" \
        "kubelet.resolvConf" "drift --json: node-specific fields apart (clientCAFile is the same on both)"
is "$(jq -r .baseline_kind "$WORK/drift.json")" "kubeadm kubelet-config ConfigMap" "drift --json: the baseline's kind"

# The node brought to the cluster's configuration: no drift.
synced=$(new_node broken-node)
sed -i 's/^cgroupDriver: cgroupfs/cgroupDriver: systemd/' "$synced/var/lib/kubelet/config.yaml"
run --root="$synced" drift --baseline="$CM"
is "$RC" 0 "drift: a node that agrees with the ConfigMap: exit 0"
contains "$OUT" "no drift" "drift: ... and says so"

# A second real kubeadm ConfigMap, of another cluster and kubeadm (tests/fixtures/drift/SOURCES:
# acmeofmanas/k8s-custom, no containerRuntimeEndpoint field, resolvConf set): the same one drift.
CM2=$FIXTURES/drift/kubeadm-kubelet-config-cm-k8s-custom.yaml
run --root="$node" --json drift --baseline="$CM2"
is "$RC" 1 "drift against a second real ConfigMap: exit 1"
is "$(jq -r '[.drift[] | "\(.path)=\(.baseline.value)@\(.baseline.source)"] | join(" ")' <<<"$OUT")" \
        "kubelet.cgroupDriver=systemd@$CM2:18" "drift: the one drifting field, the baseline's value and line"
run --root="$synced" drift --baseline="$CM2"
is "$RC" 0 "drift: the node brought to the cluster's cgroupDriver agrees with this ConfigMap too"

# The same configuration in another form: a JSON string (kubectl -o json) and a bare
# KubeletConfiguration.
python3 - "$CM" "$WORK/cm.json" <<'PY'
import json, sys, yaml
json.dump(yaml.safe_load(open(sys.argv[1])), open(sys.argv[2], "w"), indent=4)
PY
run --root="$synced" drift --baseline="$WORK/cm.json"
is "$RC" 0 "drift: the ConfigMap as kubectl -o json prints it reads the same"
python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["data"]["kubelet"], end="")' "$CM" >"$WORK/bare.yaml"
run --root="$synced" drift --baseline="$WORK/bare.yaml"
is "$RC" 0 "drift: data.kubelet alone, a KubeletConfiguration file, reads the same"

# A flag that overrides a config field is named as the source.
flagged=$(new_node broken-node)
sed -i 's|KUBELET_EXTRA_ARGS="|KUBELET_EXTRA_ARGS="--cgroup-driver=systemd |' "$flagged/etc/default/kubelet"
run --root="$flagged" --json snapshot
printf '%s\n' "$OUT" >"$WORK/flagged.json"
is "$(jq -r .kubelet.config.cgroupDriver "$WORK/flagged.json")" systemd "snapshot: the flag's value wins over config.yaml's"
is "$(jq -r .kubelet.sources.cgroupDriver "$WORK/flagged.json")" "--cgroup-driver=systemd at /etc/default/kubelet:3" \
        "snapshot: the flag named as the source"
run --root="$flagged" drift --baseline="$WORK/a.yaml"
is "$RC" 1 "drift against the unflagged node's snapshot: exit 1"
contains "$OUT" "  kubelet.cgroupDriver
    node:     systemd (--cgroup-driver=systemd at /etc/default/kubelet:3)
    baseline: cgroupfs ($WORK/a.yaml:" "drift: the flag as the node's source, the snapshot's line as the baseline's"
contains "$OUT" "set there by /var/lib/kubelet/config.yaml:15)" "drift: ... and where the other node set it"
run --root="$flagged" drift --baseline="$CM"
is "$RC" 0 "drift: the flag brings the node to the ConfigMap's cgroupDriver"

# --- drift between nodes: snapshots ------------------------------------------------------------
twin=$(new_node broken-node)
run --root="$twin" drift --baseline="$WORK/a.yaml"
is "$RC" 0 "drift: an identical node against the snapshot: exit 0"
contains "$OUT" "no drift" "drift: identical nodes, no drift"
run --root="$twin" drift --baseline="$WORK/a.json"
is "$RC" 0 "drift: the JSON snapshot as the baseline: exit 0"

other=$(new_node broken-node)
sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' "$other/etc/containerd/config.toml"
sed -i 's/--node-ip=192.0.2.10/--node-ip=192.0.2.11/' "$other/etc/default/kubelet"
sed -i '0,/^Version: 1.33.1-1.1/s//Version: 1.34.2-1.1/' "$other/var/lib/dpkg/status"
sed -i 's/^syncFrequency: 0s/syncFrequency: 1m0s/; s/^clusterDNS:/maxPods: 110\nclusterDNS:/' "$other/var/lib/kubelet/config.yaml"
run --root="$other" --json snapshot
printf '%s\n' "$OUT" >"$WORK/other.json"
run --root="$node" --json drift --baseline="$WORK/other.json"
is "$RC" 1 "drift against another node's snapshot: exit 1"
printf '%s\n' "$OUT" >"$WORK/nodes.json"
is "$(jq -r '[.drift[].path] | join(" ")' "$WORK/nodes.json")" \
        "containerd.runtimes.runc.systemd_cgroup packages.kubelet" \
        "drift: containerd's SystemdCgroup and the kubelet's version; maxPods 110 and syncFrequency 1m are the defaults"
is "$(jq -r '.drift[] | select(.path == "containerd.runtimes.runc.systemd_cgroup") | .playbook' "$WORK/nodes.json")" \
        cgroup-driver-systemd "drift: SystemdCgroup on in the baseline names cgroup-driver-systemd"
is "$(jq -r '.drift[] | select(.path == "packages.kubelet") | .node.value + " " + .baseline.value' "$WORK/nodes.json")" \
        "1.33.1-1.1 1.34.2-1.1" "drift: both versions"
is "$(jq -r '[.node_specific[].path] | join(" ")' "$WORK/nodes.json")" "kubelet.flags.node-ip" \
        "drift: --node-ip differs, and is node-specific"

# A snapshot of a node whose kubelet configuration could not be read is no baseline.
printf 'cgroupDriver: [\n' >"$other/var/lib/kubelet/config.yaml"
run --root="$other" snapshot
printf '%s\n' "$OUT" >"$WORK/unreadable.yaml"
run --root="$node" drift --baseline="$WORK/unreadable.yaml"
is "$RC" 2 "drift: a snapshot without the kubelet's configuration as the baseline: exit 2"
contains "$ERR" "could not be read there" "drift: ... saying why"

# A bare KubeletConfiguration in JSON (EKS AL2's): failSwapOn false names kubelet-allow-swap.
run --root="$node" --json drift --baseline="$FIXTURES/real-world/kubelet-config/eks-al2-kubelet-config.json"
is "$RC" 1 "drift against EKS's kubelet-config.json: exit 1"
printf '%s\n' "$OUT" >"$WORK/eks.json"
is "$(jq -r '.drift[] | select(.path == "kubelet.failSwapOn") | .playbook' "$WORK/eks.json")" kubelet-allow-swap \
        "drift: failSwapOn false in the baseline names kubelet-allow-swap"
is "$(jq -r '[.drift[].path] | map(select(. == "kubelet.cgroupDriver" or . == "kubelet.authentication.webhook.cacheTTL")) | length' "$WORK/eks.json")" 0 \
        "drift: cgroupfs on both sides, and 2m0s against kubeadm's 0s (the default 2m), are not drift"
is "$(jq -r '.drift[] | select(.path == "kubelet.featureGates.NodeSwap") | .baseline.value' "$WORK/eks.json")" false \
        "drift: a feature gate the baseline sets, by its path"

# --- bad baselines: exit 2, one line naming the file and line ------------------------------------
printf 'apiVersion: v1\nkind: ConfigMap\ndata:\n  kubelet: |\n    kind: KubeletConfiguration\n    cgroupDriver: [systemd\n' >"$WORK/broken-cm.yaml"
printf 'apiVersion: v1\nkind: Secret\ndata: {}\n' >"$WORK/secret.yaml"
printf 'kind: KubeletConfiguration\ncgroupDriver: systemd\n  x: y\n' >"$WORK/bad.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\ndata:\n  other: x\n' >"$WORK/nokubelet.yaml"
for bad in broken-cm.yaml secret.yaml bad.yaml nokubelet.yaml; do
        run --root="$node" drift --baseline="$WORK/$bad"
        is "$RC" 2 "drift: a bad baseline ($bad): exit 2"
        is "$(grep -c . <<<"$ERR")" 1 "drift: ... one line"
        contains "$ERR" "remedy: $WORK/$bad:" "drift: ... naming the file"
        is "$OUT" "" "drift: ... and nothing on stdout"
done
run --root="$node" drift --baseline="$WORK/secret.yaml"
contains "$ERR" "$WORK/secret.yaml:2: not a kubelet-config ConfigMap, a KubeletConfiguration or a remedy snapshot" \
        "drift: a ConfigMap of another kind: its kind's line"
run --root="$node" drift --baseline="$WORK/broken-cm.yaml"
contains "$ERR" "$WORK/broken-cm.yaml:7: data.kubelet does not parse:" "drift: an error inside data.kubelet: the file's line"
run --root="$node" drift --baseline="$WORK/missing.yaml"
is "$RC" 2 "drift: a baseline that is not there: exit 2"
run --root="$node" drift
is "$RC" 2 "drift without --baseline: exit 2"
contains "$ERR" "--baseline=FILE" "drift without --baseline: says what is missing"

# A node whose kubelet configuration cannot be read cannot be compared.
broken=$(new_node broken-node)
printf 'cgroupDriver: [\n' >"$broken/var/lib/kubelet/config.yaml"
run --root="$broken" drift --baseline="$CM"
is "$RC" 2 "drift: the node's config.yaml does not parse: exit 2"
contains "$ERR" "/var/lib/kubelet/config.yaml:" "drift: ... naming the node's file and line"
run --root="$broken" snapshot
is "$RC" 0 "snapshot: a config.yaml that does not parse is in the document, not a failure"
contains "$OUT" "error: " "snapshot: ... as an error member"

done_testing
