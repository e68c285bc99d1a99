#!/bin/bash
# SPDX-License-Identifier: MIT
# Ansible's rolling repair over three lab nodes at once, with the remedy.node collection
# (contrib/ansible): Debian's ansible-playbook reaches each node over SSH (the node's own sshd, a
# key this test makes) on an address of a network the test builds from network namespaces: a
# "hub" namespace with a bridge, where ansible runs, and one namespace per node joined to it by a
# veth pair. The host's own network namespace is never touched.
#
# All three nodes are broken the same way (seed 001: containerd on cgroupfs, the kubelet on
# systemd); the second has an unknown kubelet flag too, so cgroup-driver-systemd's verification
# fails there (the kubelet still crash-loops). Asserted:
#   - `ansible-playbook --check --diff`: every node changed=true with remedy's diff, no file changed;
#   - the rolling play (serial: 1, max_fail_percentage: 0) fixes node 1, fails on node 2 where
#     remedy rolls back by itself (files byte for byte as before), and never reaches node 3;
#   - the backup ID node 1's task returned rolls node 1 back in a later run; diagnose finds the
#     failure again;
#   - the role installs remedy from this build's staged install on node 3 (binary, playbooks, flag
#     tables, the diagnose timer enabled), and the module runs that remedy.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

for tool in ansible-playbook ssh sshd ssh-keygen ip jq; do
        command -v "$tool" >/dev/null 2>&1 || lab_skip_unless "no $tool" "ansible scenario"
done
lab_require

files=(/etc/containerd/config.toml /var/lib/kubelet/config.yaml /var/lib/kubelet/kubeadm-flags.env)
nodes=(lab-ansible-1 lab-ansible-2 lab-ansible-3)
net=10.213.$((RANDOM % 200 + 20))
hub=remedy-lab-hub-$$
netns=()

netns_cleanup() {
        local n
        for n in "${netns[@]}"; do
                ip netns del "$n" 2>/dev/null
        done
}
# Runs after lab_teardown_all (lab_register_trap puts that first), then lib.sh's cleanup.
trap "netns_cleanup; $(trap -p EXIT | sed "s/^trap -- '\(.*\)' EXIT$/\1/")" EXIT

ip netns add "$hub" || exit 1
netns+=("$hub")
ip -n "$hub" link set lo up &&
ip -n "$hub" link add br0 type bridge &&
ip -n "$hub" addr add "$net.1/24" dev br0 &&
ip -n "$hub" link set br0 up || exit 1

ssh-keygen -q -t ed25519 -N '' -C remedy-lab-ansible -f "$WORK/id" || exit 1

declare -A addr before
for i in 1 2 3; do
        name=${nodes[i - 1]} ns=remedy-lab-n$i-$$
        addr[$name]=$net.1$i
        ip netns add "$ns" || exit 1
        netns+=("$ns")
        ip -n "$hub" link add "veth$i" type veth peer name eth0 netns "$ns" &&
        ip -n "$hub" link set "veth$i" master br0 up &&
        ip -n "$ns" link set lo up &&
        ip -n "$ns" addr add "${addr[$name]}/24" dev eth0 &&
        ip -n "$ns" link set eth0 up || exit 1

        lab_node "$name"
        lab_setup || exit 1
        lab_cni_config || exit 1
        lab_containerd_systemd_cgroup false
        lab_kubelet_config_set cgroupDriver systemd
        if [ "$i" = 2 ]; then
                # cgroup-driver-systemd fixes the driver, but this kubelet still exits at start.
                echo 'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --improve-speed"' \
                        >"$LAB_ROOT/var/lib/kubelet/kubeadm-flags.env"
        fi
        # The node's own sshd (Debian's openssh-server, the host's package seen through the
        # overlay): lab_setup masked it with the host's other services; its own host keys.
        d=$LAB_ROOT/etc/systemd/system
        rm -f "$d/ssh.service"
        mkdir -p "$d/multi-user.target.wants" && ln -sfn /lib/systemd/system/ssh.service "$d/multi-user.target.wants/ssh.service"
        rm -f "$LAB_ROOT"/etc/ssh/ssh_host_*
        ssh-keygen -q -A -f "$LAB_ROOT" >/dev/null || exit 1
        printf 'ListenAddress %s\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n' "${addr[$name]}" \
                >"$LAB_ROOT/etc/ssh/sshd_config.d/remedy-lab.conf"
        install -d -m 0700 "$LAB_ROOT/root/.ssh" &&
        install -m 0600 "$WORK/id.pub" "$LAB_ROOT/root/.ssh/authorized_keys" || exit 1

        LAB_NETNS=/run/netns/$ns lab_boot || exit 1
        lab_wait_unit ssh.service active 20
        ok $? "$name: its sshd runs"
done

