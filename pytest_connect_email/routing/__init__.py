"""The routing layer: where a Connect call goes.

Interception of every botocore client of the process (:mod:`.intercept`), the targets that answer
(:mod:`.targets`: the embedded emulator, moto, an endpoint over HTTP, the loopback front), checked clients
(:mod:`.client`), the calls a test made (:mod:`.calls`) and injected faults (:mod:`.faults`). It never
imports pytest.
"""
