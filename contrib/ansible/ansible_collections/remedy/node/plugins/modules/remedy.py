#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: MIT
# Runs the node's installed remedy with --json and maps its report onto Ansible's contract. The
# model is community.general's terraform module: a plan/apply tool whose plan is check mode.
# remedy does the work (planning, backups, verification, rollback); this module only chooses the
# command line and reads the report, so every field it returns is one remedy printed.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: remedy
short_description: Repair a Kubernetes node with remedy playbooks, roll back, or diagnose
version_added: "1.0.0"
description:
  - Runs the C(remedy) installed on the node (C(/usr/sbin/remedy) from its Debian package) with
    C(--json) and reports its outcome.
  - I(state=applied) applies the named playbooks as one transaction (C(remedy apply)); remedy
    archives every file it touches, verifies, and rolls the transaction back by itself when a step
    or the verification fails. The backup ID is returned as C(backup_id) for a later
    I(state=rolled_back).
  - In check mode I(state=applied) runs C(remedy plan) instead, which writes nothing;
    C(changed) says whether changes are pending. With C(--diff) the file diffs remedy printed are
    shown as they are; remedy masks secrets (private keys, tokens, passwords) in them itself.
  - I(state=rolled_back) runs C(remedy rollback) (C(--dry-run) in check mode).
  - I(state=diagnosed) runs C(remedy diagnose), which is read-only, and returns its findings.
options:
  playbooks:
    description:
      - Names of the remedy playbooks to apply, as C(remedy list) shows them.
      - Required with I(state=applied).
    type: list
    elements: str
    default: []
  params:
    description:
      - Playbook parameters; each becomes C(--set KEY=VALUE).
      - remedy refuses a key none of the named playbooks declares, and a value of the wrong type.
    type: dict
    default: {}
  secret_params:
    description:
      - Playbook parameters whose values are secret (a token, a password). They are passed as
        C(--set) like I(params), and kept out of Ansible's logs and results (C(no_log)); remedy
        masks them in its own report.
    type: dict
    default: {}
  state:
    description:
      - C(applied) applies I(playbooks); C(rolled_back) rolls back I(backup_id), or the newest
        transaction still applied; C(diagnosed) reports which known failures the node has.
    type: str
    choices: [applied, rolled_back, diagnosed]
    default: applied
  backup_id:
    description:
      - With I(state=rolled_back), the transaction to roll back (the C(backup_id) an earlier
        I(state=applied) task returned). Without it, the newest transaction still applied
        (C(remedy rollback --last)).
    type: str
  cascade:
    description:
      - With I(state=rolled_back), roll back later transactions on the same files first
        (C(--cascade)); without it remedy refuses such a rollback.
    type: bool
    default: false
  no_rollback:
    description:
      - With I(state=applied), keep the changes when only the verification failed
        (C(--no-rollback)). The task still fails, and C(backup_id) names the transaction to roll
        back later.
    type: bool
    default: false
  job_timeout:
    description:
      - How long remedy waits for each systemd job (C(--job-timeout)), for example C(2min).
    type: str
  root:
    description:
      - Work on the node tree mounted at this path instead of the running system (C(--root));
        systemd is not asked and units are not checked.
    type: path
  backup_dir:
    description:
      - Where remedy keeps its transactions (C(--backup-dir)), a path of the machine remedy
        runs on; the default is C(/var/lib/remedy/backups) under I(root).
    type: path
  playbook_dirs:
    description:
      - Directories to load playbooks from (C(--playbooks)), instead of
        C(/usr/share/remedy/playbooks) and C(/etc/remedy/playbooks). Run as root, remedy refuses a
        directory that is not root-owned or is writable by others.
    type: list
    elements: path
    default: []
  binary:
    description:
      - The remedy executable on the node.
    type: path
    default: /usr/sbin/remedy
notes:
  - remedy takes a lock per node and refuses to start while an earlier transaction is
    unresolved; cluster-wide pacing is the play's job (C(serial), C(max_fail_percentage)).
  - C(changed) is false after a verification failure that remedy rolled back, because the node's
    files are as they were; C(rolled_back) says it happened.
requirements:
  - remedy on the node (the C(remedy) Debian package, or the binary and its playbooks)
author:
  - remedy authors
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
'''

EXAMPLES = r'''
- name: Repair the cgroup driver, one node at a time, stopping at the first failure
  hosts: workers
  serial: 1
  max_fail_percentage: 0
  tasks:
    - name: Apply cgroup-driver-systemd
      remedy.node.remedy:
        playbooks: [cgroup-driver-systemd]
      register: repair

- name: Preview without changing anything (ansible-playbook --check --diff)
  remedy.node.remedy:
    playbooks: [kubelet-rotate-kubeconfig]
    params:
      kubeconfig: /root/new-kubelet.conf