for name in "${nodes[@]}"; do
        lab_node "$name"
        crash_loops kubelet.service
        ok $? "$name: broken, the kubelet crash-loops"
        before[$name]=$(node_sha256 "${files[@]}")
done

{
        echo '[nodes]'
        for name in "${nodes[@]}"; do echo "$name ansible_host=${addr[$name]}"; done
        echo '[nodes:vars]'
        echo 'ansible_user=root'
        echo "ansible_ssh_private_key_file=$WORK/id"
        echo "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'"
        echo 'ansible_python_interpreter=/usr/bin/python3'
        echo "remedy_binary=$REMEDY"
        echo "remedy_playbooks=$PLAYBOOKS"
} >"$WORK/inventory"
mkdir -p "$WORK/home" "$WORK/cp" && : >"$WORK/ansible.cfg"
plays=$SOURCE_ROOT/tests/lab/ansible

# run_ansible ARGS...: ansible-playbook in the hub namespace; sets OUT (the json callback's
# document), ERR and RC.
run_ansible() {
        OUT=$(cd "$WORK" && ip netns exec "$hub" env HOME="$WORK/home" ANSIBLE_CONFIG="$WORK/ansible.cfg" \
                ANSIBLE_COLLECTIONS_PATH="$SOURCE_ROOT/contrib/ansible" ANSIBLE_STDOUT_CALLBACK=json \
                ANSIBLE_LOCAL_TEMP="$WORK/home/tmp" ANSIBLE_SSH_CONTROL_PATH_DIR="$WORK/cp" \
                ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=False ANSIBLE_PIPELINING=True \
                ansible-playbook -i "$WORK/inventory" "$@" 2>"$WORK/ansible.err") && RC=0 || RC=$?
        ERR=$(cat "$WORK/ansible.err")
}
# result TASK-INDEX HOST [JQ]: one host's result of a task (serial: 1 makes a play per batch).
result() {
        jq -r --arg h "$2" "[.plays[].tasks[$1].hosts[\$h] | select(. != null)][0]${3:+ | $3}" <<<"$OUT"
}
# What ansible said when it failed: its stderr, each failed result's message and remedy's stderr.
ansible_diag() {
        diag "$ERR" "$(jq -r '.. | objects | select(.failed? == true) | "\(.msg) \(.stderr // "")"' <<<"$OUT" 2>&1 | head -20)"
}
all_sha() {
        local name
        for name in "${nodes[@]}"; do lab_node "$name"; node_sha256 "${files[@]}"; done
}
backups_of() {
        lab_node "$1"
        find "$LAB_ROOT/var/lib/remedy/backups" -maxdepth 1 -name '*.json' 2>/dev/null | wc -l
}

diag "$(date +%T) --check --diff"
# --check --diff: remedy plan on every node.
before_all=$(all_sha)
run_ansible --check --diff "$plays/rolling.yml"
is "$RC" 0 "--check --diff: ansible-playbook exits 0"
[ "$RC" -eq 0 ] || ansible_diag
for name in "${nodes[@]}"; do
        is "$(result 0 "$name" .changed)" true "--check: $name reports changed (changes pending)"
        is "$(result 0 "$name" .outcome)" planned "--check: $name ran remedy plan"
        contains "$(result 0 "$name" .diff.prepared)" "+            SystemdCgroup = true" "--diff: $name shows remedy's diff of config.toml"
        is "$(backups_of "$name")" 0 "--check: no transaction on $name"
done
is "$(all_sha)" "$before_all" "--check changed no file on any node"

diag "$(date +%T) the rolling repair"
# The rolling repair.
run_ansible "$plays/rolling.yml"
is "$RC" 2 "the rolling play fails (exit 2: a host failed)"
is "$(result 0 lab-ansible-1 .changed)" true "node 1: changed"
is "$(result 0 lab-ansible-1 .outcome)" applied "node 1: remedy's outcome is applied"
backup1=$(result 0 lab-ansible-1 .backup_id)
ok "$([[ $backup1 =~ ^[0-9]{8}T[0-9]{6}Z-[0-9a-f]+$ ]]; echo $?)" "node 1: the task returns remedy's backup ID ($backup1)"
lab_node lab-ansible-1
contains "$(lab_run containerd config dump)" "SystemdCgroup = true" "node 1 is fixed: containerd on the systemd cgroup driver"
stays_up kubelet.service 3
ok $? "node 1 is fixed: the kubelet stays up"

is "$(result 0 lab-ansible-2 .failed)" true "node 2: failed"
is "$(result 0 lab-ansible-2 .rolled_back)" true "node 2: remedy rolled back by itself"
is "$(result 0 lab-ansible-2 .outcome)" rolled-back "node 2: remedy's outcome is rolled-back"
is "$(result 0 lab-ansible-2 .changed)" false "node 2: not changed (its files are as they were)"
contains "$(result 0 lab-ansible-2 .msg)" "rolled the transaction back" "node 2: the message says so"
lab_node lab-ansible-2
is "$(node_sha256 "${files[@]}")" "${before[lab-ansible-2]}" "node 2: its files are byte for byte as before"
is "$(last_txn_state)" rolled-back "node 2: the transaction's manifest says rolled-back"

is "$(jq -r '[.plays[].tasks[].hosts | keys[]] | unique | join(" ")' <<<"$OUT")" "lab-ansible-1 lab-ansible-2" \
        "the play stopped after node 2: node 3 was never reached"
lab_node lab-ansible-3
is "$(node_sha256 "${files[@]}")" "${before[lab-ansible-3]}" "node 3: files unchanged"
is "$(backups_of lab-ansible-3)" 0 "node 3: no transaction"
lab_node lab-ansible-3
crash_loops kubelet.service
ok $? "node 3: still broken, as it was"

diag "$(date +%T) rollback by backup_id"
# A later run rolls node 1 back by the ID its task returned, then diagnoses it.
run_ansible -e "backup_id=$backup1" --limit lab-ansible-1 "$plays/rollback.yml"
is "$RC" 0 "rollback by backup_id: exits 0"
[ "$RC" -eq 0 ] || ansible_diag
is "$(result 0 lab-ansible-1 .changed)" true "rollback: changed"
is "$(result 0 lab-ansible-1 .backup_id)" "$backup1" "rollback: of that transaction"
lab_node lab-ansible-1
is "$(node_sha256 "${files[@]}")" "${before[lab-ansible-1]}" "node 1: files byte for byte as before the play"
is "$(result 1 lab-ansible-1 '.findings | map(.name) | join(" ")')" cgroup-driver-systemd \
        "diagnosed: node 1 has the cgroup driver mismatch again"
is "$(result 1 lab-ansible-1 .changed)" false "diagnosed: never changed"
is "$(result 1 lab-ansible-1 '.failed // false')" false "diagnosed: findings are not a failed task (remedy's exit status 1)"

diag "$(date +%T) the role"
# The role, on node 3 (still as it was): remedy as this build installs it (meson install into a
# staging directory; its prefix, /usr/local unless the build chose /usr).
result_named() {   # result_named TASK-NAME HOST [JQ]
        jq -r --arg n "$1" --arg h "$2" "[.plays[].tasks[] | select(.task.name == \$n) | .hosts[\$h] | select(. != null)][0]${3:+ | $3}" <<<"$OUT"
}
stage=$WORK/stage
meson install -C "$(dirname "$(dirname "$REMEDY")")" --no-rebuild --quiet --destdir "$stage" >"$WORK/install.log" 2>&1 ||
        { diag "meson install: $(cat "$WORK/install.log")"; exit 1; }
installed=$(cd "$stage" && find . -path '*/sbin/remedy' | sed 's|^\.||')
share=$(dirname "$(dirname "$installed")")/share/remedy
vars=$(jq -cn --arg s "$stage" --arg i "$installed" '{remedy_stage: $s, remedy_installed: $i}')
run_ansible -e "$vars" --limit lab-ansible-3 "$plays/install.yml"
is "$RC" 0 "the role installs remedy on node 3"
[ "$RC" -eq 0 ] || ansible_diag
lab_node lab-ansible-3
is "$(sha256sum <"$LAB_ROOT$installed")" "$(sha256sum <"$REMEDY")" "$installed is the build's binary"
is "$(stat -c '%a %U' "$LAB_ROOT$installed")" "755 root" "mode 0755, root's"
is "$(cd "$LAB_ROOT$share/playbooks" && ls)" "$(cd "$PLAYBOOKS" && ls -- *.yaml)" "the shipped playbooks in $share/playbooks"
is "$(cd "$LAB_ROOT$share" && ls -- *.tsv | tr '\n' ' ')" "kubelet-feature-gates.tsv kubelet-flags.tsv " "with the kubelet flag tables"
is "$(stat -c '%a' "$LAB_ROOT/var/lib/remedy")" 700 "/var/lib/remedy is 0700"
is "$(lab_run systemctl is-enabled remedy-diagnose.timer)" enabled "remedy-diagnose.timer is enabled"
is "$(lab_unit_prop remedy-diagnose.timer ActiveState)" active "and active"
is "$(result_named "Diagnose with the installed remedy" lab-ansible-3 '.findings | map(.name) | join(" ")')" \
        cgroup-driver-systemd "the installed remedy, with its installed playbooks, finds the cgroup driver mismatch"
run_ansible -e "$vars" --limit lab-ansible-3 "$plays/install.yml"
is "$(jq -r '.stats["lab-ansible-3"].changed' <<<"$OUT")" 0 "the role again: nothing changed"

lab_teardown_all
for name in "${nodes[@]}"; do
        lab_node "$name"
        is "$(lab_leftovers)" "" "$name: no process or mount is left behind"
done
done_testing
