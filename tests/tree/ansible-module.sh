#!/bin/bash
# SPDX-License-Identifier: MIT
# The remedy.node.remedy Ansible module (contrib/ansible) on sample node trees, through Debian's
# ansible-playbook on the local connection with the module's `root:` (remedy --root): check mode
# is remedy's plan and changes nothing, --diff shows remedy's diffs with secrets masked, params
# and secret_params become --set (secret ones never in Ansible's output), apply returns the backup
# ID and is idempotent, rolled_back restores the tree (--dry-run in check mode), a failed
# verification is rolled back by remedy and fails the task (or, with no_rollback, fails it and
# keeps the changes), a refused run fails the task with remedy's own error, and diagnosed returns
# the findings without failing. The three-node rolling repair over SSH is lab-scenario-ansible.
. "$(dirname "$0")/lib.sh"

if ! command -v ansible-playbook >/dev/null 2>&1; then
        [ "${CI:-}" = true ] && { echo "1..1"; echo "not ok 1 - no ansible-playbook under CI=true"; exit 1; }
        echo "1..0 # SKIP no ansible-playbook (Debian's ansible)"
        exit 0
fi

mkdir -p "$WORK/home" && : >"$WORK/ansible.cfg"

# play ROOT YAML-TASK-ARGS [ansible-playbook ARGS...]: one task of the module on ROOT; sets OUT
# (the json callback's document), ALL (stdout and stderr), RC, and R (the task's result).
play() {
        local root=$1 args=$2
        shift 2
        cat >"$WORK/play.yml" <<EOF
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: remedy
      remedy.node.remedy:
        root: "$root"
        backup_dir: "$root.store"
        binary: "$REMEDY"
        playbook_dirs: ["${PBDIR:-$PLAYBOOKS}"]
$(sed 's/^/        /' <<<"$args")
EOF
        OUT=$(cd "$WORK" && HOME="$WORK/home" ANSIBLE_CONFIG="$WORK/ansible.cfg" \
                ANSIBLE_COLLECTIONS_PATH="$SOURCE_ROOT/contrib/ansible" ANSIBLE_STDOUT_CALLBACK=json \
                ANSIBLE_LOCAL_TEMP="$WORK/home/tmp" ANSIBLE_REMOTE_TEMP="$WORK/home/remote-tmp" ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=False \
                ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 \
                ansible-playbook -i localhost, "$WORK/play.yml" "$@" 2>"$WORK/err") && RC=0 || RC=$?
        ALL="$OUT$(cat "$WORK/err")"
        # -v lines come before the json callback's document.
        R=$(sed -n '/^{$/,$p' <<<"$OUT" | jq -c '.plays[0].tasks[0].hosts.localhost' 2>/dev/null)
        [ -n "$R" ] || echo "# ansible-playbook: $(head -c 2000 <<<"$ALL")"
}
field() { jq -r "$1" <<<"$R"; }
stores() { find "$1.store" -maxdepth 1 -name '*.json' 2>/dev/null | wc -l; }

# ---- check mode and diff --------------------------------------------------------------------
node=$(new_node broken-node)
before=$(snapshot "$node")
play "$node" 'playbooks: [cgroup-driver-systemd]' --check --diff
is "$RC" 0 "--check --diff exits 0"
is "$(field .changed)" true "check mode: changed (changes pending)"
is "$(field .outcome)" planned "check mode: remedy plan"
is "$(field '.cmd | index("plan") != null')" true "check mode ran remedy plan"
contains "$(field .diff.prepared)" "+            SystemdCgroup = true" "--diff: remedy's diff of config.toml"
contains "$(field .diff.prepared)" "+cgroupDriver: systemd" "--diff: and of the kubelet's config.yaml"
is "$(snapshot "$node")" "$before" "check mode changed nothing in the tree"
is "$(stores "$node")" 0 "check mode made no transaction"

play "$node" 'playbooks: [cgroup-driver-systemd]' --check
is "$(field '.diff // "none"')" none "without --diff no diff is returned"

