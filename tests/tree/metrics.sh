#!/bin/bash
# SPDX-License-Identifier: MIT
# --metrics-textfile: the metrics of a run, judged by Debian's real prometheus-node-exporter with
# only its textfile collector, listening on 127.0.0.1 and scraped over HTTP: the samples it
# exports, and node_textfile_scrape_error 0 (it parsed the file). The file is replaced
# atomically (no temporary left, a symlink at its path replaced rather than followed) and is
# readable by node_exporter's unprivileged user.
. "$(dirname "$0")/lib.sh"

tf="$WORK/textfile"
mkdir -p "$tf"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
prometheus-node-exporter --web.listen-address="127.0.0.1:$port" --collector.disable-defaults --collector.textfile \
        --collector.textfile.directory="$tf" >"$WORK/node-exporter.log" 2>&1 &
exporter=$!
trap 'kill $exporter 2>/dev/null; rm -rf "$WORK"' EXIT
scrape() {
        python3 - "$port" <<'PY'
import sys, time, urllib.request
for _ in range(100):
    try:
        print(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=2).read().decode())
        break
    except OSError:
        time.sleep(0.1)
PY
}

node=$(new_node broken-node)
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" --metrics-textfile="$tf/remedy-diagnose.prom" diagnose
is "$RC" 1 "diagnose with findings: exit 1, as without metrics"
is "$(stat -c %a "$tf/remedy-diagnose.prom")" 644 "the metrics file is readable by node_exporter's user"
m=$(scrape)
contains "$m" "node_textfile_scrape_error 0" "node_exporter parsed the file"
contains "$m" 'remedy_findings{finding="swap-off",safety="confirm"} 1' "a finding, with its safety class"
contains "$m" 'remedy_findings{finding="kubelet-strip-flags",safety="confirm"} 1' "each finding"
contains "$m" "remedy_findings_found 3" "their count"
contains "$m" 'remedy_last_run_exit_status{command="diagnose"} 1' "the run's exit status"
not_after=$(date -d "$(openssl x509 -noout -enddate -in "$node/var/lib/kubelet/pki/kubelet-client-2025-01-01-00-00-00.pem" | cut -d= -f2)" +%s)
# node_exporter prints it as a float (1.7672256e+09): compared as a number.
is "$(awk -v t="$not_after" '/^remedy_client_certificate_expiry_timestamp_seconds / { print ($2 == t) }' <<<"$m")" 1 \
        "the client certificate's notAfter in seconds, as openssl reads it"
is "$(awk '/^remedy_last_run_timestamp_seconds\{command="diagnose"\}/ { print ($2 >= '"$(date +%s)"' - 60) }' <<<"$m")" 1 \
        "when it ran: within the last minute"

# apply and rollback count the store's transactions; a second file per command keeps diagnose's.
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" --metrics-textfile="$tf/remedy-apply.prom" \
        apply swap-off
is "$RC" 0 "apply with metrics: exit 0"
m=$(scrape)
contains "$m" 'remedy_transactions{command="apply",state="applied"} 1' "one transaction applied"
contains "$m" "remedy_unresolved_transactions 0" "none unresolved"
contains "$m" 'remedy_last_run_exit_status{command="apply"} 0' "apply's exit status"
contains "$m" 'remedy_findings{finding="swap-off",safety="confirm"} 1' "diagnose's file is still there"
run --root="$node" --backup-dir="$WORK/store" --metrics-textfile="$tf/remedy-apply.prom" rollback --last
m=$(scrape)
contains "$m" 'remedy_transactions{command="apply",state="rolled-back"} 1' "after rollback: the apply is rolled back"
contains "$m" 'remedy_transactions{command="apply",state="applied"} 0' "none applied"
contains "$m" 'remedy_transactions{command="rollback",state="applied"} 1' "and the rollback is recorded"
is "$(find "$tf" -name '.*' -type f)" "" "no temporary file left beside the metrics"

# A symlink at the path is replaced, never written through.
echo untouched >"$WORK/elsewhere"
ln -sf "$WORK/elsewhere" "$tf/remedy-link.prom"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" --metrics-textfile="$tf/remedy-link.prom" diagnose
is "$(cat "$WORK/elsewhere")" untouched "a symlink at the path: its target is not written"
ok "$(test -f "$tf/remedy-link.prom" -a ! -L "$tf/remedy-link.prom"; echo $?)" "the symlink is replaced by the file"

run --root="$node" --metrics-textfile=relative.prom diagnose
is "$RC" 2 "a relative path is refused"
run --root="$node" --playbooks="$PLAYBOOKS" --metrics-textfile="$WORK/no-such-dir/r.prom" diagnose
is "$RC" 1 "a metrics file that cannot be written: the run's own status stands (1, findings)"
contains "$ERR" "--metrics-textfile: $WORK/no-such-dir/r.prom: $WORK/no-such-dir is not a directory" "and the error names the file"
ok "$(test ! -e "$WORK/no-such-dir"; echo $?)" "the directory is not made: it is node_exporter's"
done_testing
