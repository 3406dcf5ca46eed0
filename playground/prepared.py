"""Read queries whose SQL Django builds once per process and database, then runs again with
new values: the hot reads of a send (bench/relay.py).

Django builds a query afresh on every call — it resolves each lookup, join and subquery,
then compiles the tree to SQL — and for the reads a send makes before its request can leave
that cost 0.2–1 ms a query, ten times what SQLite took to run them. A Prepared query is
built once per shape (the length of each list it is given) with markers where its values
go, and every call runs that SQL with the values put where the markers were. The rows
become model instances as Django's own iterable makes them (select_related included), or
tuples for a values_list query.

Only integer values are prepared (ids): a marker is a negative number no row has, within a
32-bit column's range (Django compiles a lookup of a value out of the column's range to
"nothing matches", which would be kept as if it were the query). A list
is padded to the next power of two by repeating its last id (the same rows match), so a
query has a handful of shapes, not one per length. A query whose SQL would depend on the
values themselves (an empty list), or a list longer than LONGEST, is run by Django as it is.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.apps import apps
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators
from django.db.models.sql.compiler import SQLCompiler

M = TypeVar("M", bound=Model)
Value = int | Sequence[int]
# Two marker sets whose SQL and parameters must match, and small ids whose SQL must match
# too, or the query's SQL depends on its values.
MARKERS = (-1_700_000_000, -1_800_000_000)
LONGEST = 4096  # padded further, a list could pass SQLite's 32,766 parameters where it did not


class NotPreparable(ValueError):
    """The query's SQL depends on its values, not only on their number."""


@dataclass(frozen=True)
class _Compiled:
    sql: str
    slots: tuple[tuple[bool, Any], ...]  # per parameter: (is a value, its index or constant)
    compiler: SQLCompiler  # its select and klass_info say how rows become objects
    iterable: type  # what the query set would have made of its rows
    # For model instances, worked out once: the fields' names, where they sit in a row, and
    # what fills the select_related objects.
    names: tuple[str, ...] = ()
    span: tuple[int, int] = (0, 0)
    populators: tuple[Any, ...] = ()


def _padded(ids: Sequence[int]) -> list[int]:
    unique = list(dict.fromkeys(ids))
    return unique + unique[-1:] * ((1 << (len(unique) - 1).bit_length()) - len(unique))


def _flat(args: Sequence[Value]) -> list[int]:
    flat: list[int] = []
    for arg in args:
        flat.extend([arg] if isinstance(arg, int) else arg)
    return flat


def _markers(args: Sequence[Value], base: int, step: int = -1) -> list[Value]:
    """Stand-ins for `args`: the same shape, each value a distinct number from `base` on."""
    markers: list[Value] = []
    counter = base
    for arg in args:
        if isinstance(arg, int):
            markers.append(counter)
            counter += step
        else:
            markers.append(list(range(counter, counter + step * len(arg), step)))
            counter += step * len(arg)
    return markers


class Prepared(Generic[M]):
    """`build(*args)` returns the query set of `model` (a class, or its "app.Model" label for
    a module that loads before the models); each arg an id or a list of ids."""

    def __init__(self, model: type[M] | str, build: Callable[..., QuerySet]) -> None:
        self._model = model
        self.build = build
        self._compiled: dict[tuple[Any, ...], _Compiled] = {}
        self._lock = threading.Lock()

    @property
    def model(self) -> type[M]:
        if isinstance(self._model, str):
            self._model = apps.get_model(self._model)
        return self._model

    def _compile(self, alias: str, args: Sequence[Value]) -> _Compiled:
        built = []
        for base in MARKERS:
            markers = _markers(args, base)
            queryset = self.build(*markers)
            compiler = queryset.query.get_compiler(using=alias)
            try:
                sql, params = compiler.as_sql()
            except (EmptyResultSet, FullResultSet) as error:  # a value decided a lookup
                raise NotPreparable(
                    f"{self.model.__name__}: its SQL depends on its values"
                ) from error
            index = {marker: position for position, marker in enumerate(_flat(markers))}
            slots = tuple((isinstance(p, int) and p in index, index.get(p, p)) for p in params)
            if queryset._prefetch_related_lookups or queryset._known_related_objects:
                raise NotPreparable(f"{self.model.__name__}: only one query is prepared")
            built.append((sql, slots, compiler, queryset._iterable_class))
        (sql, slots, compiler, iterable), (other_sql, other_slots, *_rest) = built
        small_ids = self.build(*_markers(args, 1, 1)).query.get_compiler(using=alias)
        plain_sql, plain_params = small_ids.as_sql()
        every_value_placed = len({v for is_value, v in slots if is_value}) == len(_flat(args))
        same = (other_sql, other_slots) == (sql, slots) and (plain_sql, len(plain_params)) == (
            sql, len(slots))  # fmt: skip
        if not (same and every_value_placed):
            raise NotPreparable(f"{self.model.__name__}: its SQL depends on its values")
        if iterable is not ModelIterable:
            return _Compiled(sql, slots, compiler, iterable)
        select, klass_info = compiler.select, compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        names = tuple(column[0].target.attname for column in select[start:end])
        populators = tuple(get_related_populators(klass_info, select, alias))
        return _Compiled(sql, slots, compiler, iterable, names, (start, end), populators)

    def _rows(self, args: Sequence[Value]) -> tuple[_Compiled, str, list[tuple]] | None:
        if any(not isinstance(arg, int) and not 0 < len(arg) <= LONGEST for arg in args):
            return None  # Django knows an empty list finds nothing
        args = [arg if isinstance(arg, int) else _padded(arg) for arg in args]
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        shape = (alias, connection.vendor, *(None if isinstance(a, int) else len(a) for a in args))
        compiled = self._compiled.get(shape)
        if compiled is None:
            with self._lock:
                compiled = self._compiled[shape] = self._compile(alias, args)
        flat = _flat(args)
        params = [flat[value] if is_value else value for is_value, value in compiled.slots]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        return compiled, alias, rows

    def objects(self, *args: Value) -> list[M]:
        """What `list(build(*args))` gives, model instances."""
        found = self._rows(args)
        if found is None:
            return list(self.build(*args))
        compiled, alias, rows = found
        if compiled.iterable is not ModelIterable:
            raise TypeError("objects() is for a query set of model instances; use rows()")
        compiler = compiled.compiler
        model, (start, end) = compiler.klass_info["model"], compiled.span
        objects = []
        for row in compiler.results_iter([rows]):
            instance = model.from_db(alias, compiled.names, row[start:end])
            for populator in compiled.populators:
                populator.populate(row, instance)
            for name, position in compiler.annotation_col_map.items():
                setattr(instance, name, row[position])
            objects.append(instance)
        return objects

    def rows(self, *args: Value) -> list[tuple]:
        """What `list(build(*args))` gives for a values_list query: tuples."""
        found = self._rows(args)
        if found is None:
            return [tuple(row) for row in self.build(*args)]
        compiled, _alias, rows = found
        if compiled.iterable is not ValuesListIterable:
            raise TypeError("rows() is for values_list queries; use objects()")
        return list(compiled.compiler.results_iter([rows], tuple_expected=True))
