"""Pages of a list page (issue 16: a page costs what it shows): the page number from the query
string, and one row more than a page is asked for, to know whether there is a next page
without counting every row. The links are the template macro ``pager`` (web/_pager.html)."""

from __future__ import annotations

from typing import TypeVar

from flask import request

T = TypeVar("T")


def page_arg() -> int:
    """``?page=N`` (1 … 9,999); anything else is the first page."""
    number = request.args.get("page", "1")
    return int(number) if number.isdigit() and 0 < int(number) < 10_000 else 1


def one_page(rows: list[T], size: int) -> tuple[list[T], bool]:
    """The first ``size`` of ``rows`` (read with ``limit=size + 1``) and whether more follow."""
    return rows[:size], len(rows) > size
