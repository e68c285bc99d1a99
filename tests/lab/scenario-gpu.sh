#!/bin/bash
# SPDX-License-Identifier: MIT
# A GPU node (issue 11): the NVIDIA container toolkit made "nvidia" containerd's default runtime
# with `nvidia-ctk runtime configure --runtime=containerd --set-as-default`, which prepends an
# imports line to config.toml and writes /etc/containerd/conf.d/99-nvidia.toml. The drop-in is the
# toolkit's own test fixture (tests/fixtures/real-world/containerd/nvidia-ctk-test-v2-dropin-99-
# nvidia-set-as-default.toml, see SOURCES): its runtimes copy runc's options and carry no
# SystemdCgroup, so pods run by the default runtime use cgroupfs while the kubelet uses systemd.
# Editing runtimes.runc alone would leave the node broken; cgroup-driver-systemd must put every
# runc-type runtime that runs pods on systemd, in the file containerd takes it from.
#
# /usr/bin/nvidia-container-runtime is a STAND-IN (there is no GPU here, and the toolkit is not in
# Debian): a runc-compatible wrapper that execs runc, as the real one does after adding its OCI hook.
# No pod is run (Debian packages no CRI client); the cgroup driver of the runtime that would run
# pods is judged from the real containerd's `config dump`, as the kubelet stand-in reads it.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

dropin=/etc/containerd/conf.d/99-nvidia.toml
files=(/etc/containerd/config.toml "$dropin" /var/lib/kubelet/config.yaml)

# runtime_cgroup NAME: the SystemdCgroup containerd's config dump gives runtime NAME ("" if unset).
runtime_cgroup() {
        lab_run containerd config dump | python3 -c '
import sys, tomllib
c = tomllib.load(sys.stdin.buffer)["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]
print(str(c["runtimes"][sys.argv[1]].get("options", {}).get("SystemdCgroup", "")).lower())' "$1"
}
# default_runtime: containerd's effective default_runtime_name.
default_runtime() {
        lab_run containerd config dump | python3 -c '
import sys, tomllib
print(tomllib.load(sys.stdin.buffer)["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["default_runtime_name"])'
}

lab_setup || exit 1
lab_cni_config || exit 1
mkdir -p "$LAB_ROOT/etc/containerd/conf.d" || exit 1
# nvidia-ctk sets the imports key of the existing file (containerd's default config has imports = []).
sed -i 's|^imports = \[\]$|imports = ["/etc/containerd/conf.d/*.toml"]|' "$LAB_ROOT/etc/containerd/config.toml"
grep -q '^imports = \["/etc/containerd/conf.d/\*.toml"\]$' "$LAB_ROOT/etc/containerd/config.toml" || exit 1
cp "$SOURCE_ROOT/tests/fixtures/real-world/containerd/nvidia-ctk-test-v2-dropin-99-nvidia-set-as-default.toml" \
        "$LAB_ROOT$dropin" || exit 1
cat >"$LAB_ROOT/usr/bin/nvidia-container-runtime" <<'EOF'
#!/bin/sh
# STAND-IN for NVIDIA's nvidia-container-runtime (remedy's lab): a runc-compatible runtime that
# execs runc, as the real one does once it has added its prestart hook.
exec /usr/sbin/runc "$@"
EOF
chmod 0755 "$LAB_ROOT/usr/bin/nvidia-container-runtime"
lab_kubelet_config_set cgroupDriver systemd
lab_boot || exit 1

is "$(default_runtime)" nvidia "the GPU node: containerd's default runtime is nvidia (containerd config dump)"
is "$(runtime_cgroup nvidia)" "" "and the nvidia runtime has no SystemdCgroup: cgroupfs"
is "$(lab_run /usr/bin/nvidia-container-runtime --version | head -1)" "$(lab_run runc --version | head -1)" \
        "the runtime stand-in is runc underneath"
lab_wait_journal kubelet.service "misconfiguration: kubelet cgroup driver" 20
ok $? "the kubelet says its cgroup driver differs from the runtime's"
crash_loops kubelet.service
ok $? "and crash-loops"
before=$(node_sha256 "${files[@]}")
node_findings
is "$FOUND" cgroup-driver-systemd "diagnose names cgroup-driver-systemd"

node_remedy plan cgroup-driver-systemd
is "$RC" 0 "plan exits 0"
contains "$OUT" "$dropin" "plan edits the toolkit's drop-in, where containerd takes the runtimes from"
contains "$OUT" "runtimes.nvidia.options] of $dropin" "plan names the nvidia runtime"
is "$(node_sha256 "${files[@]}")" "$before" "plan changed no file"

node_remedy apply cgroup-driver-systemd
is "$RC" 0 "apply exits 0"
[ "$RC" -eq 0 ] || diag "$OUT" "$ERR"
contains "$(grep 'verify containerd-config' <<<"$OUT")" "nvidia" "verify names the nvidia runtime"
is "$(default_runtime)" nvidia "containerd config dump: nvidia is still the default runtime"
for rt in nvidia nvidia-cdi nvidia-legacy runc; do
        is "$(runtime_cgroup "$rt")" true "containerd config dump: runtime $rt uses the systemd cgroup driver"
done
is "$(lab_run containerd config dump | grep -c 'BinaryName = "/usr/bin/nvidia-container-runtime"')" 1 \
        "the nvidia runtime still runs /usr/bin/nvidia-container-runtime"
stays_up kubelet.service 4
ok $? "the kubelet stays up after the fix"
node_findings
is "$FOUND" "" "after the fix diagnose finds nothing"
node_remedy plan --exit-code cgroup-driver-systemd
is "$RC" 0 "plan --exit-code after apply: nothing left to change"

node_remedy rollback --last
is "$RC" 0 "rollback exits 0"
is "$(node_sha256 "${files[@]}")" "$before" "rollback restored the files byte for byte"
is "$(runtime_cgroup nvidia)" "" "containerd config dump: nvidia is back on cgroupfs"
crash_loops kubelet.service
ok $? "and the kubelet crash-loops again: the node is as it was"
lab_teardown

is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
