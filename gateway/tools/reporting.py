"""Human-readable output of imports for the CLI: progress bars and summaries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from gateway.services.imports import ImportReport, ProgressCallback


@contextmanager
def import_progress(console: Console) -> Iterator[ProgressCallback]:
    """A progress bar per collection; yields the callback the importer reports to."""
    columns = (
        TextColumn("{task.description:<14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        tasks: dict[str, TaskID] = {}

        def advance(collection: str, count: int, total: int) -> None:
            if collection not in tasks:
                tasks[collection] = progress.add_task(collection, total=total)
            progress.advance(tasks[collection], count)

        yield advance


def print_report(console: Console, report: ImportReport) -> None:
    table = Table(title="Import summary")
    for column in ("collection", "inserted", "updated", "unchanged", "rejected"):
        table.add_column(column, justify="left" if column == "collection" else "right")
    for name, s in report.summaries.items():
        table.add_row(name, str(s.inserted), str(s.updated), str(s.unchanged), str(s.rejected))
    console.print(table)
    m = report.matches
    console.print(f"matches: {m.created} created, {m.rescored} re-scored, {m.retracted} retracted")
    if report.rejections:
        console.print(f"[bold red]{len(report.rejections)} problem(s):[/]")
        for rejection in report.rejections:
            console.print(f"  - {rejection}", markup=False, highlight=False)
    if not report.written:
        console.print("[bold red]--strict: nothing was written.[/]")
