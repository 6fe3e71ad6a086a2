"""`rocket staff`: staff accounts from the command line (the first super admin, a list,
deactivation)."""

from __future__ import annotations

import os
from uuid import UUID

import typer

from rocket_core.services.base import actor_for
from rocket_entrypoints.cli.errors import fail, reported_errors
from rocket_entrypoints.container import Container, application

staff_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)

#: A non-interactive way to give the password (scripts, CI); otherwise it is prompted for.
PASSWORD_VARIABLE = "ROCKET_ADMIN_PASSWORD"


def _uuid(text: str | None, option: str) -> UUID | None:
    if text is None:
        return None
    try:
        return UUID(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a UUID", param_hint=option) from None


@staff_app.command("create-admin")
def create_admin(
    email: str = typer.Option(..., help="The login e-mail."),
    first_name: str = typer.Option(..., help="First name."),
    last_name: str = typer.Option(..., help="Last name."),
    organisation_id: str | None = typer.Option(
        None, help="An existing organisation's id; without it a new organisation is made."
    ),
    organisation_name: str | None = typer.Option(
        None, help="The new organisation's name (when no --organisation-id is given)."
    ),
) -> None:
    """Create a super admin (the first login of a new school). The password is asked for
    (twice), or read from ROCKET_ADMIN_PASSWORD; at least 12 characters.

    Example: rocket staff create-admin --email alex@school.example --first-name Alex
    --last-name Morgan --organisation-name "Rocket Academy"
    """
    organisation = _uuid(organisation_id, "--organisation-id")
    password = os.environ.get(PASSWORD_VARIABLE) or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    with reported_errors():
        container = application()
        staff = container.auth().create_admin(
            email=email,
            first_name=first_name,
            last_name=last_name,
            password=password,
            organisation_id=organisation,
            organisation_name=organisation_name,
        )
        _dispose(container)
    typer.echo(f"super admin {staff.email} created (organisation {staff.organisation_id})")


@staff_app.command("list")
def list_staff(
    organisation_id: str = typer.Option(..., help="The organisation's id."),
    active_only: bool = typer.Option(False, "--active-only", help="Only active accounts."),
) -> None:
    """List an organisation's staff: e-mail, name, role, active.

    Example: rocket staff list --organisation-id 6f0c...
    """
    organisation = _uuid(organisation_id, "--organisation-id")
    assert organisation is not None
    with reported_errors():
        container = application()
        with container.make_uow()(organisation) as uow:
            uow.organisations.current()
            staff = uow.staff.list(active_only=active_only)
        _dispose(container)
    for member in staff:
        state = "active" if member.is_active else "deactivated"
        typer.echo(f"{member.email}\t{member.full_name}\t{member.role.value}\t{state}")


@staff_app.command("deactivate")
def deactivate(
    email: str = typer.Argument(..., help="The staff member's login e-mail."),
    by: str = typer.Option(..., help="The e-mail of the super admin doing it (audited)."),
) -> None:
    """Deactivate a staff account (their sessions stop working; records are kept).

    Example: rocket staff deactivate sam@school.example --by alex@school.example
    """
    with reported_errors():
        container = application()
        directory = container.login_directory()
        admin, target = directory.find(by), directory.find(email)
        if admin is None:
            fail(f"no staff member with the e-mail {by}")
        if target is None or target[0] != admin[0]:
            fail(f"no staff member with the e-mail {email} in {by}'s organisation")
        actor = actor_for(container.make_uow(), admin[0], admin[1])
        container.organisation().deactivate_staff(actor, target[1])
        _dispose(container)
    typer.echo(f"{email} deactivated")


def _dispose(container: Container) -> None:
    if not container.settings().in_memory:
        container.database().dispose()
