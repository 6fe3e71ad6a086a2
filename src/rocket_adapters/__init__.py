"""Adapters for rocket_core's ports: in-memory now; SQL, Stripe and SMTP as they arrive."""
