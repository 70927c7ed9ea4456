"""The one Jinja2 environment for C templates (the model library and the firmware project).

C is not HTML: no autoescaping; undefined names are errors rather than empty strings, so a context key that
went missing fails the export instead of writing an empty initializer into a C struct.
"""

from __future__ import annotations

import jinja2

from tofhil.paths import templates_dir


def c_template_environment(filters: dict | None = None) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True, autoescape=False)
    env.filters.update(filters or {})
    return env
