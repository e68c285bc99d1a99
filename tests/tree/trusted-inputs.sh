#!/bin/bash
# SPDX-License-Identifier: MIT
# Files remedy installs from the machine it runs on pass the playbooks' trust check when it runs
# as root: a `source:` or a `copy` src that another user owns or could replace (mode 0666, or a
# directory on its path writable by others without the sticky bit) is refused with exit 2 and
# nothing written; a FIFO at such a path is refused at once instead of hanging every command.
. "$(dirname "$0")/lib.sh"

node=$(new_node broken-node)
store="$WORK/store"
pb="$WORK/playbooks"
mkdir -m 0755 "$pb" "$pb/files"
printf 'kubelet ALL=(ALL) NOPASSWD: ALL\n' >"$pb/files/payload"
cat >"$pb/drop-sudoers.yaml" <<'YAML'
name: drop-sudoers
summary: install a file that came with the playbook
steps:
  - name: install it
    file: {path: /etc/sudoers.d/remedy-test, source: files/payload, mode: "0440"}
YAML
cat >"$pb/copy-in.yaml" <<'YAML'
name: copy-in
summary: install a file the operator supplies
params:
  src: {type: path, description: the file}
steps:
  - name: install it
    copy: {src: "{{ src }}", dest: /etc/remedy-copied, mode: "0644"}
YAML
before=$(snapshot "$node")

# The trusted case works: root's file in root's directories.
run --root="$node" --playbooks="$pb" plan drop-sudoers
is "$RC" 0 "a root-owned source in a root-owned directory is accepted"

# Another user's file, writable by everyone, in a directory everyone can write to.
chown nobody "$pb/files/payload"
run --root="$node" --playbooks="$pb" --backup-dir="$store" apply drop-sudoers
is "$RC" 2 "apply refuses a source owned by another user (exit 2)"
contains "$ERR" "$pb/files/payload" "the error names the source file"
contains "$ERR" "owned by uid" "the error says who owns it"
chown root "$pb/files/payload"
chmod 0666 "$pb/files/payload"
run --root="$node" --playbooks="$pb" --backup-dir="$store" apply drop-sudoers
is "$RC" 2 "apply refuses a source everyone can write to (exit 2)"
contains "$ERR" "writable by everyone" "the error says it is writable by everyone"
chmod 0644 "$pb/files/payload"
chmod 0777 "$pb/files"
run --root="$node" --playbooks="$pb" --backup-dir="$store" apply drop-sudoers
is "$RC" 2 "apply refuses a source in a directory everyone can write to (exit 2)"
contains "$ERR" "$pb/files" "the error names the directory"
chmod 1777 "$pb/files"
run --root="$node" --playbooks="$pb" plan drop-sudoers
is "$RC" 0 "a sticky world-writable directory (as /tmp) is accepted for root's own file"
chmod 0755 "$pb/files"
is "$(diff <(echo "$before") <(snapshot "$node") | head -4)" "" "nothing was written to the node"
test ! -e "$node/etc/sudoers.d/remedy-test"; ok $? "no sudoers drop-in"

# The copy action's src is checked the same way.
printf 'x\n' >"$WORK/src-file"
chown nobody "$WORK/src-file"
run --root="$node" --playbooks="$pb" --backup-dir="$store" apply copy-in --set src="$WORK/src-file"
is "$RC" 2 "copy refuses a src owned by another user (exit 2)"
contains "$ERR" "$WORK/src-file" "the error names the src"
mkfifo "$WORK/fifo"
run --root="$node" --playbooks="$pb" --backup-dir="$store" apply copy-in --set src="$WORK/fifo"
is "$RC" 2 "copy refuses a FIFO (exit 2)"
is "$(diff <(echo "$before") <(snapshot "$node") | head -4)" "" "still nothing written to the node"

# A FIFO as a playbook's source: every command, even list, answers at once.
rm "$pb/files/payload"
mkfifo "$pb/files/payload"
OUT=$(timeout 20 "$REMEDY" --no-color --playbooks="$pb" list 2>&1); rc=$?
test "$rc" -ne 124; ok $? "list does not hang on a FIFO source (exit $rc)"
contains "$OUT" "not a regular file" "list shows the playbook broken: not a regular file"
OUT=$(timeout 20 "$REMEDY" --no-color --root="$node" --playbooks="$pb" plan drop-sudoers 2>&1); rc=$?
is "$rc" 2 "plan refuses the FIFO source with exit 2"

# A kubeconfig to install is a node file: root's, not writable by others, in root's directories.
mkdir -p "$node/root" "$node/home/ops"
printf 'apiVersion: v1\nkind: Config\n' >"$node/root/kubelet.conf"
chown 1000 "$node/root/kubelet.conf"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply kubelet-rotate-kubeconfig --set kubeconfig=/root/kubelet.conf
is "$RC" 2 "kubeconfig-install refuses a kubeconfig owned by another user (exit 2)"
contains "$ERR" "/root/kubelet.conf is owned by uid 1000" "the error says who owns it"
chown 0 "$node/root/kubelet.conf"
chmod 0666 "$node/root/kubelet.conf"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply kubelet-rotate-kubeconfig --set kubeconfig=/root/kubelet.conf
is "$RC" 2 "kubeconfig-install refuses a kubeconfig everyone can write (exit 2)"
contains "$ERR" "writable by everyone" "the error says everyone can write it"
cp -p "$node/root/kubelet.conf" "$node/home/ops/kubelet.conf"
chmod 0600 "$node/home/ops/kubelet.conf"
chmod 0777 "$node/home/ops"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply kubelet-rotate-kubeconfig --set kubeconfig=/home/ops/kubelet.conf
is "$RC" 2 "kubeconfig-install refuses a kubeconfig in a directory everyone can write (exit 2)"
contains "$ERR" "/home/ops is writable by everyone" "the error names the directory"

done_testing
