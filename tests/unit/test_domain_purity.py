"""The domain's structural rules: no float anywhere, no imports beyond the standard library,
attrs and transitions, and every entity an identity-compared, tenant-scoped Entity."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import sys
import typing
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import UUID

import attrs
import pytest
from tests.unit.examples import EXAMPLES, ORG_ID

import rocket_core
from rocket_core import model
from rocket_core.model import Entity, Organisation

SRC = Path(rocket_core.__file__).resolve().parent


def all_modules() -> list[ModuleType]:
    """rocket_core and every module under it, imported."""
    names = [rocket_core.__name__] + [
        info.name
        for info in pkgutil.walk_packages(rocket_core.__path__, prefix=f"{rocket_core.__name__}.")
    ]
    return [importlib.import_module(name) for name in sorted(names)]


def modules_under(*prefixes: str) -> list[ModuleType]:
    return [m for m in all_modules() if m.__name__.startswith(prefixes)]


def own_classes(modules: list[ModuleType]) -> list[type]:
    """The classes defined (not merely imported) in ``modules``."""
    found: dict[str, type] = {}
    for module in modules:
        for obj in vars(module).values():
            if inspect.isclass(obj) and obj.__module__ == module.__name__:
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return [found[key] for key in sorted(found)]


def attrs_classes() -> list[type]:
    domain = modules_under("rocket_core.model", "rocket_core.events", "rocket_core.ports")
    return [cls for cls in own_classes(domain) if attrs.has(cls)]


# -- (a) no float anywhere -------------------------------------------------------------------------


def mentions_float(annotation: Any) -> bool:
    """True when ``annotation``, or anything nested in it, is float."""
    if annotation is float:
        return True
    if isinstance(annotation, str):
        return source_mentions_float(annotation)
    if isinstance(annotation, typing.ForwardRef):
        return source_mentions_float(annotation.__forward_arg__)
    if isinstance(annotation, (list, tuple)):  # Callable[[...], ...] argument lists
        return any(mentions_float(a) for a in annotation)
    if isinstance(annotation, typing.TypeVar):
        nested = [*annotation.__constraints__, annotation.__bound__]
        return any(mentions_float(a) for a in nested if a is not None)
    return any(mentions_float(arg) for arg in typing.get_args(annotation))


def source_mentions_float(source: str, namespace: dict[str, Any] | None = None) -> bool:
    """True when the annotation text names float, or names a type alias (looked up in
    ``namespace``) that mentions float."""
    for node in ast.walk(ast.parse(source, mode="eval")):
        if isinstance(node, ast.Name):
            if node.id == "float":
                return True
            value = (namespace or {}).get(node.id)
            if value is not None and not isinstance(value, ModuleType) and mentions_float(value):
                return True
        if isinstance(node, ast.Attribute) and node.attr == "float":
            return True
    return False


def float_annotations(function: Any) -> list[str]:
    """The parameters (and "return") of ``function`` whose annotation mentions float.

    The annotations are resolved with typing.get_type_hints. Some cannot be evaluated at run
    time (``attrs.Attribute[Any]`` is generic only for type checkers); for those the
    annotation text is checked instead, following any names it uses in the module.
    """
    try:
        hints = typing.get_type_hints(function)
    except (TypeError, NameError):  # a generic only for type checkers; a TYPE_CHECKING import
        namespace = function.__globals__
        return sorted(
            name
            for name, text in function.__annotations__.items()
            if source_mentions_float(text, namespace)
        )
    return sorted(name for name, hint in hints.items() if mentions_float(hint))


@pytest.mark.parametrize(
    "annotation",
    [
        float,
        float | None,
        list[float],
        dict[str, tuple[int, float]],
        typing.Callable[[float], int],
        typing.Callable[[int], float],
        typing.TypeVar("F", bound=float),
        typing.Optional[typing.Union[int, float]],  # noqa: UP007, UP045
        "list[float]",
        typing.ForwardRef("dict[str, float]"),
    ],
    ids=str,
)
def test_float_detector_finds_float_however_deeply_nested(annotation: Any) -> None:
    assert mentions_float(annotation)


@pytest.mark.parametrize(
    "annotation", [int, Decimal, Decimal | None, list[Decimal], dict[str, Decimal]], ids=str
)
def test_float_detector_accepts_annotations_without_float(annotation: Any) -> None:
    assert not mentions_float(annotation)


def test_attrs_classes_are_found() -> None:
    names = {cls.__name__ for cls in attrs_classes()}
    # Entities, value objects, events and port results are all discovered.
    expected = {
        "Organisation",
        "Invoice",
        "LineItem",
        "OrganisationSettings",
        "SessionCancelled",
        "PaymentIntentResult",
    }
    assert expected <= names, f"missing: {sorted(expected - names)}"
    assert len(names) >= 30


@pytest.mark.parametrize("cls", attrs_classes(), ids=lambda c: c.__qualname__)
def test_attrs_class_fields_never_use_float(cls: type) -> None:
    hints = typing.get_type_hints(cls)
    assert hints, f"{cls.__qualname__} has no annotations"
    floats = sorted(name for name, hint in hints.items() if mentions_float(hint))
    assert floats == [], f"{cls.__qualname__} has float fields: {floats}"


def public_callables() -> Iterator[tuple[str, Any]]:
    """Every public function and method defined in rocket_core, by qualified name."""
    seen: set[int] = set()
    for module in all_modules():
        for name, obj in vars(module).items():
            if name.startswith("_") or not getattr(obj, "__module__", "").startswith("rocket_core"):
                continue
            if inspect.isfunction(obj) and id(obj) not in seen:
                seen.add(id(obj))
                yield f"{obj.__module__}.{obj.__qualname__}", obj
            elif inspect.isclass(obj) and obj.__module__ == module.__name__:
                for member_name, member in vars(obj).items():
                    private = member_name.startswith("_") and not member_name.endswith("__")
                    if private:
                        continue
                    if isinstance(member, (staticmethod, classmethod)):
                        member = member.__func__
                    functions = (
                        [member.fget, member.fset, member.fdel]
                        if isinstance(member, property)
                        else [member]
                    )
                    for function in functions:
                        if (
                            inspect.isfunction(function)
                            and function.__module__.startswith("rocket_core")
                            and id(function) not in seen
                        ):
                            seen.add(id(function))
                            yield f"{obj.__module__}.{obj.__qualname__}.{member_name}", function


PUBLIC_CALLABLES = sorted(public_callables())


def test_public_callables_are_found() -> None:
    names = {
        name.rsplit(".", 2)[-2] + "." + name.rsplit(".", 1)[-1] for name, _ in PUBLIC_CALLABLES
    }
    expected = {
        "Invoice.apply_payment",
        "Cohort.take_seat",
        "Session.starts_at",
        "Entity.update",
        "checks.money",
        "Clock.today",
        "PaymentGateway.refund",
        "Student.age_on",
        "Invoice.lines_total",
    }
    assert expected <= names, f"missing: {sorted(expected - names)}"
    assert len(PUBLIC_CALLABLES) >= 100


@pytest.mark.parametrize(
    ("qualname", "function"), PUBLIC_CALLABLES, ids=[name for name, _ in PUBLIC_CALLABLES]
)
def test_public_function_signatures_never_use_float(qualname: str, function: Any) -> None:
    floats = float_annotations(function)
    assert floats == [], f"{qualname} uses float for: {floats}"


def test_float_annotation_check_falls_back_to_the_annotation_text() -> None:
    def sample(attribute: Any, value: Any) -> None:
        """Annotations that get_type_hints cannot evaluate, like checks.py's validators."""

    sample.__annotations__ = {"attribute": "attrs.Attribute[Any]", "value": "float | None"}
    assert float_annotations(sample) == ["value"]
    sample.__annotations__ = {"attribute": "attrs.Attribute[Any]", "value": "Decimal"}
    assert float_annotations(sample) == []


