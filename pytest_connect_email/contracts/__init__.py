"""The contracts layer: what the Connect email API is and how a call is judged.

The botocore model in use (:mod:`.spec`), JSON Schema generation (:mod:`.schemagen`), which contracts are
active (:mod:`.active`), the rules only AWS's documentation states (:mod:`.rules`), the validator
(:mod:`.validator`), diffs between models (:mod:`.apidiff`) and the usage manifests they are checked
against (:mod:`.usage`). It imports nothing of the package but :mod:`pytest_connect_email.limits`.
"""
