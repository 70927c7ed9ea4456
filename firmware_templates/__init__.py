"""C sources and Jinja2 templates of the tofhil runtime, model library and validation firmware (package data).

Locate this tree with :func:`tofhil.templates_dir`, never by a path relative to a module.
"""
