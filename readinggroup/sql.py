"""SQL expressions the ORM lacks, for PostgreSQL and SQLite alike.

- CorrelatedSQL: a fixed SQL fragment per database that refers to a column of the outer
  query (e.g. related rows built into JSON text by the database, inside the main query).
  The ORM's Subquery/Exists build the same SQL, but cloning and compiling a nested query
  for every request cost more CPU than the database spends running it.
- RowLess: `(a, b, c) < (x, y, z)`, the keyset condition an index can seek to, where the
  equivalent `a < x OR (a = x AND b < y) OR …` makes PostgreSQL read the index from its
  start (a deep page of a million rows costs a full scan).
"""

from django.db.models import BooleanField, Expression, F


class CorrelatedSQL(Expression):
    """SQL from `templates[vendor]`, where `%(outer)s` is the outer query's `outer` column
    (aliased correctly whatever the joins) and `%s` placeholders take `params`."""

    def __init__(self, templates: dict[str, str], *, outer: str = "pk", params=(), output_field=None) -> None:
        super().__init__(output_field=output_field)
        self.templates, self.outer, self.params = templates, F(outer), tuple(params)

    def get_source_expressions(self) -> list:
        return [self.outer]

    def set_source_expressions(self, expressions) -> None:
        (self.outer,) = expressions

    def as_sql(self, compiler, connection):
        outer_sql, outer_params = compiler.compile(self.outer)
        if outer_params:
            raise ValueError("CorrelatedSQL's outer must be a column.")
        return self.templates[connection.vendor].replace("%(outer)s", outer_sql), self.params


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
