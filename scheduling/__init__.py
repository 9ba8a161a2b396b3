"""The return-to-work scheduler: pure Python (no Django), see docs/scheduler.md.

`model` holds the data the resumption app builds; `greedy`, `enterprise` (CP-SAT) and
`federation` (HiGHS) solve; `verify` checks any plan independently.

highspy and OR-Tools cannot share a process: each ships its own ``libhighs.so.1`` (same
soname, different versions) and whichever is loaded second fails to import. So
`scheduling.federation` imports highspy, and `scheduling.enterprise` imports OR-Tools only
inside the solve — in a spawned child process whenever highspy is already loaded.
"""
