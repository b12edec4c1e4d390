# -*- coding: utf-8 -*-
# Copyright: netloom contributors
# SPDX-License-Identifier: LGPL-2.1-or-later

"""A standard output callback for the collection's tests: the whole run as one JSON object,
in the shape of ansible.posix's json callback (``plays``, each with its ``tasks``, each with
one result per host, and ``stats``), which ansible-core does not ship. Unlike that one, it
keeps each result's ``diff``: the tests check what diff mode returns."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: netloom_json
type: stdout
short_description: The run as one JSON object, diffs included (for the collection's tests)
description:
  - Prints the plays, their tasks, each host's result of each task, and the stats as one
    JSON object once the run ends.
'''

import json

from ansible.plugins.callback import CallbackBase
from ansible.vars.clean import strip_internal_keys


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'netloom_json'

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.plays = []

    def v2_playbook_on_play_start(self, play):
        self.plays.append(dict(play=dict(name=play.get_name()), tasks=[]))

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.plays[-1]['tasks'].append(dict(task=dict(name=task.get_name()), hosts={}))

    def record(self, result, **status):
        """Keeps a host's result of the current task, with ``status`` (failed, skipped...)."""
        raw = getattr(result, 'result', None)
        if raw is None:
            raw = result._result
        kept = strip_internal_keys(dict(raw))
        kept.update(status)
        self.plays[-1]['tasks'][-1]['hosts'][result.host.get_name()] = kept

    def v2_runner_on_ok(self, result):
        self.record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self.record(result, failed=True)

    def v2_runner_on_skipped(self, result):
        self.record(result, skipped=True)

    def v2_runner_on_unreachable(self, result):
        self.record(result, unreachable=True)

    def v2_playbook_on_stats(self, stats):
        summary = dict((h, stats.summarize(h)) for h in sorted(stats.processed.keys()))
        self._display.display(json.dumps(dict(plays=self.plays, stats=summary), sort_keys=True))
