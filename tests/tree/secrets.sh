#!/bin/bash
# SPDX-License-Identifier: MIT
# Secrets are never printed: planted credentials (private keys in kubeconfigs of every YAML style
# and in JSON, passwords and tokens in drop-ins, env files, TOML, parameters and the kubelet's
# command line) must not appear in any output - plan, apply, rollback, diagnose, backups show; text
# and --json; stdout and stderr - while the node gets them byte for byte.
. "$(dirname "$0")/lib.sh"

[ -n "${WORK:-}" ] && [ -d "$WORK" ] || { echo "Bail out! no work directory"; exit 1; }
pki="$WORK/pki"
mkdir -p "$pki"
. "$(dirname "$0")/pki.sh"
server=https://192.0.2.1:6443

make_ca ca kubernetes; ok $? "CA made"
make_cert expired ca "/O=system:nodes/CN=system:node:node01" "$(ago '-400 days')" "$(ago '-35 days')"; ok $? "expired node certificate"
make_cert good ca "/O=system:nodes/CN=system:node:node01" "$(ago '-1 hour')" "$(ago '+365 days')"; ok $? "new node certificate"

key=$(base64 -w0 "$pki/good.key")
crt=$(base64 -w0 "$pki/good.crt")
ca=$(base64 -w0 "$pki/ca.crt")
# The base64 of "-----BEGIN PRIVATE KEY-----" is the same in every key: look for the key's own bytes.
key_body=${key:60:48}
user=system:node:node01

PLANTS=(SECRET-PLANT-1 SECRET-PLANT-2 SECRET-PLANT-3 SECRET-PLANT-4 SECRET-PLANT-5 SECRET-PLANT-6
        SECRET-PLANT-7 SECRET-PLANT-8 "$key_body")

# assert_no_plant WHAT: none of the planted secrets in $OUT or $ERR.
assert_no_plant() {
        local leaked=
        for p in "${PLANTS[@]}"; do
                if grep -qF -- "$p" <<<"$OUT$ERR"; then leaked="$leaked $p"; fi
        done
        is "${leaked:-none}" none "$1: no planted secret printed"
        [ -z "$leaked" ] || echo "$OUT$ERR" | grep -F -e SECRET-PLANT -e "$key_body" | head -5 | sed 's/^/#   /'
}

# run_both WHAT ARGS...: the command in text and in --json, each checked.
run_both() {
        local what=$1; shift
        run "$@"
        assert_no_plant "$what"
        local rc=$RC
        run --json "$@"
        assert_no_plant "$what --json"
        RC_TEXT=$rc
}

# ---- Kubeconfigs in every style ---------------------------------------------------------------
write_kubeconfigs() {   # write_kubeconfigs DIR
        local d=$1
        printf '{"apiVersion":"v1","kind":"Config","clusters":[{"name":"kubernetes","cluster":{"server":"%s","certificate-authority-data":"%s"}}],"contexts":[{"name":"c","context":{"cluster":"kubernetes","user":"%s"}}],"current-context":"c","users":[{"name":"%s","user":{"client-certificate-data":"%s","client-key-data":"%s"}}]}\n' \
                "$server" "$ca" "$user" "$user" "$crt" "$key" >"$d/json.conf"
        cat >"$d/flow.conf" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: kubernetes, cluster: {server: "$server", certificate-authority-data: $ca}}]
contexts: [{name: c, context: {cluster: kubernetes, user: "$user"}}]
current-context: c
users: [{name: "$user", user: {client-certificate-data: $crt, client-key-data: $key}}]
EOF
        cat >"$d/escaped.conf" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kubernetes
  cluster: {server: "$server", certificate-authority-data: $ca}
contexts:
- {name: c, context: {cluster: kubernetes, user: "$user"}}
current-context: c
users:
- name: "$user"
  user:
    client-certificate-data: $crt
    "client-key-\u0064ata":
      $key
EOF
        cat >"$d/escaped-x.conf" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kubernetes
  cluster: {server: "$server", certificate-authority-data: $ca}
contexts:
- {name: c, context: {cluster: kubernetes, user: "$user"}}
current-context: c
users:
- name: "$user"
  user: {client-certificate-data: $crt, "client\x2dkey-data": "$key"}
EOF
        cat >"$d/explicit.conf" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kubernetes
  cluster: {server: "$server", certificate-authority-data: $ca}
contexts:
- {name: c, context: {cluster: kubernetes, user: "$user"}}
current-context: c
users:
- name: "$user"
  user:
    client-certificate-data: $crt
    ? client-key-data
    : $key
EOF
}

