"""JinjaTemplateRenderer: the built-in notification templates, an override folder that wins
file by file, autoescaped HTML, and loud failures (unknown variable, missing file, bad
syntax, a subject of several lines)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import rocket_adapters.notification_templates as templates
from rocket_adapters.notification_templates import (
    BUILT_IN,
    JinjaTemplateRenderer,
    template_names,
)
from rocket_core.errors import ValidationError
from rocket_core.model import NotificationKind as K
from rocket_core.services.notifications import KIND_VARIABLES, SAMPLE_VARIABLES

ABSENT = SAMPLE_VARIABLES[K.CHILD_ABSENT]


def refused(renderer: JinjaTemplateRenderer, kind: K, variables: dict[str, str]) -> ValidationError:
    with pytest.raises(ValidationError) as error:
        renderer.render(kind, variables)
    return error.value


@pytest.mark.parametrize("kind", list(K))
def test_every_built_in_template_renders_with_the_samples(kind: K) -> None:
    values = SAMPLE_VARIABLES[kind]
    message = JinjaTemplateRenderer().render(kind, values)

    assert message.subject
    assert "\n" not in message.subject
    assert len(message.subject) <= 200
    for body in (message.text_body, message.html_body):
        assert values["school_name"] in body
        assert f"Hi {values['contact_name']}," in body
        assert "{{" not in body
        assert "Dear Sir" not in body
    if "child_name" in KIND_VARIABLES[kind]:
        assert values["child_name"] in message.text_body
    assert message.html_body.lstrip().startswith("<!DOCTYPE html>")
    assert message.text_body.rstrip().endswith(f"The {values['school_name']} team")


def test_there_are_exactly_three_built_in_files_per_kind() -> None:
    expected = {name for kind in K for name in template_names(kind)}
    assert {path.name for path in BUILT_IN.iterdir()} == expected
    assert len(expected) == 21


def test_each_built_in_uses_only_its_kinds_variables() -> None:
    """Every declared variable is enough: missing any unused one still renders; using one the
    kind does not declare would fail in the test above."""
    renderer = JinjaTemplateRenderer()
    for kind in K:
        extra = {**SAMPLE_VARIABLES[kind], "unused_extra": "x"}
        assert renderer.render(kind, extra) == renderer.render(kind, SAMPLE_VARIABLES[kind])


def test_an_override_folder_wins_file_by_file(tmp_path: Path) -> None:
    (tmp_path / "child_absent.subject.txt").write_text("Where was {{ child_name }}?\n")

    message = JinjaTemplateRenderer(tmp_path).render(K.CHILD_ABSENT, ABSENT)

    assert message.subject == "Where was Kim?"
    built_in = JinjaTemplateRenderer().render(K.CHILD_ABSENT, ABSENT)
    assert (message.text_body, message.html_body) == (built_in.text_body, built_in.html_body)
    assert JinjaTemplateRenderer(tmp_path).render(K.NEW_MESSAGE, SAMPLE_VARIABLES[K.NEW_MESSAGE])


def test_an_edited_override_is_picked_up_without_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(templates.time, "monotonic", lambda: clock[0])
    subject = tmp_path / "child_absent.subject.txt"
    subject.write_text("First {{ child_name }}\n")
    renderer = JinjaTemplateRenderer(tmp_path)
    assert renderer.render(K.CHILD_ABSENT, ABSENT).subject == "First Kim"

    subject.write_text("Second {{ child_name }} {{ oops }}\n")
    later = subject.stat().st_mtime + 5
    os.utime(subject, (later, later))
    clock[0] += templates.RECHECK_SECONDS / 2  # files are looked at once a second at most
    assert renderer.render(K.CHILD_ABSENT, ABSENT).subject == "First Kim"
    clock[0] += templates.RECHECK_SECONDS
    error = refused(renderer, K.CHILD_ABSENT, ABSENT)
    assert error.rule == "uses unknown variable 'oops'"


def test_html_is_escaped_and_text_is_not() -> None:
    values = {**ABSENT, "child_name": "<b>Kim</b> & Co"}
    message = JinjaTemplateRenderer().render(K.CHILD_ABSENT, values)

    assert "<b>Kim</b> & Co" in message.text_body
    assert "<b>Kim</b> & Co" in message.subject
    assert "&lt;b&gt;Kim&lt;/b&gt; &amp; Co" in message.html_body
    assert "<b>Kim</b>" not in message.html_body


def test_an_unknown_variable_names_the_file_and_the_variable(tmp_path: Path) -> None:
    (tmp_path / "child_absent.txt").write_text("Hi {{ contact_name }}, {{ shoe_size }}\n")
    error = refused(JinjaTemplateRenderer(tmp_path), K.CHILD_ABSENT, ABSENT)
    assert (error.field, error.rule) == (
        "templates/child_absent.txt",
        "uses unknown variable 'shoe_size'",
    )


def test_an_unknown_variable_fails_even_in_a_branch_not_taken(tmp_path: Path) -> None:
    (tmp_path / "child_absent.html").write_text(
        "{% if child_name == 'nobody' %}{{ shoe_size }}{% endif %}<p>{{ child_name }}</p>"
    )
    error = refused(JinjaTemplateRenderer(tmp_path), K.CHILD_ABSENT, ABSENT)
    assert (error.field, error.rule) == (
        "templates/child_absent.html",
        "uses unknown variable 'shoe_size'",
    )


def test_a_variable_left_out_of_the_values_fails() -> None:
    values = {name: value for name, value in ABSENT.items() if name != "session_time"}
    error = refused(JinjaTemplateRenderer(), K.CHILD_ABSENT, values)
    assert error.rule == "uses unknown variable 'session_time'"
    assert error.field.startswith("templates/child_absent")


def test_an_attribute_that_is_not_there_fails(tmp_path: Path) -> None:
    (tmp_path / "child_absent.txt").write_text("{{ child_name.shoe_size }}\n")
    error = refused(JinjaTemplateRenderer(tmp_path), K.CHILD_ABSENT, ABSENT)
    assert error.field == "templates/child_absent.txt"
    assert "shoe_size" in error.rule


def test_jinja_globals_may_be_used(tmp_path: Path) -> None:
    (tmp_path / "child_absent.txt").write_text(
        "{% for n in range(2) %}{{ child_name }}{% endfor %}\n"
    )
    assert JinjaTemplateRenderer(tmp_path).render(K.CHILD_ABSENT, ABSENT).text_body == "KimKim"


def test_a_missing_template_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "built-in"
    empty.mkdir()
    monkeypatch.setattr(templates, "BUILT_IN", empty)
    (tmp_path / "child_absent.subject.txt").write_text("Absent\n")

    error = refused(JinjaTemplateRenderer(tmp_path), K.CHILD_ABSENT, ABSENT)

    assert (error.field, error.rule) == (
        "templates/child_absent.txt",
        "is missing (no such template file)",
    )


def test_a_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "child_absent.html").write_text("<p>\n{% if child_name %}\n</p>\n")
    error = refused(JinjaTemplateRenderer(tmp_path), K.CHILD_ABSENT, ABSENT)
    assert error.field == "templates/child_absent.html"
    assert error.rule.startswith("line ")


@pytest.mark.parametrize("subject", ["Line one\nline two\n", "   \n", "{{ '' }}\n"])
def test_a_subject_must_be_one_line_of_text(tmp_path: Path, subject: str) -> None:
    (tmp_path / "child_absent.subject.txt").write_text(subject)
    error = refused(JinjaTemplateRenderer(tmp_path), K.CHILD_ABSENT, ABSENT)
    assert (error.field, error.rule) == (
        "templates/child_absent.subject.txt",
        "must be one line of text",
    )


def test_the_override_folder_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as error:
        JinjaTemplateRenderer(tmp_path / "nowhere")
    assert error.value.field == "templates_dir"
