"""An incident carried across runs (`--incident NAME`): its record, what the evidence shows
changed, the runbook's messages from the start to the verified resolution.

`record` reads and writes the record folder, `observe` reads the on-call's actions out of
the evidence, `messages` fills the runbook's templates, `lifecycle` decides what a run is
(start, update, resolution) and which checks a resolution needs.
"""
