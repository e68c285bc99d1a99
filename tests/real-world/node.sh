# SPDX-License-Identifier: MIT
# Node trees for the real-world suite, built from a recipe (tests/fixtures/real-world/nodes/*.node)
# over a small kubeadm-on-Debian skeleton whose unit, drop-in and kubelet config are themselves
# real files of the corpus. Sourced by run.sh after tests/tree/lib.sh.
#
# A recipe is one directive a line ('#' starts a comment):
#   summary TEXT             what the node is, for the test names
#   containerd 1.6|2.0|2.3   which containerd the node runs (its package version; which merge
#                            rules judge its configuration). Default 1.6, Debian 12's.
#   containerd-config PATH   the main configuration containerd's unit passes (default
#                            /etc/containerd/config.toml)
#   containerd-config-fixed PATH [P...]
#                            the file containerd reads once playbook P has run (Flatcar: the
#                            copy of /usr's, a drop-in pointing containerd.service at it);
#                            default P: cgroup-driver-systemd sandbox-image
#   kubelet VERSION          the kubelet package version (default 1.33.4)
#   package rpm              no dpkg database: an RPM-based node
#   put SRC DEST             a corpus file (SRC under tests/fixtures/real-world/) at node path DEST
#   text DEST LINE           a line appended to DEST (for the few glue lines a node needs)
#   remove DEST              take a skeleton file away
#   mkdir DEST               an empty directory
#   derive DEST crlf|bom     DEST rewritten with CRLF line endings, or a UTF-8 BOM before it: no
#                            real kubelet configuration with either was found, so the suite makes
#                            one from a real file, and checks that edits keep it
#   findings P...            exactly the playbooks diagnose must find ("none": a healthy node)
#   note TEXT                diagnose must note TEXT (what a daemon skips in its files)
#   problem TEXT             diagnose must report TEXT as a problem it could not judge
#   refuse P TEXT            plan P must refuse (exit 2) with TEXT in its error
#   verify-fails P TEXT      apply P must fail its verification saying TEXT, and roll back
#   not-fixed P TEXT         P has nothing it can change, yet the node is not fixed: apply says
#                            "Not fixed" and TEXT, exit 1
#   cni-bin DIR              the CNI plugins a placeholder names, as empty executables in DIR
#   param P KEY=VALUE        a --set for P in this node

RW="$FIXTURES/real-world"