def test_float_annotation_text_check_follows_type_aliases() -> None:
    namespace = {"Amount": float | None, "attrs": attrs, "Any": Any}
    assert source_mentions_float("Amount", namespace)
    assert source_mentions_float("tuple[int, float]")
    assert not source_mentions_float("attrs.Attribute[Any]", namespace)


def test_no_float_literal_or_float_call_in_the_domain_source() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            is_float_literal = isinstance(node, ast.Constant) and isinstance(node.value, float)
            is_float_call = (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "float"
            )
            if is_float_literal or is_float_call:
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == []


def test_no_module_level_value_is_a_float() -> None:
    floats = [
        f"{module.__name__}.{name}"
        for module in all_modules()
        for name, value in vars(module).items()
        if isinstance(value, float)
    ]
    assert floats == []


# -- (b) rocket_core imports only the standard library, attrs and transitions ----------------------

ALLOWED_THIRD_PARTY = {"attrs", "transitions", "rocket_core"}


def imported_top_level_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


SOURCE_FILES = sorted(SRC.rglob("*.py"))


def test_domain_source_files_are_found() -> None:
    relative = {path.relative_to(SRC).as_posix() for path in SOURCE_FILES}
    assert {"model/base.py", "model/checks.py", "ports.py", "enrolment_machine.py"} <= relative


