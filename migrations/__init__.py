"""caseroom's Alembic migrations (run them through ``sessions.migrate`` or ``caseroom db upgrade``).

A new revision: change the models in ``sessions/store.py``; then, against a database at the
current head, let Alembic draft it and read what it wrote (SQLite needs ``op.batch_alter_table``)::

    from alembic import command
    from sessions.migrate import alembic_config
    command.revision(alembic_config("sqlite:///data/caseroom.db"), "what changed", autogenerate=True)
"""