# node_build RECIPE DIR: the skeleton, then the recipe's files. Sets NODE_* from the recipe.
node_build() {
        local recipe=$1 dir=$2 word a b
        NODE_SUMMARY=$(basename "$recipe" .node)
        NODE_CONTAINERD=1.6
        NODE_CONTAINERD_CONFIG=/etc/containerd/config.toml
        NODE_CONTAINERD_CONFIG_FIXED=""
        NODE_CONTAINERD_CONFIG_FIXED_BY=""
        NODE_KUBELET=1.33.4
        NODE_PACKAGE=deb
        NODE_FINDINGS=""
        NODE_REFUSE=()
        NODE_VERIFY_FAILS=()
        NODE_NOT_FIXED=()
        NODE_DERIVED=()
        NODE_NOTES=()
        NODE_PROBLEMS=()
        NODE_PARAMS=()
        mkdir -p "$dir"/{etc/systemd/system,lib/systemd/system/kubelet.service.d,var/lib/kubelet,var/lib/dpkg,opt/cni/bin,etc/kubernetes}
        printf 'root:x:0:0:root:/root:/bin/bash\n' >"$dir/etc/passwd"
        printf 'root:x:0:\n' >"$dir/etc/group"
        printf 'node01\n' >"$dir/etc/hostname"
        cp "$RW/kubelet-units/k8s-deb-kubelet.service" "$dir/lib/systemd/system/kubelet.service"
        cp "$RW/kubelet-units/k8s-deb-10-kubeadm.conf" "$dir/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"
        cp "$RW/kubelet-config/kubeadm-config.yaml.cgroupfs" "$dir/var/lib/kubelet/config.yaml"
        # the network manager's units, Debian 12's own (kubelet-wait-online enables its wait-online)
        cp /lib/systemd/system/systemd-networkd.service /lib/systemd/system/systemd-networkd-wait-online.service \
                /lib/systemd/system/systemd-networkd.socket "$dir/lib/systemd/system/"
        mkdir -p "$dir/etc/systemd/system/multi-user.target.wants"
        ln -s /lib/systemd/system/systemd-networkd.service "$dir/etc/systemd/system/multi-user.target.wants/"
        # A joined node's kubelet is enabled: the deb's postinst enables it, and on RPM nodes the
        # install guide's `systemctl enable --now kubelet` does (else kubelet-enable's case).
        ln -s /lib/systemd/system/kubelet.service "$dir/etc/systemd/system/multi-user.target.wants/"
        for p in bridge host-local loopback portmap; do : >"$dir/opt/cni/bin/$p"; chmod 0755 "$dir/opt/cni/bin/$p"; done

        while read -r word a b; do
                case "$word" in
                ''|'#'*) ;;
                summary) NODE_SUMMARY="$a${b:+ $b}" ;;
                containerd) NODE_CONTAINERD=$a ;;
                containerd-config) NODE_CONTAINERD_CONFIG=$a ;;
                containerd-config-fixed)
                        NODE_CONTAINERD_CONFIG_FIXED=$a
                        NODE_CONTAINERD_CONFIG_FIXED_BY=${b:-cgroup-driver-systemd sandbox-image} ;;
                kubelet) NODE_KUBELET=$a ;;
                package) NODE_PACKAGE=$a ;;
                put) mkdir -p "$(dirname "$dir$b")"; cp "$RW/$a" "$dir$b" ;;
                text) mkdir -p "$(dirname "$dir$a")"; printf '%s\n' "$b" >>"$dir$a" ;;
                remove) rm -rf "${dir:?}$a" ;;
                mkdir) mkdir -p "$dir$a" ;;
                derive)
                        case "$b" in
                        crlf) sed -i 's/$/\r/' "$dir$a" ;;
                        bom) printf '\357\273\277' | cat - "$dir$a" >"$dir$a.new" && mv "$dir$a.new" "$dir$a" ;;
                        *) echo "$recipe: derive $a: crlf or bom, not '$b'" >&2; return 1 ;;
                        esac
                        NODE_DERIVED+=("$a" "$b") ;;
                findings) NODE_FINDINGS="$a${b:+ $b}" ;;
                note) NODE_NOTES+=("$a${b:+ $b}") ;;
                problem) NODE_PROBLEMS+=("$a${b:+ $b}") ;;
                refuse) NODE_REFUSE+=("$a" "$b") ;;
                verify-fails) NODE_VERIFY_FAILS+=("$a" "$b") ;;
                not-fixed) NODE_NOT_FIXED+=("$a" "$b") ;;
                cni-bin) mkdir -p "$dir$a"; for p in bridge host-local loopback portmap; do : >"$dir$a/$p"; chmod 0755 "$dir$a/$p"; done ;;
                param) NODE_PARAMS+=("$a" "$b") ;;
                *) echo "$recipe: unknown directive '$word'" >&2; return 1 ;;
                esac
        done <"$recipe"

        if [ "$NODE_PACKAGE" = deb ]; then
                local cver
                case "$NODE_CONTAINERD" in
                1.6) cver=1.6.20~ds1-1+deb12u3 ;;
                2.0) cver=2.0.5-1 ;;
                2.3) cver=2.3.1-1 ;;
                esac
                sed -e "s/@KUBELET@/$NODE_KUBELET-1.1/" -e "s/@CONTAINERD@/$cver/" \
                        "$SOURCE_ROOT/tests/real-world/dpkg-status.in" >"$dir/var/lib/dpkg/status"
        fi
        # containerd.service, wherever the recipe put it, is enabled as on the node it comes from
        # (Debian's package enables it, Flatcar and Bottlerocket ship it enabled)
        local u
        for u in /etc/systemd/system /usr/lib/systemd/system /lib/systemd/system; do
                if [ -f "$dir$u/containerd.service" ] &&
                   [ ! -e "$dir/etc/systemd/system/multi-user.target.wants/containerd.service" ]; then
                        ln -s "$u/containerd.service" "$dir/etc/systemd/system/multi-user.target.wants/containerd.service"
                        break
                fi
        done
        # the recipe's files keep git's 0644; a kubeconfig and the pki are private on a real node
        find "$dir/etc/kubernetes" -maxdepth 1 -name '*.conf' -exec chmod 0600 {} +
}

# The param's --set words for playbook $1 in the current node.
node_sets() {
        local i
        for ((i = 0; i < ${#NODE_PARAMS[@]}; i += 2)); do
                [ "${NODE_PARAMS[i]}" = "$1" ] && printf -- '--set\n%s\n' "${NODE_PARAMS[i + 1]}"
        done
}

# node_lookup ARRAY P: the text ARRAY (pairs of playbook and text) holds for playbook P, or nothing.
node_lookup() {
        local -n pairs=$1
        local i
        for ((i = 0; i < ${#pairs[@]}; i += 2)); do
                [ "${pairs[i]}" = "$2" ] && printf '%s' "${pairs[i + 1]}"
        done
        return 0
}

# The text apply of playbook $1 must say "Not fixed" with, or nothing.
node_not_fixed() { node_lookup NODE_NOT_FIXED "$1"; }

# The text apply of playbook $1 must fail verification with, or nothing.
node_verify_failure() { node_lookup NODE_VERIFY_FAILS "$1"; }

# The file containerd reads once playbook $1 has run, when the playbook moves it, or nothing.
node_fixed_config() {
        case " $NODE_CONTAINERD_CONFIG_FIXED_BY " in *" $1 "*) printf '%s' "$NODE_CONTAINERD_CONFIG_FIXED" ;; esac
        return 0
}

# The text plan of playbook $1 must refuse with, or nothing.
node_refusal() { node_lookup NODE_REFUSE "$1"; }
