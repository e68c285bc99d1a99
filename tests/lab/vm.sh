# SPDX-License-Identifier: MIT
# The node lab's VM nodes: the same node tree as lab_setup makes, booted by qemu with its own
# kernel instead of by systemd-nspawn. Sourced after lab.sh.
#
# What a container cannot show needs a kernel of the node's own: systemd refuses swap units in a
# container (swap_supported() in src/core/swap.c is false when detect_container() says so), and
# swapon/swapoff would act on the host. A VM node runs Debian's kernel under qemu's software
# emulation (TCG; the KVM of the machines this was written on is nested and hangs the guest at
# boot), with real systemd as PID 1, real udev, real block devices and real swap.
#
#       . "$SOURCE_ROOT/tests/lab/lab.sh"; . "$SOURCE_ROOT/tests/lab/vm.sh"
#       lab_vm_setup                     # lab_setup, plus what the VM needs
#       lab_vm_disk swap 64M             # /dev/vda, a swap area; sets LAB_VM_DISK_UUID
#       echo "UUID=$LAB_VM_DISK_UUID none swap sw 0 0" >>"$LAB_ROOT/etc/fstab"
#       lab_vm_boot                      # then lab_run and every lab helper work as for nspawn
#       lab_vm_reboot                    # power off, boot again from the same root and disks
#       lab_vm_kernel_modules br_netfilter   # before boot: modules the node's modprobe can load
#       lab_vm_k8s_kernel                # before boot: the node loads and sets what Kubernetes needs
#
# The VM's root file system is $LAB_ROOT itself (the overlay lab_setup mounted: the host's / with
# a tmpfs upper layer), shared read-write over virtio-9p, so files the node writes are seen from
# the host at once and nothing reaches the host's own files. A small initramfs (busybox from
# Debian's busybox-static and the kernel's virtio and 9p modules) mounts it and starts systemd.
# Commands reach the node through a virtio-serial port and tests/lab/vm-agent: argv and
# environment in, exit status and output back, never through a shell.
#
# The kernel: Debian's linux-image-*-amd64, unpacked by tests/lab/vm-kernel into
# /var/cache/remedy-lab/kernel/VERSION (or $REMEDY_LAB_KERNEL, a directory holding vmlinuz and
# lib/modules/VERSION). tests/run-all fetches it.
#
# Variables: LAB_VM_QEMU (host PID of qemu), LAB_VM_SOCK (the agent's socket), LAB_VM_DISKS
# (qemu -drive arguments so far), LAB_VM_DISK_UUID (of the last lab_vm_disk), LAB_VM_NIC (set
# before sourcing or before lab_vm_boot: qemu's -nic, "none" for no network at all), LAB_VM_APPEND
# (set before lab_vm_boot: more of the kernel's command line, as a boot loader's entry adds it).

LAB_VM_QEMU=
LAB_VM_SOCK=
LAB_VM_DISKS=()
LAB_VM_DISK_UUID=
LAB_VM_BINDS=()
LAB_VM_MEMORY=${LAB_VM_MEMORY:-1024}
# qemu's -nic: user-mode networking by default; "none" for a node that must reach nothing (a
# time service that would otherwise ask the Internet's NTP servers through it).
LAB_VM_NIC=${LAB_VM_NIC:-user,model=virtio-net-pci}
# More of the kernel's command line: systemd.unified_cgroup_hierarchy=0 boots the node on cgroup v1.
LAB_VM_APPEND=${LAB_VM_APPEND:-}

# The unpacked kernel's directory, newest version first.
lab_vm_kernel_dir() {
        if [ -n "${REMEDY_LAB_KERNEL:-}" ]; then
                echo "$REMEDY_LAB_KERNEL"
                return
        fi
        find /var/cache/remedy-lab/kernel -mindepth 1 -maxdepth 1 -type d 2>/dev/null | sort -V | tail -n 1
}

# Says why a VM node cannot run here, or nothing.
lab_vm_missing() {
        local why tool dir
        why=$(lab_missing)
        [ -n "$why" ] && { echo "$why"; return; }
        for tool in qemu-system-x86_64 modinfo depmod mkswap blkid; do
                command -v "$tool" >/dev/null 2>&1 || { echo "no $tool"; return; }
        done
        [ -x /bin/busybox ] && /bin/busybox --list | grep -qx switch_root ||
                { echo "no static busybox with switch_root (busybox-static)"; return; }
        [ -x /lib/systemd/systemd-udevd ] || { echo "no systemd-udevd (udev)"; return; }
        dir=$(lab_vm_kernel_dir)
        [ -n "$dir" ] && [ -r "$dir/vmlinuz" ] ||
                { echo "no kernel unpacked in /var/cache/remedy-lab/kernel (run tests/lab/vm-kernel)"; return; }
}