# ---- apply, idempotence, rollback by ID -----------------------------------------------------
play "$node" 'playbooks: [cgroup-driver-systemd]' --diff
is "$RC" 0 "apply exits 0"
is "$(field .changed)" true "apply: changed"
is "$(field .outcome)" applied "apply: remedy's outcome"
backup=$(field .backup_id)
ok "$([[ $backup =~ ^[0-9]{8}T[0-9]{6}Z-[0-9a-f]+$ ]]; echo $?)" "apply returns the backup ID ($backup)"
contains "$(field .diff.prepared)" "+            SystemdCgroup = true" "apply --diff: the diff"
contains "$(cat "$node/etc/containerd/config.toml")" "SystemdCgroup = true" "the tree is fixed"
after=$(snapshot "$node")

play "$node" 'playbooks: [cgroup-driver-systemd]' --diff
is "$RC" 0 "apply again exits 0"
is "$(field '.diff // "none"')" none "apply again --diff: no diff (nothing changes)"
is "$(field .changed)" false "apply again: not changed (nothing to do)"
is "$(field .outcome)" nothing-to-do "apply again: remedy's outcome"

play "$node" "state: rolled_back
backup_id: $backup" --check --diff
is "$(field .changed)" true "rolled_back in check mode: changed (a rollback pending)"
is "$(field '.cmd | index("--dry-run") != null')" true "rolled_back in check mode: remedy rollback --dry-run"
contains "$(field .diff.prepared)" "+            SystemdCgroup = false" "rolled_back --diff: the diff back"
is "$(snapshot "$node")" "$after" "rolled_back in check mode changed nothing"

play "$node" "state: rolled_back
backup_id: $backup"
is "$RC" 0 "rolled_back exits 0"
is "$(field .changed)" true "rolled_back: changed"
is "$(field .backup_id)" "$backup" "rolled_back: that transaction"
is "$(snapshot "$node")" "$before" "rolled_back: the tree is as it was, byte for byte"
play "$node" "state: rolled_back
backup_id: $backup"
is "$(field .changed)" false "rolled_back again: not changed (already rolled back)"
play "$node" 'state: rolled_back'
is "$RC" 0 "rolled_back without an ID (--last), nothing left: exits 0"
is "$(field .changed)" false "rolled_back --last with nothing to roll back: not changed"

# ---- refused: remedy's error, nothing changed -----------------------------------------------
play "$node" 'playbooks: [cgroup-driver-systemd]
params: {no_such_param: 1}'
is "$RC" 2 "an unknown parameter: ansible-playbook fails"
is "$(field .failed)" true "the task failed"
is "$(field .changed)" false "and changed nothing"
is "$(field .exit_status)" 2 "remedy's exit status 2"
contains "$(field .msg)" "no_such_param" "the message is remedy's error, naming the parameter"
is "$(snapshot "$node")" "$before" "nothing changed in the tree"
play "$node" 'playbooks: [no-such-playbook]' --check
is "$(field .failed)" true "an unknown playbook fails in check mode too"
contains "$(field .msg)" 'no playbook "no-such-playbook"' "with remedy's error"

# ---- a verification that fails: remedy rolls back; no_rollback keeps ------------------------
PBDIR=$WORK/playbooks
mkdir -p "$PBDIR"
cat >"$PBDIR/verify-fails.yaml" <<'EOF'
name: verify-fails
summary: Writes a file, then verifies something that is never there
safety: confirm
steps:
  - name: A marker
    file: {path: /etc/remedy-ansible-marker, content: "marker\n"}
verify:
  - file: {path: /etc/remedy-ansible-marker, contains: "^never$"}
EOF
play "$node" 'playbooks: [verify-fails]'
is "$RC" 2 "verification fails: ansible-playbook fails"
is "$(field .failed)" true "the task failed"
is "$(field .rolled_back)" true "remedy rolled back by itself"
is "$(field .outcome)" rolled-back "remedy's outcome is rolled-back"
is "$(field .changed)" false "not changed: the tree is as it was"
is "$(snapshot "$node")" "$before" "the tree is byte for byte as before"

play "$node" 'playbooks: [verify-fails]
no_rollback: true'
is "$(field .failed)" true "no_rollback: the task still fails"
is "$(field .changed)" true "no_rollback: changed (the changes were kept)"
is "$(field .rolled_back)" false "no_rollback: not rolled back"
kept=$(field .backup_id)
contains "$(field .msg)" "$kept" "no_rollback: the message names the backup ID to roll back"
is "$(cat "$node/etc/remedy-ansible-marker")" marker "no_rollback: the change stays"
play "$node" "state: rolled_back
backup_id: $kept"
is "$(field .changed)" true "and rolled_back with that ID undoes it"
is "$(snapshot "$node")" "$before" "the tree is as before"

