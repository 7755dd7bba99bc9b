"""Several SELECTs in one round trip: the UNION ALL of their rows, each row tagged with its part.

A proposal reads a handful of small result sets (absences and load; the free slots, busy times
and afternoon use of a window). On PostgreSQL every statement is a round trip to the server,
and under load the round trips cost as much as the queries (issue 16, docs/benchmarks.md). A
``Batch`` sends its parts as one statement and hands back each part's rows as if it had run
alone.

Every part keeps columns of its own: a row of part ``k`` carries ``k`` first, its values in the
columns reserved for part ``k`` and NULL (cast to that column's type, so that every column of
the union has one type on both databases) in the others. The parts keep their plans: UNION ALL
runs each as written, one after the other. A part's ORDER BY is dropped (SQLite allows none
inside a UNION, and the order of a UNION's rows is not defined): callers that need an order
sort the rows they get back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import CompoundSelect, Connection, Integer, Select, cast, literal_column, null
from sqlalchemy import union_all as sql_union_all


class Batch:
    """The parts as one statement (built once: the statement is cached by SQLAlchemy)."""

    def __init__(self, *parts: Select[*tuple[Any, ...]]) -> None:
        columns = [list(part.selected_columns) for part in parts]
        types = [c.type for cols in columns for c in cols]
        self._spans: list[tuple[int, int]] = []
        members = []
        first = 0
        for k, (part, cols) in enumerate(zip(parts, columns, strict=True)):
            last = first + len(cols)
            self._spans.append((first + 1, last + 1))  # after the tag
            row = [literal_column(str(k), Integer).label("part")] + [
                (cols[i - first] if first <= i < last else cast(null(), t)).label(f"c{i}")
                for i, t in enumerate(types)
            ]
            members.append(part.with_only_columns(*row).order_by(None))
            first = last
        self.statement: CompoundSelect[*tuple[Any, ...]] = sql_union_all(*members)

    def run(self, conn: Connection, params: Mapping[str, Any]) -> list[list[Sequence[Any]]]:
        """Each part's rows (as tuples of its own columns), in the order of the parts."""
        found: list[list[Sequence[Any]]] = [[] for _ in self._spans]
        spans = self._spans
        for row in conn.execute(self.statement, params):
            first, last = spans[row[0]]
            found[row[0]].append(row[first:last])
        return found
