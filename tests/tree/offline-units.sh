#!/bin/bash
# SPDX-License-Identifier: MIT
# unit steps offline: enable/disable/mask as `systemctl --root` does them (systemctl is the
# judge), start/restart skipped, all undone by rollback.
. "$(dirname "$0")/lib.sh"

node=$(new_node broken-node)
store="$WORK/store"
before=$(snapshot "$node")
pb="$WORK/pb"; mkdir -p "$pb"
cat > "$pb/units.yaml" <<'YAML'
name: units
summary: unit enablement offline
steps:
  - name: enable wait-online
    unit: {name: systemd-networkd-wait-online.service, enabled: true}
  - name: disable the kubelet
    unit: {name: kubelet.service, enabled: false}
  - name: mask a swap unit
    unit: {name: swap.img.swap, masked: true}
  - name: restart the kubelet
    unit: {name: kubelet.service, state: restarted}
YAML
run --root="$node" --playbooks="$pb" --backup-dir="$store" apply units
is "$RC" 0 "apply exits 0"
is "$(systemctl --root="$node" is-enabled systemd-networkd-wait-online.service 2>&1)" "enabled" "wait-online enabled"
is "$(systemctl --root="$node" is-enabled kubelet.service 2>&1)" "disabled" "kubelet disabled"
is "$(systemctl --root="$node" is-enabled swap.img.swap 2>&1)" "masked" "swap unit masked"
contains "$OUT" "skipped" "restart skipped offline"
run --root="$node" --playbooks="$pb" --backup-dir="$store" plan --exit-code units
is "$RC" 0 "second plan: nothing to do"
run --root="$node" --backup-dir="$store" rollback --last
is "$RC" 0 "rollback"
is "$(systemctl --root="$node" is-enabled kubelet.service 2>&1)" "enabled" "kubelet enabled again"
is "$(snapshot "$node")" "$before" "tree restored identically"
done_testing
