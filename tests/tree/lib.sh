# SPDX-License-Identifier: MIT
# Helpers for the tree tests: TAP output, throwaway copies of the sample node trees, and
# snapshots that capture everything rollback must restore (content, kind, mode, owner, mtime,
# symlink targets, xattrs and ACLs).
set -u

# Without these a test would run with empty paths: "$node/etc/..." would name the host's /etc.
: "${REMEDY:?REMEDY: the remedy binary to test}" "${FIXTURES:?FIXTURES: tests/fixtures}" "${PLAYBOOKS:?PLAYBOOKS: playbooks/}"

TAP_N=0
TAP_FAILED=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/remedy-tree-XXXXXX")
trap 'rm -rf "$WORK"' EXIT

ok() {   # ok CONDITION-EXIT-STATUS DESCRIPTION
        TAP_N=$((TAP_N + 1))
        if [ "$1" -eq 0 ]; then
                echo "ok $TAP_N - $2"
        else
                echo "not ok $TAP_N - $2"
                TAP_FAILED=$((TAP_FAILED + 1))
        fi
}

is() {   # is GOT WANT DESCRIPTION
        if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; echo "# got:  $1"; echo "# want: $2"; fi
}

contains() {   # contains FILE-OR-TEXT PATTERN DESCRIPTION (fixed string)
        if grep -qF -- "$2" <<<"$1"; then ok 0 "$3"; else ok 1 "$3"; echo "# missing: $2"; echo "$1" | sed 's/^/#   /' | head -40; fi
}

lacks() {
        if grep -qF -- "$2" <<<"$1"; then ok 1 "$3"; echo "# unexpected: $2"; else ok 0 "$3"; fi
}

done_testing() {
        echo "1..$TAP_N"
        [ "$TAP_FAILED" -eq 0 ]
        exit $?
}

# A fresh copy of a sample node: new_node NAME -> path. Git does not keep modes or owners beyond
# the executable bit, so the copy gets the ones a real node has.
new_node() {
        local dst="$WORK/$1-$RANDOM$RANDOM"
        cp -a "$FIXTURES/nodes/$1" "$dst" || { echo "Bail out! cannot copy the sample node $1" >&2; kill -TERM $$; exit 1; }
        if [ -d "$dst/var/lib/kubelet/pki" ]; then
                chmod 0700 "$dst/var/lib/kubelet/pki"
                find "$dst/var/lib/kubelet/pki" -type f -exec chmod 0600 {} +
        fi
        echo "$dst"
}

# healthy_sample_node [swap]: the sample broken-node with its faults taken away, as an operator
# who had run the fixes would have left it: no flag its kubelet rejects, a client certificate valid
# now (made at test time, so that it never expires in the repository), and no swap unless the
# argument is "swap". Prints its path.
healthy_sample_node() {
        local node
        node=$(new_node broken-node)
        [ "${1:-}" = swap ] || sed -i 's|^/swap.img|#/swap.img|' "$node/etc/fstab"
        sed -i 's| --improve-speed"|"|' "$node/var/lib/kubelet/kubeadm-flags.env"
        sed -i 's| --network-plugin=cni"|"|' "$node/etc/default/kubelet"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
                -subj "/O=system:nodes/CN=system:node:node01" -keyout "$node.key" -out "$node.crt" 2>/dev/null &&
                cat "$node.crt" "$node.key" >"$node/var/lib/kubelet/pki/kubelet-client-2025-01-01-00-00-00.pem"
        echo "$node"
}

# Everything rollback promises to restore, one line per path, sorted. Paths under EXCLUDE (the
# backup store) are left out.
snapshot() {
        local root=$1
        (cd "$root" && find . -path ./var/lib/remedy -prune -o -printf '%p %y %m %U %G %T@ %s %l\n' | sort) || return 1
        (cd "$root" && find . -path ./var/lib/remedy -prune -o -type f -print0 | sort -z | xargs -0 -r sha256sum) || return 1
        (cd "$root" && getfattr -R -P -d -m - --absolute-names . 2>/dev/null | grep -v '^$' ) || true
}

# containerd_dump NODE [CONFIG]: the node's configuration as Debian's containerd 1.6 merges it
# (`containerd config dump`), run chrooted into a copy of the node so that imports with absolute
# paths are the node's, not this machine's. Fails as containerd fails.
containerd_dump() {
        local node=$1 config=${2:-/etc/containerd/config.toml} j="$WORK/dump-root"
        rm -rf "$j" && cp -a "$node" "$j" && mkdir -p "$j/.judge" || return 1
        cp /usr/bin/containerd /lib64/ld-linux-x86-64.so.2 /lib/x86_64-linux-gnu/libc.so.6 "$j/.judge/" || return 1
        chroot "$j" /.judge/ld-linux-x86-64.so.2 --library-path /.judge /.judge/containerd --config "$config" config dump
}

run() {   # run ARGS... : sets OUT, ERR, RC
        OUT=$("$REMEDY" --no-color "$@" 2>"$WORK/stderr") && RC=0 || RC=$?
        ERR=$(cat "$WORK/stderr")
}
