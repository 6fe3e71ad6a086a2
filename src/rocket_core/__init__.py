"""Rocket's domain: entities, the enrolment rulebook, ports and (later) use cases.

Pure Python: imports only the standard library, attrs and transitions.
"""

__version__ = "0.1.0"
