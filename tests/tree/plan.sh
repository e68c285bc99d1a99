#!/bin/bash
# SPDX-License-Identifier: MIT
# plan on the bundled broken node: the expected diffs, nothing written (not even a lock or a
# backup directory), --exit-code, --json, and plans that are faithful across steps.
. "$(dirname "$0")/lib.sh"

node=$(new_node broken-node)
before=$(snapshot "$node")

run --root="$node" --playbooks="$PLAYBOOKS" plan cgroup-driver-systemd cni-placeholder kubelet-strip-flags kubelet-wait-online
is "$RC" 0 "plan of every shipped playbook exits 0"
contains "$OUT" "-            SystemdCgroup = false" "diff removes SystemdCgroup = false"
contains "$OUT" "+            SystemdCgroup = true" "diff adds SystemdCgroup = true"
contains "$OUT" "-cgroupDriver: cgroupfs" "diff removes cgroupDriver: cgroupfs"
contains "$OUT" "+cgroupDriver: systemd" "diff adds cgroupDriver: systemd"
contains "$OUT" '+KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.10.1"' "--improve-speed removed from kubeadm-flags.env"
contains "$OUT" '+KUBELET_EXTRA_ARGS="--node-ip=192.0.2.10"' "--network-plugin (removed in 1.24) dropped from KUBELET_EXTRA_ARGS"
contains "$OUT" "--- /dev/null" "new files diff against /dev/null"
contains "$OUT" '+        "subnet": "10.244.0.0/16"' "placeholder conflist with the default subnet"
contains "$OUT" "network-online.target.wants/systemd-networkd-wait-online.service → /lib/systemd/system/systemd-networkd-wait-online.service" "wait-online enabled as systemctl --root would"
contains "$OUT" "+After=network-online.target" "kubelet drop-in orders after network-online.target"
contains "$OUT" "skipped" "restarts are skipped offline"
contains "$OUT" "Nothing was changed (dry run)" "plan says it changed nothing"
is "$(snapshot "$node")" "$before" "plan left the tree byte for byte as it was"
test ! -e "$node/var/lib/remedy"; ok $? "plan created no backup directory or lock file"

run --root="$node" --playbooks="$PLAYBOOKS" plan --exit-code cgroup-driver-systemd
is "$RC" 1 "plan --exit-code exits 1 with changes pending"

run --root="$node" --playbooks="$PLAYBOOKS" plan cni-placeholder --set subnet=10.10.0.0/16
contains "$OUT" '"subnet": "10.10.0.0/16"' "--set reaches the template"

run --root="$node" --playbooks="$PLAYBOOKS" --json plan cgroup-driver-systemd
is "$RC" 0 "plan --json exits 0"
yaml_step='.playbooks[0].steps[] | select(.action == "kubelet-config-set")'
is "$(jq -r "$yaml_step | .status" <<<"$OUT")" "change" "JSON: the kubelet-config-set step is a change"
is "$(jq -r '[.playbooks[0].steps[] | select(.name | contains("runtime")) | .note] | join(",")' <<<"$OUT")" \
   'SystemdCgroup = true in [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options] of /etc/containerd/config.toml (was false)' \
   "JSON: the runtime step says what it sets, where, and what it was"
is "$(jq -r "$yaml_step | .files[0].path" <<<"$OUT")" "/var/lib/kubelet/config.yaml" "JSON: the file it changes"
jq -e "$yaml_step | .files[0].diff | contains(\"+cgroupDriver: systemd\")" <<<"$OUT" >/dev/null; ok $? "JSON carries the diff"
is "$(jq -r '.summary.change' <<<"$OUT")" "2" "JSON summary counts the changes (SystemdCgroup, cgroupDriver)"

# A plan is faithful across steps: step 2 edits the file step 1 creates, step 3 adds a drop-in
# for the unit step 1 creates; the plan shows the end state without writing anything.
pb="$WORK/pb-chain"; mkdir -p "$pb"
cat > "$pb/chain.yaml" <<'YAML'
name: chain
summary: steps that build on each other
steps:
  - name: create a config
    file: {path: /etc/chain/config.yaml, content: "a: 1\n"}
  - name: edit the config created by the first step
    yaml-set: {path: /etc/chain/config.yaml, key: b, value: two}
  - name: a unit file
    file: {path: /etc/systemd/system/chain.service, content: "[Service]\nExecStart=/bin/true\n"}
  - name: a drop-in for it
    dropin: {unit: chain.service, name: 10-x.conf, content: "[Service]\nNice=5\n"}
YAML
run --root="$node" --playbooks="$pb" plan chain
is "$RC" 0 "chained plan exits 0"
contains "$OUT" "+b: two" "the edit of a planned file is shown"
lacks "$OUT" "failed" "no step fails because its input does not exist yet"
test ! -e "$node/etc/chain"; ok $? "chained plan wrote nothing"
# Secrets never reach the output: a kubeconfig with an embedded client key and a PEM private key.
secret_key="c2VjcmV0LWtleS1ieXRlcy10aGF0LW11c3Qtbm90LWxlYWs="
pem_body="MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgSECRETSECRET"
cat > "$WORK/new-kubelet.conf" <<KUBECONFIG
apiVersion: v1
kind: Config
users:
- name: system:node:node01
  user:
    client-certificate-data: Y2VydGlmaWNhdGU=
    client-key-data: $secret_key
KUBECONFIG
printf -- '-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n' "$pem_body" > "$WORK/key.pem"
cat > "$pb/secrets.yaml" <<'YAML'
name: secrets
summary: install files holding private keys
params:
  kubeconfig: {type: path, default: /nonexistent}
  key: {type: path, default: /nonexistent}
steps:
  - name: install the kubeconfig
    copy: {src: "{{ kubeconfig }}", dest: /etc/kubernetes/kubelet.conf, mode: "0600"}
  - name: install a key
    copy: {src: "{{ key }}", dest: /etc/kubernetes/pki/extra.key, mode: "0600"}
YAML
for mode in --no-color --json; do
        run --root="$node" --playbooks="$pb" $mode plan secrets --set kubeconfig="$WORK/new-kubelet.conf" --set key="$WORK/key.pem"
        is "$RC" 0 "plan $mode of files with secrets exits 0"
        lacks "$OUT" "$secret_key" "plan $mode does not print client-key-data"
        lacks "$OUT" "$pem_body" "plan $mode does not print the PEM private key"
        contains "$OUT" "redacted" "plan $mode says a secret is there"
done

is "$(snapshot "$node")" "$before" "tree unchanged after all plans"

# A playbook's advice heads its part of the report, in text and JSON, and `show`.
run --root="$node" --playbooks="$PLAYBOOKS" plan cgroup-driver-systemd
contains "$OUT" "advice: drain the node first" "plan shows cgroup-driver-systemd's advice to drain the node"
run --root="$node" --playbooks="$PLAYBOOKS" --json plan cgroup-driver-systemd
is "$(jq -r '.playbooks[0].advice | startswith("drain the node first")' <<<"$OUT")" true "and in JSON"
run --playbooks="$PLAYBOOKS" show cgroup-driver-systemd
contains "$OUT" "advice: drain the node first" "show shows it"

done_testing
