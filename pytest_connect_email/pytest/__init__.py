"""The pytest layer: the ``pytest11`` entry point (:mod:`.plugin`: options, markers, hooks; it wires, it does
not implement), the resolved settings (:mod:`.settings`), the fixtures (:mod:`.fixtures`,
:mod:`.application`), the report's plugin object (:mod:`.reporting`) and the hook specifications
(:mod:`.hooks`).
"""