# Skips the whole test when a VM node cannot run, or fails it under CI=true.
lab_vm_require() {
        lab_skip_unless "$(lab_vm_missing)" "VM node lab"
}

# The modules the initramfs loads, dependencies first (modinfo's "depends"), as paths under
# lib/modules/VERSION.
lab_vm_module_order() {
        local moddir=$1 m
        shift
        local -A seen=()
        local order=()
        visit() {
                local name=$1 path deps d
                [ -n "${seen[$name]:-}" ] && return 0
                seen[$name]=1
                path=$(find "$moddir/kernel" -name "$name.ko" -print -quit)
                [ -n "$path" ] || { lab_log "module $name not found in $moddir"; return 1; }
                deps=$(modinfo -F depends "$path") || return 1
                for d in ${deps//,/ }; do visit "$d" || return 1; done
                order+=("${path#"$moddir"/}")
        }
        for m in "$@"; do visit "$m" || return 1; done
        printf '%s\n' "${order[@]}"
}

# lab_vm_kernel_modules NAME...: the VM kernel's modules NAME and what they depend on, in the
# node's /lib/modules/VERSION with the modules.dep depmod makes for them, as an installed kernel
# package leaves them: the node's own modprobe and systemd-modules-load find them there. The host
# has no modules of this kernel (its /lib/modules is not the VM's), so without this the node can
# load nothing. depmod writes only under the node's root (-b).
lab_vm_kernel_modules() {
        local kdir version m dst
        kdir=$(lab_vm_kernel_dir)
        version=$(basename "$(find "$kdir/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n 1)")
        [ -n "$version" ] || { lab_log "no lib/modules in $kdir"; return 1; }
        dst=$LAB_ROOT/usr/lib/modules/$version
        lab_vm_module_order "$kdir/lib/modules/$version" "$@" >"$LAB_DIR/node-modules.order" || return 1
        while read -r m; do
                install -D -m 0644 "$kdir/lib/modules/$version/$m" "$dst/$m" || return 1
        done <"$LAB_DIR/node-modules.order"
        cp "$kdir/lib/modules/$version/modules.builtin" "$kdir/lib/modules/$version/modules.builtin.modinfo" \
                "$kdir/lib/modules/$version/modules.order" "$dst/" ||
                return 1
        depmod -b "$LAB_ROOT" "$version" || { lab_log "depmod failed for the node's modules"; return 1; }
}

# lab_vm_k8s_kernel: a node set up as Kubernetes' container-runtime page says, before boot:
# overlay and br_netfilter loaded by systemd-modules-load, the bridge and forwarding sysctls set
# by systemd-sysctl, so that kernel-netfilter has nothing to find.
lab_vm_k8s_kernel() {
        lab_vm_kernel_modules overlay br_netfilter || return 1
        mkdir -p "$LAB_ROOT/etc/modules-load.d" "$LAB_ROOT/etc/sysctl.d" || return 1
        printf 'overlay\nbr_netfilter\n' >"$LAB_ROOT/etc/modules-load.d/k8s.conf" || return 1
        printf '%s\n' 'net.bridge.bridge-nf-call-iptables  = 1' 'net.bridge.bridge-nf-call-ip6tables = 1' \
                'net.ipv4.ip_forward                 = 1' >"$LAB_ROOT/etc/sysctl.d/k8s.conf"
}

# Writes $LAB_DIR/initrd: busybox, the modules, and an /init that mounts the node's root over
# 9p and hands over to systemd.
lab_vm_initrd() {
        local kdir=$1 version d=$LAB_DIR/initrd.d m
        version=$(basename "$(find "$kdir/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n 1)")
        [ -n "$version" ] || { lab_log "no lib/modules in $kdir"; return 1; }
        mkdir -p "$d/bin" "$d/proc" "$d/sys" "$d/dev" "$d/newroot" "$d/modules" "$d/keep" || return 1
        cp /bin/busybox "$d/bin/busybox" || return 1
        lab_vm_module_order "$kdir/lib/modules/$version" virtio_pci virtio_blk virtio_console \
                virtio_net 9pnet_virtio 9p >"$LAB_DIR/modules.order" || return 1
        while read -r m; do
                cp "$kdir/lib/modules/$version/$m" "$d/modules/" || return 1
                echo "${m##*/}" >>"$d/modules/order"
        done <"$LAB_DIR/modules.order"
        cat >"$d/init" <<'EOF'
#!/bin/busybox sh
# remedy node lab initramfs: the node's / is the host's lab overlay, shared over virtio-9p.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do
        insmod "/modules/$m" || echo "lab initramfs: insmod $m failed"
done </modules/order
if ! mount -t 9p -o trans=virtio,version=9p2000.L,cache=mmap,msize=262144,rw labroot /newroot; then
        echo "lab initramfs: cannot mount the node's root"
        poweroff -f
fi
# The node's /tmp is its own tmpfs, as under nspawn: the host's /tmp seen through the overlay
# would make systemd-tmpfiles walk it all over 9p at boot. remedy's directories bound below /tmp
# (/binds, from vm.sh) are moved onto the new /tmp.
i=0
while read -r p; do
        mkdir -p "/keep/$i" && mount --bind "/newroot$p" "/keep/$i"
        i=$((i + 1))
done </binds
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /newroot/tmp
i=0
while read -r p; do
        mkdir -p "/newroot$p" && mount --move "/keep/$i" "/newroot$p"
        i=$((i + 1))
done </binds
# qemu's user-mode network: the node is 10.0.2.15, the gateway 10.0.2.2. Set here rather than by
# systemd-networkd, which takes seconds under emulation; the kubelet only wants a default route.
ip link set lo up
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2 ||
        echo "lab initramfs: no network"
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /lib/systemd/systemd
EOF
        chmod 0755 "$d/init"
        : >"$d/binds"
        for m in "${LAB_VM_BINDS[@]}"; do
                case $m in /tmp/*) echo "$m" >>"$d/binds" ;; esac
        done
        (cd "$d" && find . | /bin/busybox cpio -o -H newc 2>/dev/null) >"$LAB_DIR/initrd" || return 1
}

# The node tree for a VM: lab_setup's, plus the agent, a network with a default route (the
# kubelet wants one), and no simulated swap (the VM has the real /proc/swaps).
lab_vm_setup() {
        lab_vm_require
        lab_setup || return 1
        local r=$LAB_ROOT
        rm -f "$r/etc/tmpfiles.d/lab-swap.conf"
        install -D -m 0755 "$LAB_LIB_DIR/vm-agent" "$r/usr/lib/remedy-lab/vm-agent" || return 1
        cat >"$r/etc/systemd/system/lab-vm-agent.service" <<'EOF'
# remedy node lab (VM nodes) only: runs the test host's commands, see tests/lab/vm-agent.
[Unit]
Description=remedy lab agent
DefaultDependencies=no
After=systemd-journald.socket

[Service]
ExecStart=/usr/bin/python3 /usr/lib/remedy-lab/vm-agent
Restart=always
RestartSec=1

[Install]
WantedBy=sysinit.target
EOF
        mkdir -p "$r/etc/systemd/system/sysinit.target.wants" || return 1
        ln -sfn ../lab-vm-agent.service "$r/etc/systemd/system/sysinit.target.wants/lab-vm-agent.service"
        # Services a node test does not need, each seconds long under emulation; the network is
        # set up by the initramfs.
        for u in systemd-networkd.service systemd-timesyncd.service systemd-logind.service \
                 systemd-user-sessions.service; do
                ln -sfn /dev/null "$r/etc/systemd/system/$u"
        done
        # The host's container leftovers mean nothing on a VM.
        rm -f "$r/.dockerenv" "$r/run/.containerenv"
        LAB_VM_DISKS=()
}

# lab_vm_disk KIND SIZE: a virtio disk for the node, in the order added (/dev/vda, /dev/vdb...).
# KIND swap: a swap area (mkswap), its UUID in LAB_VM_DISK_UUID; KIND raw: zeros.
lab_vm_disk() {
        local kind=$1 size=$2 img
        img=$LAB_DIR/disk${#LAB_VM_DISKS[@]}.img
        truncate -s "$size" "$img" || return 1
        LAB_VM_DISK_UUID=
        case $kind in
        swap)
                chmod 0600 "$img"
                # A disk image, not a swap file: its holes do not matter, so mkswap's warning is not shown.
                mkswap "$img" >/dev/null 2>&1 || { lab_log "mkswap $img failed"; return 1; }
                LAB_VM_DISK_UUID=$(blkid -o value -s UUID "$img") || return 1
                ;;
        raw) ;;
        *) lab_log "lab_vm_disk: unknown kind $kind"; return 1 ;;
        esac
        LAB_VM_DISKS+=(-drive "file=$img,if=virtio,format=raw")
}

lab_vm_boot() {
        [ -n "$LAB_ROOT" ] || { lab_log "lab_vm_boot before lab_vm_setup"; return 1; }
        [ -z "$LAB_VM_QEMU" ] || { lab_log "already booted"; return 1; }
        local kdir d i state=
        kdir=$(lab_vm_kernel_dir)
        # remedy and its playbooks at the same paths inside the node, as nspawn's --bind-ro does.
        LAB_VM_BINDS=()
        for d in "${SOURCE_ROOT:-}" "$(dirname "$(dirname "${REMEDY:-/}")")"; do
                [ -n "$d" ] && [ "$d" != / ] && [ -d "$d" ] || continue
                LAB_VM_BINDS+=("$d")
                mountpoint -q "$LAB_ROOT$d" && continue   # booted before (lab_vm_reboot)
                mkdir -p "$LAB_ROOT$d" && mount --bind "$d" "$LAB_ROOT$d" && mount -o remount,bind,ro "$LAB_ROOT$d" ||
                        return 1
        done
        lab_vm_initrd "$kdir" || return 1
        LAB_VM_SOCK=$LAB_DIR/agent.sock
        lab_register_trap
        qemu-system-x86_64 -machine q35 -accel tcg,thread=multi -cpu max -smp 2 -m "$LAB_VM_MEMORY" \
                -nodefaults -display none -no-reboot \
                -kernel "$kdir/vmlinuz" -initrd "$LAB_DIR/initrd" \
                -append "console=ttyS0 panic=-1 systemd.hostname=$LAB_NODE_NAME${LAB_VM_APPEND:+ $LAB_VM_APPEND}" \
                -serial "file:$LAB_CONSOLE" \
                -virtfs "local,path=$LAB_ROOT,mount_tag=labroot,security_model=passthrough,multidevs=remap" \
                -device virtio-serial-pci \
                -chardev "socket,id=agent,path=$LAB_VM_SOCK,server=on,wait=off" \
                -device virtserialport,chardev=agent,name=lab.agent \
                -nic "$LAB_VM_NIC" \
                "${LAB_VM_DISKS[@]}" >"$LAB_DIR/qemu.log" 2>&1 &
        LAB_VM_QEMU=$!
        for ((i = 0; i < LAB_BOOT_TIMEOUT * 10; i++)); do
                kill -0 "$LAB_VM_QEMU" 2>/dev/null || break
                if [ -S "$LAB_VM_SOCK" ]; then
                        state=$(VM_RUN_TIMEOUT=2 lab_run systemctl is-system-running 2>/dev/null </dev/null)
                        case $state in running|degraded) return 0 ;; esac
                fi
                sleep 0.1
        done
        lab_log "the VM node did not finish booting (state \"$state\"); qemu:"
        sed 's/^/#   /' "$LAB_DIR/qemu.log" >&2
        lab_log "console:"
        tail -n 60 "$LAB_CONSOLE" | sed 's/^/#   /' >&2
        return 1
}

# lab_vm_reboot: powers the node off and boots it again from the same root and disks, as a
# reboot does (the journal, in /run, starts anew).
lab_vm_reboot() {
        lab_vm_teardown || return 1
        lab_vm_boot
}

# Called by lab_teardown and lab_vm_reboot: powers the VM off (killing qemu after 10 s).
lab_vm_teardown() {
        local i
        [ -n "$LAB_VM_QEMU" ] || return 0
        if kill -0 "$LAB_VM_QEMU" 2>/dev/null; then
                VM_RUN_TIMEOUT=5 lab_run systemctl poweroff --no-block >/dev/null 2>&1 </dev/null
                for ((i = 0; i < 100; i++)); do
                        kill -0 "$LAB_VM_QEMU" 2>/dev/null || break
                        sleep 0.1
                done
                if kill -0 "$LAB_VM_QEMU" 2>/dev/null; then
                        lab_log "the VM node did not power off in 10 s: killing qemu"
                        kill -9 "$LAB_VM_QEMU" 2>/dev/null
                fi
        fi
        wait "$LAB_VM_QEMU" 2>/dev/null
        LAB_VM_QEMU='' LAB_VM_SOCK=''
        return 0
}
