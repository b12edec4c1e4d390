#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netloom contributors
# SPDX-License-Identifier: LGPL-2.1-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: network
short_description: Define, start, stop and remove netloom virtual networks
version_added: "0.1.0"
description:
  - Manages a virtual network of the managed host with the netloom installed there, from
    libvirt network XML, as C(virsh net-define), C(net-start), C(net-autostart),
    C(net-destroy) and C(net-undefine) do for libvirt.
  - A network is redefined only when its definition, as netloom completes and stores it,
    differs from the one stored; a second run with the same XML changes nothing.
  - Invalid XML fails the task with netloom's message, which names each problem's
    C(file:line:col) and what was expected; nothing is written.
options:
  src:
    description:
      - The network XML file on the managed host (for example what
        M(ansible.builtin.template) left there).
      - Required to define a network; without it the network named O(name) must exist.
    type: path
  name:
    description:
      - The network's name. Without it, the name in O(src).
    type: str
  state:
    description:
      - V(defined) stores the definition and leaves the network running or not.
      - V(started) also starts it (bridge, addresses, firewall rules, dnsmasq).
      - V(stopped) also stops it, removing exactly what its start made.
      - V(absent) stops it if it runs and removes its definition.
    type: str
    choices: [defined, started, stopped, absent]
    default: started
  autostart:
    description:
      - Whether C(netloom net start --autostart) starts the network at boot.
      - Without it, the mark is left as it is.
    type: bool
  firewall:
    description:
      - The firewall a starting network's rules go into (C(net start --firewall)).
      - Without it, netloom's choice.
    type: str
    choices: [iptables, nftables]
  root:
    description:
      - The target root every path is read from and written to (C(--root)).
    type: path
    default: /
  binary:
    description:
      - The netloom binary to run. Without it, C(netloom) is looked for on the PATH.
    type: path
requirements:
  - netloom on the managed host
notes:
  - Supports check mode and diff mode; the diff is of the stored definition.
  - A network redefined while it runs keeps its old definition until it is restarted
    (C(netloom net restart)); the module warns when that happens.
attributes:
  check_mode:
    description: Reports what would be done and does nothing.
    support: full
  diff_mode:
    description: Returns the stored definition before and after.
    support: full
author:
  - netloom contributors (!UNKNOWN)
'''

EXAMPLES = r'''
- name: Place the network's XML
  ansible.builtin.copy:
    src: lab.xml
    dest: /etc/netloom/lab.xml
    mode: "0644"

- name: Define the network, start it, and start it at boot
  netloom.netloom.network:
    src: /etc/netloom/lab.xml
    state: started
    autostart: true

- name: Stop it
  netloom.netloom.network:
    name: lab
    state: stopped

- name: Remove it
  netloom.netloom.network:
    name: lab
    state: absent
'''

RETURN = r'''
name:
  description: The network's name.
  returned: success
  type: str
  sample: lab
actions:
  description:
    - What was done (or would be, in check mode), in order, as netloom names it
      (V(defined), V(started), V(stopped), V(autostart-enabled), V(autostart-disabled),
      V(undefined)); empty when nothing changed.
  returned: success
  type: list
  elements: str
  sample: [defined, started]
active:
  description: Whether the network runs afterwards.
  returned: success
  type: bool
  sample: true
persistent:
  description: Whether the network is defined afterwards.
  returned: success
  type: bool
  sample: true
autostart:
  description: Whether the network is marked to start at boot afterwards.
  returned: success
  type: bool
  sample: false
