"""Fault-injection suite (issue 11): `make chaos` / `python -m tests.chaos`.

Not collected by pytest (no test_*.py here); its pure parts are unit-tested in tests/unit/chaos/.
"""
