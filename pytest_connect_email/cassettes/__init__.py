"""The cassettes layer: recording, matching and replay (:mod:`.replay`), scrubbing (:mod:`.scrub`) and lint
(:mod:`.lint`). Imports vcrpy: the plugin loads it only in the record and replay modes.
"""