'''

import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netloom.netloom.plugins.module_utils import netloom


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type='path'),
            name=dict(type='str'),
            state=dict(type='str', default='started', choices=['defined', 'started', 'stopped', 'absent']),
            autostart=dict(type='bool'),
            firewall=dict(type='str', choices=['iptables', 'nftables']),
            root=dict(type='path', default='/'),
            binary=dict(type='path'),
        ),
        required_one_of=[('src', 'name')],
        supports_check_mode=True,
    )
    name = module.params['name']
    if module.params['src']:
        named = name_in(module)
        if name and name != named:
            module.fail_json(msg="name '%s' differs from the name '%s' in %s" % (name, named, module.params['src']))
        name = named

    run = Run(module, name)
    if module.params['state'] == 'absent':
        run.remove()
    else:
        run.define()
        run.set_running()
        run.set_autostart()
    module.exit_json(**run.result())


class Scratch(object):
    """A scratch root, removed when done with: netloom's own reading of a network's XML
    (which fails the task with netloom's positioned message when it is invalid), and what
    netloom would store, without changing the managed host's root."""

    def __init__(self, module):
        self.module = module
        self.dir = tempfile.mkdtemp(prefix='netloom-network-', dir=module.tmpdir)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)

    def define(self, path):
        """Defines the network of ``path`` in the scratch root; its name."""
        argv = ['net', '--root', self.dir, 'define', '--format', 'json', '--', path]
        _rc, done = netloom.run_json(self.module, argv)
        return done.get('network')

    def definition(self, name):
        _rc, text, _err = netloom.run(self.module, ['net', '--root', self.dir, 'dumpxml', '--inactive', '--', name])
        return text


def name_in(module):
    """The name of the network in ``src``, as netloom reads it."""
    with Scratch(module) as scratch:
        return scratch.define(module.params['src'])


class Run(object):
    """One network's state on the managed host, and the verbs that bring it to the state
    asked, each done unless in check mode."""

    def __init__(self, module, name):
        self.module = module
        self.name = name
        self.actions = []
        self.seen = self.listed()
        self.before = self.definition()
        self.after = self.before

    def net(self):
        return ['net', '--root', self.module.params['root']]

    def listed(self):
        """The network as ``net list --all`` shows it (state, autostart, persistent), or
        ``None`` when there is none of that name."""
        _rc, answer = netloom.run_json(self.module, self.net() + ['list', '--all', '--format', 'json'])
        for n in answer.get('networks') or []:
            if n.get('name') == self.name:
                return dict(active=n.get('state') == 'active', autostart=bool(n.get('autostart')),
                            persistent=bool(n.get('persistent')))
        return None

    def definition(self, persistent=False):
        """The stored definition, or ``''`` when the network is not defined (``persistent``:
        it is, whatever ``seen`` says)."""
        if not persistent and (not self.seen or not self.seen['persistent']):
            return ''
        _rc, text, _err = netloom.run(self.module, self.net() + ['dumpxml', '--inactive', '--', self.name])
        return text

    def verb(self, argv, action, **after):
        """Runs ``net ARGV --format json`` (unless in check mode) and records what it did."""
        if not self.module.check_mode:
            netloom.run_json(self.module, self.net() + argv[:1] + ['--format', 'json'] + argv[1:])
        self.actions.append(action)
        if self.seen is None:
            self.seen = dict(active=False, autostart=False, persistent=False)
        self.seen.update(after)

    def define(self):
        """Stores the definition of ``src`` if what netloom would store (made in a scratch
        root) differs from the stored one, so that a run with nothing to do leaves the root
        untouched; the stored definition afterwards says whether it changed."""
        if not self.module.params['src']:
            if self.seen is None:
                self.module.fail_json(msg="no network named '%s'; give src to define it" % self.name)
            if self.module.params['state'] == 'defined' and not self.seen['persistent']:
                self.module.fail_json(msg="network '%s' is not defined; give src to define it" % self.name)
            return
        self.after = self.would_store()
        if self.after == self.before:
            return
        if not self.module.check_mode:
            netloom.run_json(self.module, self.net() + ['define', '--format', 'json', '--', self.module.params['src']])
            self.after = self.definition(persistent=True)
            if self.after == self.before:
                return
        self.actions.append('defined')
        if self.seen is None:
            self.seen = dict(active=False, autostart=False, persistent=False)
        if self.seen['active'] and self.before:
            self.module.warn("network '%s' runs its old definition until restarted (netloom net restart %s)"
                             % (self.name, self.name))
        self.seen['persistent'] = True

    def would_store(self):
        """The definition ``net define`` would store: made in a scratch root that first gets
        every stored definition of the managed host's root (this network's too), since they
        decide the UUID, MAC and bridge netloom fills in."""
        _rc, answer = netloom.run_json(self.module, self.net() + ['list', '--all', '--format', 'json'])
        with Scratch(self.module) as scratch:
            for n in answer.get('networks') or []:
                if not n.get('persistent'):
                    continue
                _rc, text, _err = netloom.run(self.module, self.net() + ['dumpxml', '--inactive', '--', n['name']])
                stored = os.path.join(scratch.dir, 'stored.xml')
                with open(stored, 'w') as f:
                    f.write(text)
                scratch.define(stored)
            scratch.define(self.module.params['src'])
            return scratch.definition(self.name)

    def set_running(self):
        state = self.module.params['state']
        if state == 'started' and not self.seen['active']:
            argv = ['start', '--', self.name]
            if self.module.params['firewall']:
                argv = ['start', '--firewall', self.module.params['firewall'], '--', self.name]
            self.verb(argv, 'started', active=True)
        elif state == 'stopped' and self.seen['active']:
            self.verb(['stop', '--', self.name], 'stopped', active=False)

    def set_autostart(self):
        wanted = self.module.params['autostart']
        if wanted is None or wanted == self.seen['autostart']:
            return
        if not self.seen['persistent']:
            self.module.fail_json(msg="network '%s' is not defined, so it cannot start at boot; give src" % self.name)
        if wanted:
            self.verb(['autostart', '--', self.name], 'autostart-enabled', autostart=True)
        else:
            self.verb(['autostart', '--disable', '--', self.name], 'autostart-disabled', autostart=False)

    def remove(self):
        if self.seen is None:
            return
        if self.seen['active']:
            self.verb(['stop', '--', self.name], 'stopped', active=False)
        if self.seen['persistent']:
            self.verb(['undefine', '--', self.name], 'undefined', persistent=False, autostart=False)
            self.after = ''

    def result(self):
        seen = self.seen or dict(active=False, autostart=False, persistent=False)
        out = dict(changed=bool(self.actions), name=self.name, actions=self.actions, **seen)
        if self.module._diff:
            if self.module.params['state'] == 'absent':
                source = 'removed'
            else:
                source = self.module.params['src'] or 'stored'
            out['diff'] = dict(before=self.before, after=self.after,
                               before_header='%s (stored)' % self.name,
                               after_header='%s (%s)' % (self.name, source))
        return out


if __name__ == '__main__':
    main()