- name: Roll back what an earlier task applied
  remedy.node.remedy:
    state: rolled_back
    backup_id: "{{ repair.backup_id }}"

- name: Diagnose
  remedy.node.remedy:
    state: diagnosed
  register: diagnosis
'''

RETURN = r'''
backup_id:
  description: The transaction's ID (remedy's C(backup)), for I(state=rolled_back) later; with
    I(state=rolled_back), the transaction rolled back.
  returned: when remedy made a transaction
  type: str
  sample: 20261206T140716Z-0efe95
outcome:
  description: remedy's outcome of an apply (C(applied), C(nothing-to-do), C(rolled-back),
    C(rollback-failed)), or C(planned) in check mode; with I(state=rolled_back) the
    transaction's state (C(rolled-back)).
  returned: with state=applied and state=rolled_back
  type: str
rolled_back:
  description: remedy rolled the transaction back by itself because a step or the verification
    failed.
  returned: with state=applied
  type: bool
findings:
  description: diagnose's findings (C(name), C(playbook), C(kind), C(safety), C(evidence),
    C(advice), C(fix), C(supply)), as C(remedy --json diagnose) prints them.
  returned: with state=diagnosed
  type: list
  elements: dict
problems:
  description: diagnose's problems (files it could not judge).
  returned: with state=diagnosed
  type: list
report:
  description: remedy's whole JSON document, secrets masked by remedy.
  returned: always, when remedy printed one
  type: dict
exit_status:
  description: remedy's exit status (0 done or nothing to do, 1 failed or findings, 2 refused).
    Not named C(rc), which Ansible reads as failed whenever it is not 0, while diagnose's 1
    means findings and the task did not fail.
  returned: always
  type: int
cmd:
  description: The argument vector remedy was run with.
  returned: always
  type: list
  elements: str
stderr:
  description: remedy's standard error.
  returned: always
  type: str
