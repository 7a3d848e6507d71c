"""Stateful differential conformance: random call sequences on a target and the reference emulator in
lockstep, compared step by step, shrunk to the shortest divergence.

- :mod:`.compare` — normalising answers (ids, timestamps, tokens, ARNs) and listing their differences;
  the kinds a baseline excuses;
- :mod:`.lockstep` — one symbolic step made on both sides and compared; replaying a saved sequence and
  dropping the steps a divergence does not need;
- :mod:`.machine` — the Hypothesis state machine that draws the sequences, and :func:`explore`;
- :mod:`.script` — a divergence as a boto3 script, AWS CLI commands and a sequence file.

The pytest check is :mod:`pytest_connect_email.conformance.sequences` (STATEFUL-001). Nothing here
imports pytest.
"""

from __future__ import annotations

from pytest_connect_email.stateful.compare import Difference, Excuses, differences, normalise
from pytest_connect_email.stateful.lockstep import Divergence, Lockstep, Stats, Step, minimise, replay
from pytest_connect_email.stateful.machine import Options, Outcome, explore
from pytest_connect_email.stateful.script import boto3_script, cli_commands, dump_sequence, load_sequence

__all__ = [
    "Difference",
    "Divergence",
    "Excuses",
    "Lockstep",
    "Options",
    "Outcome",
    "Stats",
    "Step",
    "boto3_script",
    "cli_commands",
    "differences",
    "dump_sequence",
    "explore",
    "load_sequence",
    "minimise",
    "normalise",
    "replay",
]
