"""The PostgreSQL role opscheck reads as, printed from its code: `python -m opscheck.database_role`.

python -m opscheck.database_role [--role NAME] [--schema NAME]
    the SQL that creates a login role able to run exactly what the postgres source runs
    (`opscheck.evidence.postgres.STATEMENTS`) and nothing more

`pg_monitor` (PostgreSQL 10 and newer, and RDS) lets it read every session's state and
statement in `pg_stat_activity` and the settings; SELECT on `_prisma_migrations` lets it
read Prisma's migrations. It owns nothing and is granted no write, and opscheck's own
connection is read-only besides (`default_transaction_read_only=on`), so nothing it runs
can change the database. Put its URL, with the password you set, in the variable that
`[postgres] dsn_env` names.
"""

from __future__ import annotations

import argparse
import re
import sys

IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


def sql(role: str = "opscheck", schema: str = "public") -> str:
    """The statements, for a superuser (or the RDS master user) to run once."""
    for name in (role, schema):
        if not IDENTIFIER.fullmatch(name):
            raise ValueError(f"{name!r} is not a plain lower-case SQL identifier")
    return "\n".join(
        [
            "-- A read-only role for opscheck's direct reads ([postgres] dsn_env).",
            f"CREATE ROLE {role} LOGIN PASSWORD 'choose-a-password';",
            f"ALTER ROLE {role} SET default_transaction_read_only = on;",
            f"GRANT pg_monitor TO {role};",
            f"GRANT USAGE ON SCHEMA {schema} TO {role};",
            f"GRANT SELECT ON {schema}._prisma_migrations TO {role};",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m opscheck.database_role", description=__doc__)
    parser.add_argument("--role", default="opscheck", help="the role's name (default opscheck)")
    parser.add_argument("--schema", default="public", help="the schema of _prisma_migrations")
    args = parser.parse_args(argv)
    try:
        sys.stdout.write(sql(args.role, args.schema))
    except ValueError as error:
        print(f"opscheck.database_role: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