for style in json flow escaped escaped-x explicit; do
        node=$(expired_node)
        write_kubeconfigs "$node/root"
        store="$WORK/store-$style"
        run_both "plan ($style kubeconfig)" --root="$node" --playbooks="$PLAYBOOKS" plan kubelet-rotate-kubeconfig \
                --set kubeconfig=/root/$style.conf
        is "$RC_TEXT" 0 "plan ($style kubeconfig) accepts it"
        run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply kubelet-rotate-kubeconfig \
                --set kubeconfig=/root/$style.conf
        is "$RC" 0 "apply ($style kubeconfig) exits 0"
        assert_no_plant "apply ($style kubeconfig)"
        cmp -s "$node/root/$style.conf" "$node/etc/kubernetes/kubelet.conf"; ok $? "the node got the $style kubeconfig byte for byte"
        run_both "rollback --dry-run ($style kubeconfig)" --root="$node" --backup-dir="$store" rollback --dry-run --last
        run --json --root="$node" --backup-dir="$store" rollback --last
        is "$RC" 0 "rollback ($style kubeconfig) --json exits 0"
        assert_no_plant "rollback --json ($style kubeconfig)"
done

# ---- Passwords and tokens: drop-in, TOML, parameters, the kubelet's command line --------------
node=$(expired_node)
store="$WORK/store-env"
pb="$WORK/playbooks"
mkdir -p "$pb"
cp "$PLAYBOOKS"/*.yaml "$pb/"
cat >"$pb/plant-secrets.yaml" <<'EOF'
name: plant-secrets
summary: Write credentials where remedy shows what it changes
params:
  db_password: {type: string}
  proxy: {type: string}
  api_token: {type: string}
  registry_password: {type: string}
  numeric_token: {type: int, default: 1}
steps:
  - name: A drop-in with credentials in its environment
    dropin:
      unit: kubelet.service
      name: 30-credentials.conf
      content: |
        [Service]
        Environment="DB_PASSWORD={{ db_password }}"
        Environment=HTTPS_PROXY={{ proxy }}
        Environment=API_TOKEN={{ api_token }}
  - name: The registry's password
    toml-set:
      path: /etc/containerd/config.toml
      table: plugins."io.containerd.grpc.v1.cri".registry.configs."registry.example".auth
      key: password
      value: "{{ registry_password }}"
EOF
cat >>"$node/etc/containerd/config.toml" <<'EOF'

[plugins."io.containerd.grpc.v1.cri".registry.configs."registry.example".auth]
  username = "puller"
  password = "SECRET-PLANT-5"
EOF
cat >"$node/etc/default/kubelet" <<'EOF'
KUBELET_EXTRA_ARGS="--node-ip=192.0.2.10 --network-plugin=cni --registry-password=SECRET-PLANT-6 --token SECRET-PLANT-7"
EOF
set_args=(--set db_password=SECRET-PLANT-1 --set proxy=http://puller:SECRET-PLANT-2@proxy.example:3128
          --set api_token=SECRET-PLANT-3 --set registry_password=SECRET-PLANT-4)

run_both "plan plant-secrets" --root="$node" --playbooks="$pb" plan plant-secrets "${set_args[@]}"
is "$RC_TEXT" 0 "plan plant-secrets exits 0"
contains "$OUT" "<redacted>" "plan says a secret is there"
# A refused value is quoted in the one-line error (stderr, and the JSON error document).
run_both "plan with a refused value" --root="$node" --playbooks="$pb" plan plant-secrets "${set_args[@]}" \
        --set numeric_token=SECRET-PLANT-8
is "$RC_TEXT" 2 "a value that is no integer is refused"
contains "$ERR" "numeric_token" "the error names the parameter"
run_both "plan kubelet-strip-flags" --root="$node" --playbooks="$pb" plan kubelet-strip-flags --set kubelet_version=1.30
contains "$OUT" "--network-plugin" "the kubelet-flags note names the rejected flag"
run_both "diagnose" --root="$node" --playbooks="$pb" diagnose
contains "$OUT" "--node-ip" "diagnose --json shows the kubelet's command line"
run_both "fix --dry-run" --root="$node" --playbooks="$pb" fix --yes --dry-run --set kubelet_version=1.30
contains "$OUT" "kubelet-strip-flags" "fix --dry-run --json plans the flags' fix"

run --root="$node" --playbooks="$pb" --backup-dir="$store" apply plant-secrets "${set_args[@]}"
is "$RC" 0 "apply plant-secrets exits 0"
assert_no_plant "apply plant-secrets"
contains "$(cat "$node/etc/systemd/system/kubelet.service.d/30-credentials.conf")" 'Environment="DB_PASSWORD=SECRET-PLANT-1"' \
        "the drop-in on the node holds the password itself"
contains "$(cat "$node/etc/containerd/config.toml")" 'password = "SECRET-PLANT-4"' "config.toml on the node holds the new password"
id=$("$REMEDY" --root="$node" --backup-dir="$store" --json backups list | jq -r '.backups[0].id')
run_both "backups show" --root="$node" --backup-dir="$store" backups show "$id"
contains "$OUT" "registry_password" "backups show names the parameters"
run_both "backups list" --root="$node" --backup-dir="$store" backups list
run_both "rollback --dry-run plant-secrets" --root="$node" --backup-dir="$store" rollback --dry-run --last
run --root="$node" --backup-dir="$store" rollback --last
is "$RC" 0 "rollback plant-secrets exits 0"
assert_no_plant "rollback plant-secrets"
done_testing
