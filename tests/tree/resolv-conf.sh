#!/bin/bash
# SPDX-License-Identifier: MIT
# kubelet-resolv-conf (FAILURES.md B.17) and kubelet-resolv-conf-missing (B.18), offline. The
# kubelet-resolv-conf condition reads the file the kubelet's effective resolvConf names (symlinks
# followed inside the node): loopback when all its nameservers are loopback addresses (resolved's
# stub, 127.0.0.53). The shipped playbook matches only live (systemd-resolved active), so offline
# diagnose names neither; applied by name it sets resolvConf where the kubelet reads it, and its
# verification (the new file has a nameserver pods can reach) passes or rolls back. A missing
# file is judged live only: a node's /run is empty offline. A file without nameservers (resolved
# with no upstream) is neither loopback nor reachable. The live half, with the real
# systemd-resolved: tests/lab/scenario-resolved.sh.
. "$(dirname "$0")/lib.sh"

node=$(healthy_sample_node)
run --root="$node" --playbooks="$PLAYBOOKS" --json diagnose
found=$(jq -r '[.findings[].name] | join(" ")' <<<"$OUT")
lacks "$found" kubelet-resolv-conf "offline, resolvConf under /run that the tree does not have: no finding (missing is judged live only)"

# The stub: /etc/resolv.conf a link to resolved's stub file, and the kubelet on its default.
sed -i '/^resolvConf:/d' "$node/var/lib/kubelet/config.yaml"
mkdir -p "$node/run/systemd/resolve"
printf '# This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n' \
        >"$node/run/systemd/resolve/stub-resolv.conf"
ln -sfn ../run/systemd/resolve/stub-resolv.conf "$node/etc/resolv.conf"
run --root="$node" --playbooks="$PLAYBOOKS" --json diagnose
lacks "$(jq -r '[.findings[].name] | join(" ")' <<<"$OUT")" kubelet-resolv-conf "offline (resolved's state unknown): kubelet-resolv-conf does not match"

# The condition itself, through a playbook of the test's own.
mkdir -p "$WORK/pb"
printf 'name: stub\nsummary: s\nsafety: report\nadvice: a\nmatch:\n  kubelet-resolv-conf: {loopback: true}\n' >"$WORK/pb/stub.yaml"
run --root="$node" --playbooks="$WORK/pb" diagnose
is "$RC" 1 "the condition holds for the stub: exit 1"
contains "$OUT" "the kubelet's resolvConf /etc/resolv.conf (the kubelet's default), which is /run/systemd/resolve/stub-resolv.conf lists nameservers 127.0.0.53: loopback only" \
        "evidence: the file, the link's target, the nameserver"

# Applied by name, with resolved's upstream file there.
printf 'nameserver 192.0.2.53\nnameserver 2001:db8::53\n' >"$node/run/systemd/resolve/resolv.conf"
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" plan kubelet-resolv-conf
contains "$OUT" "+resolvConf: /run/systemd/resolve/resolv.conf" "plan adds resolvConf to config.yaml"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" apply kubelet-resolv-conf
is "$RC" 0 "apply exits 0"
contains "$OUT" "verify kubelet-resolv-conf" "the verification ran"
is "$(sed -n 's/^resolvConf: //p' "$node/var/lib/kubelet/config.yaml")" /run/systemd/resolve/resolv.conf "config.yaml names resolved's upstream file"
run --root="$node" --playbooks="$WORK/pb" diagnose
is "$RC" 0 "the condition no longer holds"
run --root="$node" --backup-dir="$WORK/store" rollback --last
is "$(snapshot "$node")" "$before" "rollback restores the node byte for byte"

# resolved's upstream file with no upstream either: the verification fails, the change is undone.
printf 'nameserver 127.0.0.1\n' >"$node/run/systemd/resolve/resolv.conf"
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store2" apply kubelet-resolv-conf
is "$RC" 1 "an upstream file with only loopback too: apply exits 1"
contains "$OUT" "lists nameservers 127.0.0.1: loopback only" "its verification says why"
is "$(snapshot "$node")" "$before" "and the change is rolled back"

# resolved with no upstream writes no nameserver at all (resolved-resolv-conf.c: "# No DNS servers
# known."): pods given that file have no nameserver to ask, so it is no fix either.
printf '# This is /run/systemd/resolve/resolv.conf managed by man:systemd-resolved(8).\n# No DNS servers known.\nsearch .\n' \
        >"$node/run/systemd/resolve/resolv.conf"
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store3" apply kubelet-resolv-conf
is "$RC" 1 "an upstream file without nameservers: apply exits 1"
contains "$OUT" "FAILED  verify kubelet-resolv-conf" "the verification fails"
contains "$OUT" "lists no nameserver" "and says why"
is "$(snapshot "$node")" "$before" "and the change is rolled back"
printf 'name: none\nsummary: s\nsafety: report\nadvice: a\nmatch:\n  kubelet-resolv-conf: {loopback: false}\n' >"$WORK/pb/none.yaml"
ln -sfn ../run/systemd/resolve/resolv.conf "$node/etc/resolv.conf"
run --root="$node" --playbooks="$WORK/pb" diagnose
is "$RC" 0 "a kubelet file without nameservers is neither loopback nor not: neither condition holds"
done_testing