# ---- secrets: remedy's masked diff, secret_params kept out of Ansible's output --------------
cp "$PLAYBOOKS"/*.yaml "$PBDIR/"
cat >"$PBDIR/plant-secrets.yaml" <<'EOF'
name: plant-secrets
summary: Write credentials where remedy shows what it changes
safety: confirm
params:
  registry_password: {type: string}
  username: {type: string}
steps:
  - name: A drop-in with a credential in its environment
    dropin:
      unit: kubelet.service
      name: 30-credentials.conf
      content: |
        [Service]
        Environment="DB_PASSWORD={{ registry_password }}"
  - name: The registry's password
    toml-set:
      path: /etc/containerd/config.toml
      table: plugins."io.containerd.grpc.v1.cri".registry.configs."registry.example".auth
      key: password
      value: "{{ registry_password }}"
  - name: The registry's user
    toml-set:
      path: /etc/containerd/config.toml
      table: plugins."io.containerd.grpc.v1.cri".registry.configs."registry.example".auth
      key: username
      value: "{{ username }}"
EOF
cat >>"$node/etc/containerd/config.toml" <<'EOF'

[plugins."io.containerd.grpc.v1.cri".registry.configs."registry.example".auth]
  username = "puller"
  password = "SECRET-PLANT-ON-NODE"
EOF
before=$(snapshot "$node")
play "$node" 'playbooks: [plant-secrets]
params: {username: pusher}
secret_params: {registry_password: SECRET-PLANT-PARAM}' --check --diff -vvv
is "$RC" 0 "plant-secrets --check --diff exits 0"
is "$(field .changed)" true "changed"
contains "$(field .diff.prepared)" "30-credentials.conf" "the diff shows the drop-in"
contains "$(field .diff.prepared)" '+  username = "pusher"' "and the plain parameter's change"
contains "$(field '.cmd | join(" ")')" "username=pusher" "params become --set KEY=VALUE"
contains "$(field '.cmd | join(" ")')" "registry_password=********" "secret_params become --set, masked in cmd"
leaked=$(grep -oF -e SECRET-PLANT-PARAM -e SECRET-PLANT-ON-NODE <<<"$ALL" | sort -u | tr '\n' ' ')
is "${leaked:-none}" none "no secret anywhere in ansible-playbook's output (-vvv, json, diff, invocation)"
is "$(snapshot "$node")" "$before" "check mode changed nothing"

play "$node" 'playbooks: [plant-secrets]
params: {username: pusher}
secret_params: {registry_password: SECRET-PLANT-PARAM}' --diff -vvv
is "$RC" 0 "plant-secrets applied"
contains "$(cat "$node/etc/containerd/config.toml")" 'password = "SECRET-PLANT-PARAM"' "the node got the secret value"
leaked=$(grep -oF -e SECRET-PLANT-PARAM -e SECRET-PLANT-ON-NODE <<<"$ALL" | sort -u | tr '\n' ' ')
is "${leaked:-none}" none "apply: no secret in ansible-playbook's output"
PBDIR=

# ---- diagnosed ------------------------------------------------------------------------------
node=$(new_node broken-node)
before=$(snapshot "$node")
want=$("$REMEDY" --root="$node" --playbooks="$PLAYBOOKS" --json diagnose | jq -r '[.findings[].name] | join(" ")')
play "$node" 'state: diagnosed'
is "$RC" 0 "diagnosed exits 0 with findings"
is "$(field '.failed // false')" false "findings are not a failed task"
is "$(field .changed)" false "diagnosed: not changed"
is "$(field .exit_status)" 1 "remedy's exit status 1 (findings)"
is "$(field '[.findings[].name] | join(" ")')" "$want" "the findings are remedy diagnose's"
ok "$([ -n "$want" ]; echo $?)" "(the sample node has findings: $want)"
is "$(snapshot "$node")" "$before" "diagnosed changed nothing"

done_testing
