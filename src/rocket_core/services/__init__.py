"""Application services: the use cases staff run, one module per context.

Each use case takes an Actor (who is asking), checks the permission matrix, runs in one unit
of work (all of it or nothing), writes an audit entry for every state change, and publishes
the domain events its entities recorded once the transaction has committed.
"""
