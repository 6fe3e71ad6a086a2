"""Notification templates as files that staff can edit, rendered with Jinja2.

Each NotificationKind has three files: ``<kind>.subject.txt`` (one line), ``<kind>.txt`` (the
plain-text body) and ``<kind>.html`` (the HTML body, autoescaped: a name or message that
contains markup is shown as text). The built-in ones are in ``files/`` next to this module; a
folder given as ``templates_dir`` (``ROCKET_TEMPLATES_DIR``) replaces them file by file: a file
it holds wins, the others stay built in. Edited files are picked up without a restart (a file
is looked at again at most once a second).

Rendering fails loudly: a template that uses a variable the kind does not provide (even in a
branch these values do not take), a template that does not parse, a missing file or a subject
of more than one line raises ValidationError naming the file, e.g.
``templates/child_absent.txt: uses unknown variable 'shoe_size'``; never a half-filled message.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from pathlib import Path

import jinja2
import jinja2.meta

from rocket_core.errors import ValidationError
from rocket_core.model import NotificationKind
from rocket_core.ports import RenderedMessage, TemplateRenderer

#: How often (seconds) an edited template file is looked for.
RECHECK_SECONDS = 1.0
#: The built-in templates.
BUILT_IN = Path(__file__).parent / "files"

_UNDEFINED = re.compile(r"'([^']+)' is undefined")


def template_names(kind: NotificationKind) -> tuple[str, str, str]:
    """The subject, plain-text and HTML template files of ``kind``."""
    return (f"{kind.value}.subject.txt", f"{kind.value}.txt", f"{kind.value}.html")


class JinjaTemplateRenderer(TemplateRenderer):
    """TemplateRenderer over Jinja2: an optional override folder first, then the built-in
    templates; StrictUndefined, HTML autoescaped, plain text not."""

    def __init__(self, templates_dir: str | os.PathLike[str] | None = None) -> None:
        loaders: list[jinja2.BaseLoader] = []
        if templates_dir is not None:
            folder = Path(templates_dir)
            if not folder.is_dir():
                raise ValidationError("templates_dir", f"{folder} is not a folder")
            loaders.append(jinja2.FileSystemLoader(folder))
        loaders.append(jinja2.FileSystemLoader(BUILT_IN))
        self.templates_dir = None if templates_dir is None else Path(templates_dir)
        self._env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=jinja2.select_autoescape(
                enabled_extensions=("html",), default_for_string=False, default=False
            ),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=True,
        )
        # per template name: the compiled template last checked, and the variables it uses
        self._uses: dict[str, tuple[jinja2.Template, frozenset[str]]] = {}
        # per template name: the template and when its file was last looked at (a term run
        # renders three templates per invoice: Jinja would stat the files every time)
        self._fresh: dict[str, tuple[jinja2.Template, float]] = {}

    def render(self, kind: NotificationKind, variables: Mapping[str, object]) -> RenderedMessage:
        """The message of ``kind`` with ``variables``; ValidationError naming the template
        file when one is missing, does not parse, uses a variable not in ``variables``, or
        (the subject) is not one line."""
        subject_file, text_file, html_file = template_names(NotificationKind(kind))
        subject = self._render(subject_file, variables).strip()
        if not subject or "\n" in subject or "\r" in subject:
            raise ValidationError(f"templates/{subject_file}", "must be one line of text")
        return RenderedMessage(
            subject=subject,
            text_body=self._render(text_file, variables),
            html_body=self._render(html_file, variables),
        )

    def _render(self, name: str, variables: Mapping[str, object]) -> str:
        field = f"templates/{name}"
        try:
            template = self._template(name)
            unknown = sorted(
                self._variables_of(name, template) - set(variables) - set(self._env.globals)
            )
            if unknown:
                raise ValidationError(field, f"uses unknown variable '{unknown[0]}'")
            return template.render(variables)
        except jinja2.TemplateNotFound:
            raise ValidationError(field, "is missing (no such template file)") from None
        except jinja2.TemplateSyntaxError as error:
            raise ValidationError(field, f"line {error.lineno}: {error.message}") from None
        except jinja2.UndefinedError as error:
            found = _UNDEFINED.search(str(error))
            rule = f"uses unknown variable '{found.group(1)}'" if found else str(error)
            raise ValidationError(field, rule) from None
        except jinja2.TemplateError as error:
            raise ValidationError(field, str(error)) from None

    def _template(self, name: str) -> jinja2.Template:
        """The compiled template, its file checked for changes at most once a second."""
        now = time.monotonic()
        found = self._fresh.get(name)
        if found is not None and now - found[1] < RECHECK_SECONDS:
            return found[0]
        template = self._env.get_template(name)
        self._fresh[name] = (template, now)
        return template

    def _variables_of(self, name: str, template: jinja2.Template) -> frozenset[str]:
        """The variables a template reads from its context, parsed again only when the file
        changed (Jinja2 hands back a new Template then)."""
        cached = self._uses.get(name)
        if cached is not None and cached[0] is template:
            return cached[1]
        loader = self._env.loader
        assert loader is not None
        source, _, _ = loader.get_source(self._env, name)
        uses = frozenset(jinja2.meta.find_undeclared_variables(self._env.parse(source)))
        self._uses[name] = (template, uses)
        return uses


__all__ = ["BUILT_IN", "JinjaTemplateRenderer", "template_names"]