@pytest.mark.parametrize(
    "path", SOURCE_FILES, ids=[path.relative_to(SRC).as_posix() for path in SOURCE_FILES]
)
def test_domain_imports_only_stdlib_attrs_and_transitions(path: Path) -> None:
    names = imported_top_level_names(path)
    foreign = sorted(
        name
        for name in names
        if name not in sys.stdlib_module_names and name not in ALLOWED_THIRD_PARTY
    )
    assert foreign == []


def test_import_check_sees_the_domains_dependencies() -> None:
    names = set().union(*(imported_top_level_names(path) for path in SOURCE_FILES))
    assert {"attrs", "transitions", "rocket_core", "decimal", "uuid"} <= names


def test_import_check_would_catch_a_third_party_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom sqlalchemy.orm import Session\nfrom . import sibling\n")
    assert imported_top_level_names(sample) == {"os", "sqlalchemy"}


# -- (c) entities ---------------------------------------------------------------------------------

#: The data model's entities and join tables (data-model.md sections 1 and 2).
DATA_MODEL_ENTITIES = [
    "Organisation",
    "Campus",
    "Program",
    "Cohort",
    "Session",
    "Family",
    "Student",
    "Enrolment",
    "Staff",
    "Attendance",
    "SkillTree",
    "SkillNode",
    "SkillProgress",
    "ProjectSubmission",
    "Invoice",
    "Payment",
    "Message",
    "Notification",
    "CampusStaff",
    "CohortStaff",
]


def example(cls: type[Entity]) -> Entity:
    """A new valid ``cls``, from its builder in tests/unit/examples.py."""
    entity = EXAMPLES[cls]()
    assert type(entity) is cls, f"the example of {cls.__name__} is a {type(entity).__name__}"
    return entity


def model_classes() -> list[type]:
    return own_classes(modules_under("rocket_core.model"))


def entity_classes() -> list[type[Entity]]:
    return [cls for cls in model_classes() if issubclass(cls, Entity) and cls is not Entity]


ENTITIES = entity_classes()


def test_entities_are_found() -> None:
    assert len(ENTITIES) >= len(DATA_MODEL_ENTITIES)


@pytest.mark.parametrize("name", DATA_MODEL_ENTITIES)
def test_data_model_entity_is_an_entity_of_rocket_core_model(name: str) -> None:
    cls = getattr(model, name)
    assert issubclass(cls, Entity)
    assert cls in ENTITIES


@pytest.mark.parametrize(
    "cls",
    [cls for cls in model_classes() if attrs.has(cls)],
    ids=lambda c: c.__qualname__,
)
def test_attrs_class_with_an_id_is_an_entity(cls: type) -> None:
    # Anything with an identity is an Entity; value objects (no id) are not.
    assert issubclass(cls, Entity) == ("id" in attrs.fields_dict(cls))


def test_every_entity_has_a_valid_example() -> None:
    # So the tests below cover new entities too.
    assert set(ENTITIES) == set(EXAMPLES)


@pytest.mark.parametrize("cls", ENTITIES, ids=lambda c: c.__name__)
def test_entity_is_an_attrs_class_without_generated_equality(cls: type[Entity]) -> None:
    assert attrs.has(cls)
    assert cls.__eq__ is object.__eq__
    assert cls.__ne__ is object.__ne__
    assert cls.__hash__ is object.__hash__


@pytest.mark.parametrize("cls", ENTITIES, ids=lambda c: c.__name__)
def test_entities_compare_by_identity_and_are_hashable(cls: type[Entity]) -> None:
    first = example(cls)
    twin = attrs.evolve(first)  # the same value in every field, id included
    assert attrs.asdict(first) == attrs.asdict(twin)
    assert first == first
    assert first != twin
    assert not (first == twin)  # noqa: SIM201
    assert isinstance(hash(first), int)
    assert len({first, twin, first}) == 2


@pytest.mark.parametrize("cls", ENTITIES, ids=lambda c: c.__name__)
def test_entity_has_a_uuid_id(cls: type[Entity]) -> None:
    assert typing.get_type_hints(cls)["id"] is UUID
    first, second = example(cls), example(cls)
    assert isinstance(first.id, UUID)
    assert first.id != second.id  # a fresh id for each new entity


@pytest.mark.parametrize(
    "cls", [cls for cls in ENTITIES if cls is not Organisation], ids=lambda c: c.__name__
)
def test_tenant_scoped_entity_has_an_organisation_id(cls: type[Entity]) -> None:
    assert "organisation_id" in attrs.fields_dict(cls)
    assert typing.get_type_hints(cls)["organisation_id"] is UUID
    assert example(cls).organisation_id == ORG_ID


def test_organisation_is_the_tenant_itself() -> None:
    assert "organisation_id" not in attrs.fields_dict(Organisation)
