#!/bin/bash
# SPDX-License-Identifier: MIT
# kubelet-wait-online picks the wait-online service of the network manager the node runs
# (offline: the one enabled at boot, as `systemctl --root` judges it), and leaves the start delay
# out of the drop-in when delay is 0.
. "$(dirname "$0")/lib.sh"

dropin=etc/systemd/system/kubelet.service.d/20-remedy-network-online.conf

# A node with NetworkManager enabled, as Debian's NetworkManager package installs it.
nm_node=$(new_node broken-node)
mkdir -p "$nm_node/lib/systemd/system" "$nm_node/etc/systemd/system/multi-user.target.wants"
cat > "$nm_node/lib/systemd/system/NetworkManager.service" <<'UNIT'
[Unit]
Description=Network Manager
[Service]
ExecStart=/usr/sbin/NetworkManager --no-daemon
[Install]
WantedBy=multi-user.target
UNIT
cat > "$nm_node/lib/systemd/system/NetworkManager-wait-online.service" <<'UNIT'
[Unit]
Description=Network Manager Wait Online
[Service]
Type=oneshot
ExecStart=/usr/bin/nm-online -s -q
[Install]
WantedBy=network-online.target
UNIT
ln -s /lib/systemd/system/NetworkManager.service "$nm_node/etc/systemd/system/multi-user.target.wants/NetworkManager.service"

run --root="$nm_node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store-nm" apply kubelet-wait-online
is "$RC" 0 "NetworkManager node: apply exits 0"
is "$(systemctl --root="$nm_node" is-enabled NetworkManager-wait-online.service 2>&1)" enabled \
        "NetworkManager node: NetworkManager-wait-online is enabled (systemctl --root)"
is "$(systemctl --root="$nm_node" is-enabled systemd-networkd-wait-online.service 2>&1)" disabled \
        "NetworkManager node: systemd-networkd-wait-online is left alone"

run --root="$nm_node" --playbooks="$PLAYBOOKS" plan kubelet-wait-online --set network_manager=systemd-networkd
contains "$OUT" "enable: /etc/systemd/system/network-online.target.wants/systemd-networkd-wait-online.service" \
        "network_manager=systemd-networkd overrides the choice"

# The sample node runs neither: systemd-networkd's service, with delay 0 and then the default.
node=$(new_node broken-node)
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" apply kubelet-wait-online --set delay=0
is "$RC" 0 "delay=0: apply exits 0"
is "$(systemctl --root="$node" is-enabled systemd-networkd-wait-online.service 2>&1)" enabled \
        "no NetworkManager: systemd-networkd-wait-online is enabled"
contains "$(cat "$node/$dropin")" "After=network-online.target" "the drop-in orders the kubelet after network-online.target"
lacks "$(cat "$node/$dropin")" "ExecStartPre" "delay=0: no start delay in the drop-in"
run --root="$node" --playbooks="$PLAYBOOKS" plan kubelet-wait-online --set delay=0s
contains "$OUT" "Plan: 0 to change" "delay=0s is the same duration as 0: nothing left to change"
run --root="$node" --playbooks="$PLAYBOOKS" plan kubelet-wait-online --set delay=20s
contains "$OUT" "+ExecStartPre=/bin/sleep 20s" "delay=20s: the drop-in gets the delay"
done_testing
