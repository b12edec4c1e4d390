#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netloom contributors
# SPDX-License-Identifier: LGPL-2.1-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: host
short_description: Apply a host's interface XML with netloom
version_added: "0.1.0"
description:
  - Runs the netloom installed on the managed host with the host's libvirt interface XML,
    which describes every interface of the host. netloom renders it into the native
    configuration of the host's backend (RHEL ifcfg files, Debian C(/etc/network/interfaces),
    NetworkManager) and writes it as one journalled transaction.
  - Files the backend owns for interfaces that are not in the XML are deleted.
  - In check mode the module runs C(netloom diff) and writes nothing.
  - In diff mode it returns the unified diff of every file that changes.
  - Invalid XML fails the task with netloom's message, which names each problem's
    C(file:line:col) and what was expected; nothing is written.
options:
  src:
    description:
      - The interface XML files on the managed host, together the whole host, as
        C(netloom apply) takes them (for example what M(ansible.builtin.template) left
        there).
    type: list
    elements: path
    required: true
  root:
    description:
      - The target root every path is read from and written to (C(--root)).
      - Anything but V(/) writes files only, without bringing interfaces up or down.
    type: path
    default: /
  backend:
    description:
      - The backend to use (C(--backend)), such as V(ifcfg), V(debian) or V(nm).
      - Without it, netloom uses the backend whose files the root has.
    type: str
  confirm:
    description:
      - Seconds within which C(netloom confirm) must come, or netloom rolls the
        transaction back and restores the previous configuration (C(apply --confirm)).
      - The transaction is then returned with RV(state=pending); confirm it in a later
        task, once the host is still reachable.
    type: int
  binary:
    description:
      - The netloom binary to run. Without it, C(netloom) is looked for on the PATH.
    type: path
requirements:
  - netloom on the managed host
notes:
  - Supports check mode and diff mode.
  - The diff shown in diff mode is the one C(netloom apply) reports for what it wrote.
attributes:
  check_mode:
    description: Runs C(netloom diff), which reports what would change and writes nothing.
    support: full
  diff_mode:
    description: Returns each changed file's unified diff.
    support: full
author:
  - netloom contributors (!UNKNOWN)
'''

EXAMPLES = r'''
- name: Place the host's interface XML
  ansible.builtin.template:
    src: "{{ inventory_hostname }}.xml.j2"
    dest: /etc/netloom/host.xml
    mode: "0644"

- name: Apply it, rolled back unless confirmed within 120 seconds
  netloom.netloom.host:
    src: /etc/netloom/host.xml
    confirm: 120
  register: net

- name: Confirm once the host still answers
  ansible.builtin.command: netloom confirm
  when: net.state == 'pending'
  changed_when: true

- name: Write the ifcfg files of an installer's root, without activating anything
  netloom.netloom.host:
    src:
      - /tmp/interfaces/eno1.xml
      - /tmp/interfaces/br0.xml
    root: /mnt/sysimage
    backend: ifcfg
'''

RETURN = r'''
backend:
  description: The backend netloom used.
  returned: success
  type: str
  sample: ifcfg
root:
  description: The root netloom read and wrote.
  returned: success
  type: str
  sample: /
transaction:
  description:
    - The id of the transaction in netloom's journal (C(netloom history)), or V(null)
      when nothing changed or in check mode.
  returned: success
  type: int
  sample: 3
state:
  description:
    - V(committed), or V(pending) under O(confirm); V(null) when nothing changed or in
      check mode.
  returned: success
  type: str
  sample: committed
confirm_within:
  description: The seconds left to confirm the transaction under O(confirm), else V(null).
  returned: success
  type: int
  sample: 120
files:
  description:
    - The files changed (or that would change, in check mode), relative to the root.
  returned: success
  type: list
  elements: dict
  contains:
    path:
      description: The file's path relative to the root.
      type: str
      sample: etc/sysconfig/network-scripts/ifcfg-eno1
    action:
      description: V(create), V(modify) or V(delete).
      type: str
      sample: modify
  sample: [{"path": "etc/sysconfig/network-scripts/ifcfg-eno1", "action": "modify"}]
down:
  description: The interfaces taken down on the running host.
  returned: success, not in check mode
  type: list
  elements: str
  sample: [eno1]
up:
  description: The interfaces brought up on the running host.
  returned: success, not in check mode
  type: list
  elements: str
  sample: [eno1]
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netloom.netloom.plugins.module_utils import netloom


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type='list', elements='path', required=True),
            root=dict(type='path', default='/'),
            backend=dict(type='str'),
            confirm=dict(type='int'),
            binary=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    if module.params['confirm'] is not None and module.params['confirm'] < 1:
        module.fail_json(msg='confirm must be at least 1 second, not %d' % module.params['confirm'])

    if module.check_mode:
        module.exit_json(**check_result(module, diff(module)))
    module.exit_json(**apply(module))


def diff(module):
    """What netloom would change: ``netloom diff --format json`` (exit 1 when something
    would change, 2 for invalid input, which fails the task)."""
    argv = ['diff', '--format', 'json', '--color', 'never'] + netloom.global_args(module)
    argv += ['--'] + module.params['src']
    _rc, plan = netloom.run_json(module, argv, ok=(netloom.EXIT_SAME, netloom.EXIT_WOULD_CHANGE))
    return plan


def check_result(module, plan):
    """The result of check mode: what would change, nothing written."""
    changes = plan.get('changes') or []
    result = dict(
        changed=bool(plan.get('changed')),
        backend=plan.get('backend'),
        root=plan.get('root'),
        transaction=None,
        state=None,
        confirm_within=None,
        files=[dict(path=c['path'], action=c['action']) for c in changes],
    )
    if module._diff:
        result['diff'] = prepared_diffs(changes)
    return result


def apply(module):
    """Applies the XML: ``netloom apply --yes --format json``."""
    argv = ['apply', '--yes', '--format', 'json'] + netloom.global_args(module)
    if module.params['confirm'] is not None:
        argv += ['--confirm', str(module.params['confirm'])]
    argv += ['--'] + module.params['src']
    _rc, done = netloom.run_json(module, argv)
    result = dict(
        changed=bool(done.get('changed')),
        backend=done.get('backend'),
        root=done.get('root'),
        transaction=done.get('transaction'),
        state=done.get('state'),
        confirm_within=done.get('confirm_within'),
        files=[dict(path=f['path'], action=f['action']) for f in done.get('files') or []],
        down=done.get('down') or [],
        up=done.get('up') or [],
    )
    if module._diff:
        # apply's JSON carries each file's diff: exactly what was written.
        result['diff'] = prepared_diffs(done.get('files') or [])
    return result


def prepared_diffs(changes):
    """Each file's unified diff, as Ansible shows a diff it is given ready made."""
    out = []
    for c in changes:
        text = c.get('diff') or ''
        if c.get('binary'):
            text = 'binary file %s: %s\n' % (c['path'], c['action'])
        elif not text:
            text = 'file %s: %s, mode %s to %s\n' % (c['path'], c['action'], c.get('old_mode'), c.get('new_mode'))
        out.append(dict(prepared=text))
    return out


if __name__ == '__main__':
    main()
