# -*- coding: utf-8 -*-
# Copyright: netloom contributors
# SPDX-License-Identifier: LGPL-2.1-or-later

"""Running the netloom binary of the managed host for the collection's modules.

Every call is an argv list given to ``AnsibleModule.run_command`` (never a shell), and
every answer read is netloom's one-line JSON object (``--format json``, see docs/json.md of
the netloom repository). netloom's own messages, which name ``file:line:col`` and what was
expected, are passed on as they are: it already escapes control characters in them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

# netloom's exit codes: 0 done (or nothing would change), 1 something would change
# (`diff`), 2 invalid input or a refusal.
EXIT_SAME = 0
EXIT_WOULD_CHANGE = 1

# The version of netloom's JSON objects this collection reads.
JSON_VERSION = 1

# Colour, pagers and translated messages would reach the JSON or the messages returned.
ENVIRONMENT = {'NO_COLOR': '1', 'LC_ALL': 'C', 'LANG': 'C'}


def binary(module):
    """The netloom to run: option ``binary``, else ``netloom`` on the PATH (and sbin)."""
    given = module.params.get('binary')
    if given:
        return given
    return module.get_bin_path('netloom', required=True)


def global_args(module, backend=True):
    """The options every verb takes: ``--root``, and ``--backend`` when given."""
    args = ['--root', module.params['root']]
    if backend and module.params.get('backend'):
        args += ['--backend', module.params['backend']]
    return args


def run(module, argv, ok=(EXIT_SAME,)):
    """Runs netloom with ``argv``, failing the task with netloom's message unless its exit
    code is one of ``ok``; gives the exit code, standard output and standard error."""
    cmd = [binary(module)] + list(argv)
    rc, out, err = module.run_command(cmd, environ_update=ENVIRONMENT)
    if rc not in ok:
        fail(module, cmd, rc, out, err)
    return rc, out, err


def fail(module, cmd, rc, out, err):
    """Fails the task with netloom's own message (positioned for bad XML) as ``msg``."""
    message = err.strip() or out.strip() or 'netloom exited with code %d' % rc
    module.fail_json(msg=message, cmd=cmd, rc=rc, stdout=out, stderr=err)


def run_json(module, argv, ok=(EXIT_SAME,)):
    """Runs netloom with ``argv`` (which asks for ``--format json``) and gives its exit code
    and its JSON object, failing the task if the object is missing or of another version."""
    rc, out, err = run(module, argv, ok)
    try:
        answer = json.loads(out)
    except ValueError as e:
        module.fail_json(msg='netloom printed no JSON object: %s' % e, rc=rc, stdout=out, stderr=err)
    if not isinstance(answer, dict) or answer.get('version') != JSON_VERSION:
        module.fail_json(
            msg='netloom printed JSON of version %r, expected %d' % (
                answer.get('version') if isinstance(answer, dict) else None, JSON_VERSION),
            rc=rc, stdout=out, stderr=err)
    return rc, answer
