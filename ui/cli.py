"""The ``guideqa`` command line: ingest, docs, ask, feedback, eval."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ingest.documents import DocumentError, Status
from ingest.settings import Settings, get_settings

err = Console(stderr=True, soft_wrap=True)


class UserError(click.ClickException):
    """A clear, one-line error for the user; exit code 2."""

    exit_code = 2

    def show(self, file: object = None) -> None:
        err.print(f"[bold red]error:[/] {self.message}")


def _settings(ctx: click.Context, **overrides: object) -> Settings:
    return get_settings(home=ctx.obj.get("home"), **overrides)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", type=click.Path(path_type=Path), default=None, help="Data directory (GUIDEQA_HOME).")
@click.pass_context
def cli(ctx: click.Context, home: Path | None) -> None:
    """GuideQA: guideline-grounded answers to medical-necessity questions, with citations."""
    ctx.ensure_object(dict)
    ctx.obj["home"] = home


# ---------------------------------------------------------------------- ingest
@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--status",
    type=click.Choice([s.value for s in Status]),
    default=None,
    help="Give every document this status (default: each document's own, else 'submitted').",
)
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], status: str | None) -> None:
    """Index documents (default: corpus/). Unchanged documents cost nothing; removed ones are dropped."""
    from ingest.pipeline import ingest_paths
    from ingest.store import Store

    targets = list(paths) or [Path("corpus")]
    for p in targets:
        if not p.exists():
            raise UserError(f"{p}: no such file or folder")
    settings = _settings(ctx)
    store = Store(settings)
    with Progress(
        TextColumn("[bold]ingest[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None)

        def progress(event: str, item: str) -> None:
            if event == "discovered":
                bar.update(task, total=int(item))
            elif event in ("indexed", "unchanged", "failed"):
                bar.update(task, advance=1, description=f"{event} {Path(item).name}")

        report = ingest_paths(store, targets, status=Status(status) if status else None, progress=progress)
    err.print(
        f"[bold]{len(report.added)}[/] added, {len(report.updated)} updated, {len(report.unchanged)} unchanged, "
        f"{len(report.status_changed)} status changed, {len(report.removed)} removed, "
        f"{len(report.failed)} failed; {report.chunks_embedded} chunks embedded; "
        f"{store.manifest.count_chunks()} chunks indexed in {settings.home} ({report.seconds:.1f} s)"
    )
    if report.warnings:
        err.print(f"[yellow]{len(report.warnings)} warnings[/], e.g. {report.warnings[0]}")
    for _path, message in report.failed:
        err.print(f"[red]failed:[/] {message}")
    if report.failed:
        sys.exit(1)


# ------------------------------------------------------------------------ docs
@cli.group()
def docs() -> None:
    """What is indexed."""


@docs.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def docs_list(ctx: click.Context, as_json: bool) -> None:
    """List indexed documents with status, version and chunk count."""
    from ingest.manifest import Manifest

    settings = _settings(ctx)
    if not settings.manifest_path.exists():
        raise UserError(f"no index in {settings.home}: run `guideqa ingest` first")
    records = Manifest(settings.manifest_path).documents()
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        **r.meta.model_dump(mode="json"),
                        "path": r.path,
                        "chunks": r.n_chunks,
                        "ingested_at": r.ingested_at,
                    }
                    for r in records
                ],
                indent=2,
            )
        )
        return
    table = Table(title=f"{len(records)} documents in {settings.home}")
    for col in ("doc_id", "status", "version", "year", "chunks", "title"):
        table.add_column(col)
    for r in records:
        table.add_row(r.doc_id, r.status, r.meta.version, str(r.meta.year), str(r.n_chunks), r.meta.title[:70])
    Console().print(table)


# ------------------------------------------------------------------------- ask
@cli.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the Answer JSON.")
@click.option("--engine", default=None, help="Answer engine (GUIDEQA_ENGINE).")
@click.pass_context
def ask(ctx: click.Context, question: str, as_json: bool, engine: str | None) -> None:
    """Answer a medical-necessity question from the approved documents, with citations."""
    from assistant.engines import UnknownEngineError
    from assistant.query import QuestionError
    from assistant.service import Assistant, NoIndexError
    from ui.render import render_answer

    settings = _settings(ctx, engine=engine)
    try:
        answer = Assistant(settings).ask(question)
    except (QuestionError, NoIndexError, UnknownEngineError) as exc:
        raise UserError(str(exc)) from exc
    if as_json:
        click.echo(answer.model_dump_json(indent=2))
    else:
        render_answer(answer, Console())


# -------------------------------------------------------------------- feedback
@cli.group()
def feedback() -> None:
    """Physician feedback on answers (thumbs up/down from the chat), for editors."""


@feedback.command("list")
@click.option("--down", "only_down", is_flag=True, help="Only thumbs-down feedback.")
@click.option("--up", "only_up", is_flag=True, help="Only thumbs-up feedback.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Newest N entries.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with the full answer).")
@click.pass_context
def feedback_list(ctx: click.Context, only_down: bool, only_up: bool, limit: int | None, as_json: bool) -> None:
    """List feedback newest first: rating, question, verdict, cited documents, comment."""
    from assistant.feedback import list_feedback

    if only_down and only_up:
        raise UserError("choose --up or --down, not both")
    rating = -1 if only_down else 1 if only_up else None
    records = list_feedback(_settings(ctx), rating=rating, limit=limit)
    if as_json:
        click.echo(
            json.dumps(
                [{**r.__dict__, "answer": json.loads(r.answer_json), "answer_json": None} for r in records], indent=2
            )
        )
        return
    table = Table(title=f"{len(records)} feedback entries")
    for col in ("id", "when", "rating", "question", "verdict", "cited", "comment"):
        table.add_column(col)
    for r in records:
        table.add_row(
            str(r.id),
            r.created_at,
            "👍" if r.rating > 0 else "👎",
            r.question[:90],
            r.determination,
            ", ".join(r.cited),
            r.comment[:120],
        )
    Console().print(table)


# ------------------------------------------------------------------------ eval
class _DefaultToRun(click.Group):
    """``guideqa eval DIR`` runs an evaluation; ``guideqa eval compare A B`` compares two runs."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@cli.group(cls=_DefaultToRun)