'''

import json

from ansible.module_utils.basic import AnsibleModule


def remedy_argv(module, command):
    p = module.params
    argv = [p['binary'], '--json', '--no-color']
    if p['root']:
        argv.append('--root=' + p['root'])
    for d in p['playbook_dirs']:
        argv.append('--playbooks=' + d)
    if p['backup_dir']:
        argv.append('--backup-dir=' + p['backup_dir'])
    if p['job_timeout']:
        argv.append('--job-timeout=' + p['job_timeout'])
    return argv + command


def set_args(params):
    args = []
    for key in sorted(params):
        value = params[key]
        if isinstance(value, bool):
            value = 'true' if value else 'false'   # YAML's true, not Python's True
        args += ['--set', '%s=%s' % (key, value)]
    return args


def shown_argv(argv, secret_params):
    """argv as results show it: the values of secret_params masked."""
    shown = list(argv)
    for i in range(1, len(shown)):
        key = shown[i].split('=', 1)[0]
        if shown[i - 1] == '--set' and key in secret_params:
            shown[i] = key + '=********'
    return shown


def run_remedy(module, command):
    """Runs remedy (an argv list, never a shell); returns (rc, report dict or None, stdout, stderr)."""
    run_argv = remedy_argv(module, command)
    rc, out, err = module.run_command(run_argv, environ_update={'LANG': 'C.UTF-8'})
    argv = shown_argv(run_argv, module.params['secret_params'])
    try:
        report = json.loads(out) if out.strip() else None
    except ValueError:
        report = None
    if not isinstance(report, dict):
        module.fail_json(msg='remedy printed no JSON report (exit status %d): %s' % (rc, (err or out).strip()),
                         exit_status=rc, cmd=argv, stdout=out, stderr=err, changed=False)
    if rc == 2 or (rc != 0 and rc != 1):
        # Bad input or refused: remedy changed nothing.
        module.fail_json(msg='remedy refused: %s' % report.get('error', (err or '').strip()),
                         exit_status=rc, cmd=argv, report=report, stderr=err, changed=False)
    return argv, rc, report, err


def run_diff(report):
    """The file diffs of a plan or apply report, as remedy printed them (secrets masked)."""
    parts = []
    for pb in report.get('playbooks', []):
        for step in pb.get('steps', []):
            if step.get('status') not in ('change', 'changed', 'failed'):
                continue
            files = step.get('files', [])
            if step.get('note'):
                parts.append('# %s: %s: %s\n' % (pb.get('name'), step.get('name'), step['note']))
            for f in files:
                if f.get('diff'):
                    parts.append(f['diff'])
                else:
                    parts.append('# %s %s\n' % (f.get('operation'), f.get('path')))
    return ''.join(parts)


def rollback_diff(report):
    parts = []
    for t in report.get('cascaded', []) + [report]:
        for item in t.get('items', []):
            if item.get('action') in ('unchanged', 'restore-mtime'):
                continue
            parts.append(item.get('diff') or '# %s %s\n' % (item.get('action'), item.get('path')))
    return ''.join(parts)


def state_applied(module):
    p = module.params
    if not p['playbooks']:
        module.fail_json(msg='state=applied needs playbooks')
    names = list(p['playbooks'])
    sets = set_args(p['params']) + set_args(p['secret_params'])

    if module.check_mode:
        argv, rc, report, err = run_remedy(module, ['plan'] + names + sets)
        summary = report.get('summary', {})
        result = dict(changed=summary.get('change', 0) > 0, outcome='planned', exit_status=rc, cmd=argv,
                      report=report, stderr=err)
        if summary.get('failed', 0) > 0:
            module.fail_json(msg='remedy plan: %d step(s) cannot be planned' % summary['failed'], **result)
        if module._diff and run_diff(report):
            result['diff'] = dict(prepared=run_diff(report))
        module.exit_json(**result)

    command = ['apply'] + names + sets
    if p['no_rollback']:
        command.append('--no-rollback')
    argv, rc, report, err = run_remedy(module, command)
    outcome = report.get('outcome')
    result = dict(outcome=outcome, exit_status=rc, cmd=argv, report=report, stderr=err,
                  rolled_back=outcome == 'rolled-back')
    if report.get('backup'):
        result['backup_id'] = report['backup']
    if module._diff and run_diff(report):
        result['diff'] = dict(prepared=run_diff(report))

    if rc == 0:
        result['changed'] = outcome == 'applied'
        module.exit_json(**result)
    # Exit status 1: a step or a verification failed.
    if outcome == 'rolled-back':
        result['changed'] = False
        msg = 'remedy rolled the transaction back: %s' % report.get('error', 'a step or the verification failed')
    elif outcome == 'rollback-failed':
        result['changed'] = True
        msg = 'remedy could not roll back (%s): the node may be half-changed; run remedy rollback %s' % (
            report.get('rollback_error', '?'), report.get('backup', '--last'))
    else:
        result['changed'] = outcome == 'applied'
        msg = 'remedy: %s; the changes were kept (no_rollback): roll back with backup_id %s' % (
            report.get('error', 'the verification failed'), report.get('backup', '?'))
    module.fail_json(msg=msg, **result)


def state_rolled_back(module):
    p = module.params
    command = ['rollback', p['backup_id'] if p['backup_id'] else '--last']
    if p['cascade']:
        command.append('--cascade')
    if module.check_mode:
        command.append('--dry-run')
    argv, rc, report, err = run_remedy(module, command)
    result = dict(exit_status=rc, cmd=argv, report=report, stderr=err)
    if report.get('id'):
        result['backup_id'] = report['id']
    if report.get('state'):
        result['outcome'] = report['state']
    if report.get('nothing_to_do'):
        result['changed'] = False
    else:
        items = [i for t in report.get('cascaded', []) + [report] for i in t.get('items', [])]
        units = [u for t in report.get('cascaded', []) + [report] for u in t.get('units', [])]
        result['changed'] = any(i.get('action') not in ('unchanged', 'restore-mtime') for i in items) or bool(units)
    if module._diff and rollback_diff(report):
        result['diff'] = dict(prepared=rollback_diff(report))
    if rc != 0:
        module.fail_json(msg='remedy rollback failed: %s' % (report.get('error') or err.strip()), **result)
    module.exit_json(**result)


def state_diagnosed(module):
    argv, rc, report, err = run_remedy(module, ['diagnose'])
    module.exit_json(changed=False, exit_status=rc, cmd=argv, report=report, stderr=err,
                     findings=report.get('findings', []), problems=report.get('problems', []),
                     notes=report.get('notes', []))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            playbooks=dict(type='list', elements='str', default=[]),
            params=dict(type='dict', default={}),
            secret_params=dict(type='dict', default={}, no_log=True),
            state=dict(type='str', default='applied', choices=['applied', 'rolled_back', 'diagnosed']),
            backup_id=dict(type='str'),
            cascade=dict(type='bool', default=False),
            no_rollback=dict(type='bool', default=False),
            job_timeout=dict(type='str'),
            root=dict(type='path'),
            backup_dir=dict(type='path'),
            playbook_dirs=dict(type='list', elements='path', default=[]),
            binary=dict(type='path', default='/usr/sbin/remedy'),
        ),
        supports_check_mode=True,
    )
    state = module.params['state']
    if state == 'applied':
        state_applied(module)
    elif state == 'rolled_back':
        state_rolled_back(module)
    else:
        state_diagnosed(module)


if __name__ == '__main__':
    main()
