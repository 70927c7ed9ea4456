"""Board farm: one validation sharded over several boards (``--parallel N`` emulated boards, several
``--board`` values, labgrid places with ``--place`` / ``--reserve``), merged into one output folder.

``shards.py`` turns the options into the boards to use, ``frame_queue.py`` is the one queue of frames they
share, ``worker.py`` drives one board (and brings a lost one back), ``sharded.py`` runs them and writes the
merged ``run_meta.json``; ``labgrid_place.py`` acquires, resolves and releases labgrid places.
"""