def eval() -> None:
    """Evaluate against gold determinations: `guideqa eval DIR`, or `guideqa eval compare RUN_A RUN_B`."""


@eval.command("run")
@click.argument("evalset_dir", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option(
    "--gold",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="Gold file to use instead of EVALSET_DIR/gold.jsonl.",
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Stratified sample of N questions.")
@click.option("--engine", default=None, help="Answer engine (GUIDEQA_ENGINE).")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Report folder (default eval-runs/...).")
@click.option("--json", "as_json", is_flag=True, help="Print report.json on stdout (nothing else).")
@click.pass_context
def eval_run(
    ctx: click.Context,
    evalset_dir: Path,
    gold: Path | None,
    limit: int | None,
    engine: str | None,
    out: Path | None,
    as_json: bool,
) -> None:
    """Run the engine over an evalset (corpus/ + gold.jsonl) and write report.json, report.md, plots."""
    from assistant.engines import UnknownEngineError
    from evals.evalset import EvalsetError
    from evals.runner import run_eval

    settings = _settings(ctx, engine=engine)
    try:
        report, out_dir = run_eval(settings, evalset_dir, gold=gold, limit=limit, out=out, console=err)
    except (EvalsetError, UnknownEngineError, DocumentError) as exc:
        raise UserError(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        from evals.report import summary_lines

        for line in summary_lines(report):
            err.print(line)
        err.print(f"report: {out_dir / 'report.md'}")
    if report.get("interrupted"):
        sys.exit(130)


@eval.command("compare")
@click.argument("run_a", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.argument("run_b", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def eval_compare(run_a: Path, run_b: Path, as_json: bool) -> None:
    """Metric deltas between two eval runs, and the questions whose verdict flipped."""
    from evals.compare import compare_runs, render_comparison

    try:
        result = compare_runs(run_a, run_b)
    except (FileNotFoundError, ValueError) as exc:
        raise UserError(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        render_comparison(result, Console())


def main() -> None:
    cli(obj={})


if __name__ == "__main__":
    main()
