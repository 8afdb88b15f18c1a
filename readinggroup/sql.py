"""An SQL expression the ORM lacks, for PostgreSQL and SQLite alike.

RowLess: `(a, b, c) < (x, y, z)`, the keyset condition an index can seek to, where the
equivalent `a < x OR (a = x AND b < y) OR …` makes PostgreSQL read the index from its
start (a deep page of a million rows costs a full scan).
"""

from django.db.models import BooleanField, Expression


class RowLess(Expression):
    """`(left…) < (right…)` (or `>` with greater=True): one row-value comparison, index-friendly."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, left: list, right: list, *, greater: bool = False) -> None:
        super().__init__()
        self.left, self.right, self.greater = list(left), list(right), greater

    def get_source_expressions(self) -> list:
        return [*self.left, *self.right]

    def set_source_expressions(self, expressions) -> None:
        half = len(expressions) // 2
        self.left, self.right = list(expressions[:half]), list(expressions[half:])

    def as_sql(self, compiler, connection):
        sides, params = [], []
        for side in (self.left, self.right):
            parts = []
            for expression in side:
                sql, part_params = compiler.compile(expression)
                parts.append(sql)
                params += part_params
            sides.append("(" + ", ".join(parts) + ")")
        return f"{sides[0]} {'>' if self.greater else '<'} {sides[1]}", params
