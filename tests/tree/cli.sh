#!/bin/bash
# SPDX-License-Identifier: MIT
# The command-line contract: help, version, list, show, --json everywhere.
. "$(dirname "$0")/lib.sh"

run --help
is "$RC" 0 "--help exits 0"
for verb in list show plan apply rollback backups; do contains "$OUT" "  $verb" "--help documents $verb"; done
contains "$OUT" "Exit status" "--help documents exit statuses"
run --version
contains "$OUT" "remedy " "--version"

run --playbooks="$PLAYBOOKS" list
is "$RC" 0 "list exits 0"
for p in cgroup-driver-systemd cni-placeholder kubelet-strip-flags kubelet-wait-online kubelet-rotate-kubeconfig; do contains "$OUT" "$p" "list shows $p"; done
run --playbooks="$PLAYBOOKS" --json list
is "$(jq -r '.playbooks | length' <<<"$OUT")" "$(ls "$PLAYBOOKS"/*.yaml | wc -l)" "list --json has every shipped playbook"

run --playbooks="$PLAYBOOKS" show cni-placeholder
is "$RC" 0 "show exits 0"
contains "$OUT" "subnet" "show lists the parameters"
contains "$OUT" "10.244.0.0/16" "show gives defaults"
contains "$OUT" "unit: {name: containerd.service, state: restarted}" "show gives steps as written"
run --playbooks="$PLAYBOOKS" --json show cni-placeholder
is "$(jq -r '.params[0].default' <<<"$OUT")" "10.244.0.0/16" "show --json"

run --json frobnicate
is "$RC" 2 "unknown command exits 2"
is "$(jq -r .exit_status <<<"$OUT")" 2 "errors are JSON documents with --json"

run plan
is "$RC" 2 "plan without a playbook exits 2"

done_testing
