"""Export: full-int8 TFLite, a generated C model library on the bit-exact tofhil int8 runtime
(``firmware_templates/``), on-device preprocessing, and ``model_report.json``.

Entry points: :func:`training.export.pipeline.export_model` (plain inputs),
:func:`training.export.run_folder.read_run_folder` (a trainer's run folder) and
:func:`training.export.cli.add_export_parser` (the ``export`` subcommand).
"""
