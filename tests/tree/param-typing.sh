#!/bin/bash
# SPDX-License-Identifier: MIT
# Parameter values are typed for where they go: a subnet is a CIDR, a value inside a JSON, TOML,
# YAML, env-file or unit-file string is encoded by that format's rules (or refused), a duration is
# written the way both sleep(1) and systemd read it, and no value carries a control character or
# a Unicode line separator. Each file written is read back by its real consumer.
. "$(dirname "$0")/lib.sh"

# One-line errors only: a value's newline must not reach the terminal either.
one_line() { [ "$(printf '%s' "$1" | wc -l)" -eq 0 ] && echo 0 || echo 1; }

# --- the shipped playbooks -------------------------------------------------------------------

node=$(new_node broken-node)
rm -f "$node"/etc/cni/net.d/*
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" apply cni-placeholder \
        --set 'subnet=10.0.0.0/16"}],"x":[{"a":"b'
is "$RC" 2 "cni-placeholder: a subnet with a quote is bad input (exit 2)"
contains "$ERR" "--set subnet=" "the error names the --set argument"
ok "$(one_line "$ERR")" "in one line"
is "$(snapshot "$node")" "$before" "nothing changed"

for bad in 10.0.0.0 10.0.0.0/33 300.0.0.0/8 '10.0.0.0/16 ' 2001:db8::/129 10.0.0.0/08 ''; do
        run --root="$node" --playbooks="$PLAYBOOKS" plan cni-placeholder --set "subnet=$bad"
        is "$RC" 2 "cni-placeholder: subnet '$bad' is not a CIDR (exit 2)"
done
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" apply cni-placeholder --set subnet=fd00:10::/64
is "$RC" 0 "an IPv6 subnet is a CIDR too"
conflist="$node/etc/cni/net.d/zz-remedy-placeholder.conflist"
is "$(jq -r '.plugins[0].ipam.subnet' "$conflist")" "fd00:10::/64" "jq reads the subnet back"
is "$(jq -r '.plugins | length' "$conflist")" 1 "one plugin"

run --root="$node" --playbooks="$PLAYBOOKS" plan cni-placeholder --set $'subnet=10.0.0.0/16\e[31m'
is "$RC" 2 "an ESC in a value: exit 2"
lacks "$ERR" $'\e' "the ESC is not printed"
contains "$ERR" "control character" "the error says why"

node=$(new_node broken-node)
dropin="$node/etc/systemd/system/kubelet.service.d/20-remedy-network-online.conf"
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" apply kubelet-wait-online \
        --set $'delay=15\nExecStartPre=/bin/false'
is "$RC" 2 "delay with a newline and a directive: exit 2"
ok "$(one_line "$ERR")" "in one line"
contains "$ERR" "--set delay=" "naming the --set argument"
is "$(snapshot "$node")" "$before" "nothing changed"

run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" apply kubelet-wait-online --set delay=500ms
is "$RC" 0 "delay=500ms: apply exits 0"
line=$(grep '^ExecStartPre=' "$dropin")
arg=${line#ExecStartPre=/bin/sleep }
ok "$(sleep "$arg"; echo $?)" "coreutils sleep takes the written delay ('$arg')"
ok "$(systemd-analyze timespan "$arg" >/dev/null; echo $?)" "systemd reads it as a time span"
is "$(systemd-analyze timespan "$arg" | sed -n 's/^ *μs: //p')" 500000 "and it is still 500ms"
is "$(grep -c '=' "$dropin")" 3 "the drop-in has its three directives, no more"

run --root="$node" --playbooks="$PLAYBOOKS" plan kubelet-wait-online --set 'delay=1min 30s'
contains "$OUT" "+ExecStartPre=/bin/sleep 90s" "1min 30s is written as 90s"
run --root="$node" --playbooks="$PLAYBOOKS" plan kubelet-wait-online --set delay=infinity
is "$RC" 2 "delay=infinity would never start the kubelet: exit 2"

# A default is checked where it is declared: FILE:LINE.
mkdir -p "$WORK/pb-default"
printf 'name: bad-default\nparams:\n  note: {type: string, default: "a\\u2028b"}\nsteps:\n  - name: x\n    file: {path: /etc/x, content: "{{ note }}"}\n' \
        >"$WORK/pb-default/p.yaml"
run --root="$node" --playbooks="$WORK/pb-default" plan bad-default
is "$RC" 2 "a default with U+2028: exit 2"
contains "$ERR" "$WORK/pb-default/p.yaml:3:" "naming the default's FILE:LINE"
ok "$(one_line "$ERR")" "in one line"

# --- values inside each format ---------------------------------------------------------------

# targets NAME STEP: a playbook that writes STEP (a YAML step body) with parameters note and port.
targets() {
        mkdir -p "$WORK/pb-$1"
        cat >"$WORK/pb-$1/p.yaml" <<EOF
name: $1
params:
  note: {type: string, default: plain}
  port: {type: int, default: 8080}
steps:
  - name: write it
$2
EOF
}
hostile='a"b\c'"'"'d$e`f%i}],"x":[{"y":"z #g: h'

targets json '    file:
      path: /etc/t/10-net.conflist
      content: |
        {"name": "t", "cniVersion": "0.3.1", "port": {{ port }},
         "plugins": [{"type": "bridge", "ipam": {"type": "host-local", "note": "{{ note }}"}}]}'
node=$(new_node broken-node)
run --root="$node" --playbooks="$WORK/pb-json" --backup-dir="$WORK/store" apply json --set "note=$hostile"
is "$RC" 0 "json: a hostile string is encoded (exit 0)"
is "$(jq -r '.plugins[0].ipam.note' "$node/etc/t/10-net.conflist")" "$hostile" "json: jq reads the value back"
is "$(jq -r '.plugins | length' "$node/etc/t/10-net.conflist")" 1 "json: no second plugin"
is "$(jq -c 'keys' "$node/etc/t/10-net.conflist")" '["cniVersion","name","plugins","port"]' "json: no new key"
run --root="$node" --playbooks="$WORK/pb-json" plan json --set $'note=a\tb'
is "$RC" 2 "json: a tab is a control character too"
run --root="$node" --playbooks="$WORK/pb-json" plan json --set $'note=a\xc2\x85b'
is "$RC" 2 "json: so is a C1 control (U+0085)"
run --root="$node" --playbooks="$WORK/pb-json" plan json --set $'note=a\xffb'
is "$RC" 2 "json: and invalid UTF-8"

targets toml '    file:
      path: /etc/t/c.toml
      content: |
        [a]
        note = "{{ note }}"
        port = {{ port }}'
node=$(new_node broken-node)
run --root="$node" --playbooks="$WORK/pb-toml" --backup-dir="$WORK/store" apply toml --set "note=$hostile"
is "$RC" 0 "toml: a hostile string is encoded (exit 0)"
is "$(python3 -c 'import sys, tomllib; d = tomllib.load(open(sys.argv[1], "rb")); print(d["a"]["note"]); print(sorted(d["a"]))' \
        "$node/etc/t/c.toml")" "$hostile
['note', 'port']" "toml: tomllib reads the value back, and no other key"

targets tomllit "    file:
      path: /etc/t/l.toml
      content: |
        note = '{{ note }}'"
node=$(new_node broken-node)
run --root="$node" --playbooks="$WORK/pb-tomllit" plan tomllit --set "note=$hostile"
is "$RC" 2 "toml: a quote in a literal string cannot be encoded: exit 2"
contains "$ERR" "parameter 'note'" "naming the parameter"

targets yaml '    file:
      path: /etc/t/c.yaml
      content: |
        a:
          note: "{{ note }}"
          single: '"'"'{{ note }}'"'"'
          port: {{ port }}'
node=$(new_node broken-node)
run --root="$node" --playbooks="$WORK/pb-yaml" --backup-dir="$WORK/store" apply yaml --set "note=$hostile"
is "$RC" 0 "yaml: a hostile string is encoded (exit 0)"
is "$(python3 -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1]))["a"]; print(d["note"]); print(d["single"]); print(sorted(d))' \
        "$node/etc/t/c.yaml")" "$hostile
$hostile
['note', 'port', 'single']" "yaml: PyYAML reads both values back, and no other key"

targets yamlplain '    file:
      path: /etc/t/p.yaml
      content: |
        note: {{ note }}'
node=$(new_node broken-node)
run --root="$node" --playbooks="$WORK/pb-yamlplain" plan yamlplain --set 'note=x: y'
is "$RC" 2 "yaml: a value that is not a plain scalar cannot go unquoted: exit 2"
run --root="$node" --playbooks="$WORK/pb-yamlplain" plan yamlplain --set 'note=true'
is "$RC" 2 "yaml: nor one YAML reads as a bool"

targets env '    file:
      path: /etc/default/t
      content: |
        NOTE="{{ note }}"
        PORT={{ port }}'
node=$(new_node broken-node)
run --root="$node" --playbooks="$WORK/pb-env" --backup-dir="$WORK/store" apply env --set "note=$hostile"
is "$RC" 0 "env: a hostile string is encoded (exit 0)"
is "$(env -i bash -c 'set -a; . "$1"; printf "%s|%s" "$NOTE" "$PORT"' - "$node/etc/default/t")" "$hostile|8080" \
        "env: the shell reads the value back"

targets unit '    dropin:
      unit: t.service
      name: 10-t.conf
      content: |
        [Service]
        Environment="NOTE={{ note }}"
        ExecStartPre=/bin/echo {{ port }}'
node=$(new_node broken-node)
before=$(snapshot "$node")
run --root="$node" --playbooks="$WORK/pb-unit" --backup-dir="$WORK/store" apply unit --set $'note=x\nExecStartPre=/bin/false'
is "$RC" 2 "unit: a newline and a directive: exit 2"
is "$(snapshot "$node")" "$before" "nothing changed"
run --root="$node" --playbooks="$WORK/pb-unit" --backup-dir="$WORK/store" apply unit --set "note=$hostile"
is "$RC" 0 "unit: a hostile string is encoded (exit 0)"
conf="$node/etc/systemd/system/t.service.d/10-t.conf"
is "$(grep -c '=' "$conf")" 2 "unit: the drop-in has its two directives, no more"
is "$(grep '^Environment=' "$conf")" 'Environment="NOTE=a\"b\\c'"'"'d$e`f%%i}],\"x\":[{\"y\":\"z #g: h"' \
        "unit: quotes and backslashes escaped, % doubled"
mkdir -p "$WORK/unit/t.service.d"
printf '[Service]\nType=oneshot\nExecStart=/bin/true\n' >"$WORK/unit/t.service"
cp "$conf" "$WORK/unit/t.service.d/"
is "$(systemd-analyze verify "$WORK/unit/t.service" 2>&1)" "" "unit: systemd-analyze verify has nothing to say"

targets unitexec '    dropin:
      unit: t.service
      name: 10-t.conf
      content: |
        [Service]
        ExecStartPre=/bin/echo {{ note }}'
run --root="$node" --playbooks="$WORK/pb-unitexec" plan unitexec --set 'note=a b'
is "$RC" 2 "unit: a space in an unquoted command-line word: exit 2"
done_testing
