"""The API's route handlers, one module per context. Every handler declares who may call it
in ``opt["access"]``: ``"public"`` (no login), ``"staff"`` (any logged-in staff member; the
use case checks the permission matrix), so that the route table test can see every route."""
