#!/bin/bash
# SPDX-License-Identifier: MIT
# sandbox-image offline (FAILURES.md B.22). containerd's image store is read live only (ctr), so
# offline the playbook does not match and its step changes nothing unless an image is given: it
# says "not checked offline". With --set image= the key that decides the sandbox image is set
# where containerd's effective configuration has it, every other byte kept: 1.x's sandbox_image of
# the CRI table, 2.x's pinned_images.sandbox (a version 3 file, the table added when missing), an
# import's value where the import wins. Judged by containerd's own config dump (1.6) and by a TOML
# parser; apply twice changes nothing the second time; rollback restores the bytes. The live half
# (the store, the pull failure, containerd restarted) is the lab's (scenario-sandbox-image.sh).
. "$(dirname "$0")/lib.sh"

node=$(healthy_sample_node)
config=$node/etc/containerd/config.toml
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" plan sandbox-image
is "$RC" 0 "offline, no image given: plan exits 0"
contains "$OUT" "skipped Point containerd's sandbox image" "the step is skipped"
contains "$OUT" "containerd's image store: not checked offline" "saying the store is not checked offline"
run --root="$node" --playbooks="$PLAYBOOKS" --json diagnose
lacks "$(jq -r '[.findings[].name] | join(" ")' <<<"$OUT")" sandbox-image "diagnose offline does not name sandbox-image"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" apply sandbox-image
is "$RC" 0 "apply without an image exits 0"
is "$(snapshot "$node")" "$before" "and changes nothing"

# 1.x (Debian's 1.6, version 2 file): sandbox_image of [plugins."io.containerd.grpc.v1.cri"].
run --root="$node" --playbooks="$PLAYBOOKS" plan sandbox-image --set image=registry.k8s.io/pause:3.10.1
is "$RC" 0 "with an image: plan exits 0"
contains "$OUT" '-    sandbox_image = "registry.k8s.io/pause:3.6"' "plan shows the old line going"
contains "$OUT" '+    sandbox_image = "registry.k8s.io/pause:3.10.1"' "and the new one, indented as it was"
is "$(snapshot "$node")" "$before" "plan changed nothing"
cp "$config" "$WORK/config.before"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" apply sandbox-image --set image=registry.k8s.io/pause:3.10.1
is "$RC" 0 "apply exits 0"
is "$(diff "$WORK/config.before" "$config" | grep -c '^[<>]')" 2 "exactly one line of config.toml changed"
is "$(containerd_dump "$node" | sed -n 's/^ *sandbox_image = //p')" '"registry.k8s.io/pause:3.10.1"' \
        "containerd 1.6's own config dump reads the new sandbox image"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" apply sandbox-image --set image=registry.k8s.io/pause:3.10.1
contains "$OUT" "Nothing to do" "a second apply changes nothing"
run --root="$node" --backup-dir="$WORK/store" rollback --last
is "$RC" 0 "rollback exits 0"
is "$(snapshot "$node")" "$before" "rollback restores the node byte for byte"

# 2.x, version 3: pinned_images.sandbox; a file without that table gets it.
node=$(healthy_sample_node)
config=$node/etc/containerd/config.toml
cp "$FIXTURES/real-world/containerd/nvidia-ctk-test-v3-input-minimal.toml" "$config"
containerd_2() { sed -i 's/^Version: 1\.6\.20~ds1-1+deb12u3$/Version: 2.0.5-1/' "$1/var/lib/dpkg/status"; }
containerd_2 "$node"
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store2" apply sandbox-image --set image=registry.k8s.io/pause:3.10
is "$RC" 0 "version 3 without the table: apply exits 0"
is "$(python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["plugins"]["io.containerd.cri.v1.images"]["pinned_images"]["sandbox"])' "$config")" \
        registry.k8s.io/pause:3.10 "a TOML parser reads plugins.io.containerd.cri.v1.images.pinned_images.sandbox"
is "$(head -c "$(stat -c %s "$FIXTURES/real-world/containerd/nvidia-ctk-test-v3-input-minimal.toml")" "$config" | sha256sum)" \
        "$(sha256sum <"$FIXTURES/real-world/containerd/nvidia-ctk-test-v3-input-minimal.toml")" "the file's own bytes kept, the table added after them"
run --root="$node" --backup-dir="$WORK/store2" rollback --last
is "$(snapshot "$node")" "$before" "rollback restores it byte for byte"

# 2.x, an import sets it (EKS's config2-v3 with its placeholder in the main file overridden by a
# drop-in): the import, which wins, is the file edited.
node=$(healthy_sample_node)
config=$node/etc/containerd/config.toml
cp "$FIXTURES/real-world/containerd/eks-al2-runtime-containerd-config2-v3.toml" "$config"
containerd_2 "$node"
mkdir -p "$node/etc/containerd/config.d"
printf 'version = 3\n\n[plugins."io.containerd.cri.v1.images".pinned_images]\n  sandbox = "602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/pause:3.5"\n' \
        >"$node/etc/containerd/config.d/10-sandbox.toml"
cp "$config" "$WORK/main.before"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store3" apply sandbox-image --set image=localhost:5000/pause:3.10
is "$RC" 0 "an import sets it: apply exits 0"
contains "$OUT" "sandbox of [plugins.\"io.containerd.cri.v1.images\".pinned_images] in /etc/containerd/config.d/10-sandbox.toml" \
        "the note names the import, the table and the key"
is "$(sed -n 's/^ *sandbox = //p' "$node/etc/containerd/config.d/10-sandbox.toml")" '"localhost:5000/pause:3.10"' "the import has the new image"
cmp -s "$WORK/main.before" "$config"
ok $? "the main file is untouched"
done_testing
