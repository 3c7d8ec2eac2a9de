"""``newsclust``: the command line. It parses arguments and prints; the work is done by the
run engine (``newsclust_assets.runs``) (``runs.evaluate`` for ``newsclust evaluate``). Nothing imports this module.

``newsclust run`` materializes the whole graph over a range of day partitions against a
persistent Dagster instance (``$DAGSTER_HOME``, or ``NEWSCLUST_DATA_DIR/dagster_home``), so
``dagster dev`` with the same DAGSTER_HOME shows every materialization, check result and
its metadata afterwards. A re-run resumes: days stored from the same articles, windows
clustered from the same days and settings, and their stories are skipped. ``--first D``
with ``--force`` re-runs day D and every later day; ``--force`` redoes everything.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import os
import re
import signal
import sys
from pathlib import Path

from .runs.asset_config import CLUSTER_OPTIONS, load_asset_config
from .runs.engine import format_summary, log_dir, run
from .runs.failures import Interrupted, StepFailed, disk_full, first_line, first_line_of, is_connection_error
from .runs.maintenance import NoStoryStore, NoSuchStory, prune, search_stories, story_page
from .runs.signals import SignalWatch
from .settings import DAGSTER_PG_URL_VAR, RUN_DAYS_MAX, dagster_pg_url, pg_where

DESCRIPTION = """\
Turn a stream of news into stories: each day's articles are embedded and stored in Milvus,
each day's window of days is clustered into stories, the stories are followed from day to
day, and the last day gets a map and a timeline. A re-run resumes where the last one stopped.

Where things come from and go (environment variables):
  NEWSCLUST_SOURCE          the news file (.jsonl, .json or .csv; default: the bundled sample)
  NEWSCLUST_DATA_DIR        Milvus Lite, maps, labels, stories and Dagster's home (./newsclust_data)
  NEWSCLUST_WINDOW_DAYS     days per clustering window (30)
  NEWSCLUST_START_DATE / NEWSCLUST_END_DATE   the day partitions (default: the source's days;
                            NEWSCLUST_END_DATE=today adds each day as it comes)
  NEWSCLUST_EMBEDDING_BASE_URL, _MODEL, _API_KEY   an OpenAI-compatible embedding endpoint
  NEWSCLUST_MILVUS_URI, _TOKEN                     a Milvus server or Zilliz Cloud
  NEWSCLUST_DAGSTER_PG_URL                         Dagster's runs and events in PostgreSQL
  NEWSCLUST_LLM_BASE_URL, _MODEL, _API_KEY         story names from a chat model
Every variable and every asset setting: docs/settings.md in the repository.
"""


def day_arg(value: str) -> str:
    """An argparse type: a calendar date as YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date as YYYY-MM-DD") from None


def _add_cluster_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config", help="JSON or YAML file of asset settings, e.g. {cluster_labels: {similarity_threshold: 0.35}}"
    )
    for name, k in CLUSTER_OPTIONS.items():  # declared once, in ClusterSettings
        p.add_argument(
            f"--{name.replace('_', '-')}",
            dest=name,
            help=k.describe(),
            **({"choices": k.choices} if k.choices else {"type": k.type}),
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="newsclust", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"newsclust {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="materialize all assets over day partitions (default: all of them)")
    p.add_argument("--first", type=day_arg, help="first day partition (YYYY-MM-DD)")
    p.add_argument("--last", type=day_arg, help="last day partition (YYYY-MM-DD)")
    p.add_argument(
        "--windows",
        choices=["all", "last"],
        default="all",
        help="cluster and map every day's window, or only the last day's",
    )
    p.add_argument(
        "--maps",
        choices=["last", "all", "none"],
        default="last",
        help="draw the last day's map (default), every window's, or none",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="redo every day and window, even those already materialized from the same input",
    )
    p.add_argument(
        "--keep-going",
        action="store_true",
        help="after a failed range, go on with the others (windows holding its days are left out)",
    )
    p.add_argument(
        "--days-per-run",
        type=int,
        default=RUN_DAYS_MAX,
        help=f"at most this many days per Dagster run of the daily assets (default {RUN_DAYS_MAX})",
    )
    p.add_argument("--json", help="also write the summary as JSON to this file")
    _add_cluster_options(p)
    e = sub.add_parser(
        "evaluate",
        help="run the whole graph on a story-labelled file and score the clusters",
        description=evaluate_doc(),
    )
    e.add_argument("file", help="labelled news file (.jsonl/.json/.csv) with a story field")
    e.add_argument("--label-field", default="story", help="field holding each article's story (default: story)")
    e.add_argument(
        "--window-days",
        type=int,
        help="days per window (default: the file's whole span, i.e. one window over everything)",
    )
    e.add_argument(
        "--windows",
        choices=["all", "last"],
        default="last",
        help="score every day's window, or only the last day's (default)",
    )
    e.add_argument("--data-dir", help="keep Milvus Lite, maps and labels here (default: a temporary directory)")
    e.add_argument("--json", help="also write the scores as JSON to this file")
    _add_cluster_options(e)
    q = sub.add_parser(
        "story-search",
        help="the stories nearest to a text, from the story store in Milvus",
        description="Embed TEXT with the configured model and list the nearest stories ever "
        "tracked (the story store beside the articles in Milvus, as newsclust run "
        "left it), with their similarity, size and days.",
    )
    q.add_argument("text", help="a headline or any text")
    q.add_argument("--top", type=int, default=5, help="how many stories (default 5)")
    g = sub.add_parser(
        "story-page",
        help="write one story's page (its articles by day, size per day, lineage) and print its path",
        description="Write the HTML page of STORY (an id such as 20240301-2, as the map's hover, the "
        "timeline and story-search show) from the story registry newsclust run left, and print "
        "where it is. story_timeline writes the pages of the day's and the drawn stories by itself.",
    )
    g.add_argument("story", help="a story id, e.g. 20240301-2")
    x = sub.add_parser(
        "prune",
        help="delete stored articles of days the source no longer holds",
        description="Delete from Milvus the articles (and story-store rows) of every day outside "
        "the source's range, e.g. after NEWSCLUST_SOURCE was replaced by a file of other "
        "days. Without --yes it only says what it would delete.",
    )
    x.add_argument("--yes", action="store_true", help="delete them (default: only say how many)")
    # a subcommand's own mistakes are answered with its own usage: argparse leaves unknown
    # options of a subcommand to the top-level parser, which would show the top-level usage
    args, unknown = parser.parse_known_args(argv)
    own = sub.choices[args.command]
    if unknown:
        own.error(f"unrecognized arguments: {' '.join(unknown)}")
    asset_config = load_asset_config(getattr(args, "config", None), vars(args), validate=args.command != "evaluate")
    if getattr(args, "json", None):
        _check_writable(own, args.json)
    if args.command == "evaluate":
        from .runs.evaluate import evaluate

        try:
            return evaluate(
                args.file, args.label_field, args.window_days, args.windows, args.data_dir, args.json, asset_config
            )
        except StepFailed as failure:
            print(f"newsclust evaluate: stopped: {failure}", file=sys.stderr)
            return 1
        except Interrupted as stop:
            print(f"newsclust evaluate: stopped by {stop}", file=sys.stderr)
            return 128 + stop.signo
        except KeyboardInterrupt:
            print("newsclust evaluate: stopped by SIGINT", file=sys.stderr)
            return 128 + signal.SIGINT
        except SystemExit:
            raise
        except Exception as exc:  # noqa: BLE001 - one line; the traceback goes to a log file
            return _one_line_error("newsclust evaluate", exc)
    if args.command == "story-search":
        return story_search(args.text, args.top)
    if args.command == "prune":
        return prune_command(args.yes)
    if args.command == "story-page":
        return _answer("newsclust story-page", lambda: print(story_page(args.story)), NoSuchStory)
    if args.days_per_run < 1:
        parser.error("--days-per-run must be at least 1")
    watch = SignalWatch()
    libraries = log_dir() / f"libraries_{dt.datetime.now():%Y%m%d-%H%M%S}_{os.getpid()}.log"
    try:
        with library_lines_to(libraries):
            summary = run(
                args.first,
                args.last,
                args.windows,
                asset_config=asset_config,
                maps=args.maps,
                force=args.force,
                keep_going=args.keep_going,
                days_per_run=args.days_per_run,
                watch=watch,
            )
    except StepFailed as failure:
        print(
            f"newsclust: stopped: {failure}. Fix the cause and re-run to resume (--keep-going to carry on "
            "past failed ranges).",
            file=sys.stderr,
        )
        return 1
    except Interrupted as stop:
        said = "the interrupted run is marked canceled" if stop.canceled else "no run was left unfinished"
        print(f"newsclust: stopped by {stop}; {said}. Re-run to resume where it stopped.", file=sys.stderr)
        return 128 + stop.signo
    except KeyboardInterrupt:  # before any run could start (loading the code location)
        signo = watch.received() or signal.SIGINT
        print(
            f"newsclust: stopped by {signal.Signals(signo).name}; no run was started. Re-run to resume.",
            file=sys.stderr,
        )
        return 128 + signo
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - a user sees one line; the traceback goes to a log file
        return _one_line_error("newsclust", exc)
    finally:
        watch.close()
    if summary["map"]:
        print(f"map: {summary['map']}")
    if summary.get("labels_csv"):
        print(f"labels: {summary['labels_csv']}")
    if summary.get("timeline"):
        print(f"timeline: {summary['timeline']}")
    if summary.get("story_page"):
        print(f"story page: {summary['story_page']} (the largest story; {summary['story_pages']} story pages there)")
    print(f"summary: {format_summary(summary)}")
    print(f"open it in the Dagster UI: {ui_command()} (in the repo: make dev), then http://127.0.0.1:3000")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))
    if summary["failures"]:
        print(f"newsclust: {len(summary['failures'])} range(s) failed:", file=sys.stderr)
        for line in summary["failures"]:
            print(f"  {line}", file=sys.stderr)
        return 1
    return 0


class _LibraryLines:
    """sys.stderr while the engine works: whole lines of newsclust's own go to the terminal,
    every other line to a log file, opened at its first line. Libraries write there for
    themselves: Dagster's PostgreSQL storage logs a retry a second while the database is down,
    and Dagster notes each event it could not store; the command reports the failure as one
    line of its own and names the log."""

    def __init__(self, terminal, path: Path):
        self.terminal, self.path, self.pending, self.file = terminal, path, "", None

    def write(self, text: str) -> int:
        self.pending += text
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            self._route(line + "\n")
        return len(text)

    def _route(self, line: str) -> None:
        if line.startswith("newsclust"):
            self.terminal.write(line)
            return
        try:
            if self.file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.file = self.path.open("a")
            self.file.write(line)
        except OSError:
            self.terminal.write(line)  # nowhere else to keep it

    def flush(self) -> None:
        self.terminal.flush()
        if self.file is not None:
            self.file.flush()

    def close(self) -> None:
        if self.pending:
            self._route(self.pending + "\n")
            self.pending = ""
        if self.file is not None:
            self.file.close()

    def __getattr__(self, name):  # isatty, encoding, fileno...: the terminal's
        return getattr(self.terminal, name)


@contextlib.contextmanager
def library_lines_to(path: Path):
    """While the block runs, libraries' lines on stderr (and their warnings through the root
    logger, which would otherwise print there) go to ``path``; newsclust's own lines stay on
    the terminal (``_LibraryLines``)."""
    lines = _LibraryLines(sys.stderr, path)
    handler = logging.StreamHandler(lines)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with contextlib.redirect_stderr(lines):
            yield
    finally:
        root.removeHandler(handler)
        lines.close()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newsclust")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def prune_command(apply: bool) -> int:
    """``newsclust prune [--yes]``."""
    try:
        said = prune(apply)
    except (SystemExit, KeyboardInterrupt):
        raise
    except Exception as exc:  # noqa: BLE001 - one line
        return _one_line_error("newsclust prune", exc)
    print(f"newsclust prune: {said}")
    return 0


def _answer(prog: str, call, expected: type[Exception]) -> int:
    """Run ``call``; a user's mistake (``expected``) is ``prog: why`` and exit 1, anything else
    one line and the traceback in a log file."""
    try:
        call()
    except expected as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 1
    except (SystemExit, KeyboardInterrupt):
        raise
    except Exception as exc:  # noqa: BLE001 - one line
        return _one_line_error(prog, exc)
    return 0


def story_search(text: str, top: int = 5) -> int:
    """``newsclust story-search TEXT``: print the nearest stories of the story store."""

    def show() -> None:
        hits = search_stories(text, top)
        if not hits:
            print("no story in the store yet")
        for h in hits:
            print(
                f"{h['story']}  cosine {h['similarity']:.3f}  {h['members']} articles  {h['born']}..{h['last_seen']} "
                f"({h['status']})  {h['name']}"
            )

    return _answer("newsclust story-search", show, NoStoryStore)


def ui_command() -> str:
    """The ``dagster dev`` command that shows this command's data from any directory: absolute
    paths, the code location by module name, and the same NEWSCLUST_ settings (never a secret:
    the variables ``settings.VARIABLES`` declares secret, such as tokens, keys and
    NEWSCLUST_DAGSTER_PG_URL, and any URL with a user or password in it are left for the user's
    own environment)."""
    import shlex

    from .settings import VARIABLES, data_dir
    from .settings import env as read

    env = {"DAGSTER_HOME": os.environ.get("DAGSTER_HOME", "")}
    env["NEWSCLUST_DATA_DIR"] = str(data_dir())
    shown = {v.name: read(v.name) for v in VARIABLES.values() if not v.secret and v.group != "tests"}
    env.update(
        {
            name: value
            for name, value in shown.items()
            if value and name != "NEWSCLUST_DATA_DIR" and not re.search(r"://[^/@\s]*@", value)
        }
    )  # nor a URL with a user or password in it
    for k in ("NEWSCLUST_SOURCE",):
        if env.get(k):
            env[k] = str(Path(env[k]).absolute())
    dagster = Path(sys.executable).parent / "dagster"
    return (
        " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items() if v)
        + f" {dagster} dev -m newsclust_assets.definitions"
    )


def _one_line_error(prog: str, exc: BaseException) -> int:
    """Print ``prog: <what went wrong>`` and where the whole traceback was written; exit code 1."""
    import traceback

    from .ingest.news_source import NewsSourceError

    message = first_line_of(exc)
    full = disk_full(exc)
    if full is not None:
        print(
            f"{prog}: no space left on {full}: free space (or point NEWSCLUST_DATA_DIR elsewhere) and re-run; "
            "what was stored is kept, and a re-run stores every article once.",
            file=sys.stderr,
        )
        return 1
    if isinstance(exc, (NewsSourceError, ValueError)):  # a user's input: the message is the whole story
        print(f"{prog}: {message}", file=sys.stderr)
        return 1
    try:
        path = log_dir() / f"error_{dt.datetime.now():%Y%m%d-%H%M%S}_{os.getpid()}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(traceback.format_exception(exc)))
        where = f" (full error: {path})"
    except OSError:
        where = ""
    url = dagster_pg_url()
    if url is not None and is_connection_error(exc):  # the database went away while a run was going
        print(
            f"{prog}: lost the Dagster PostgreSQL database at {pg_where(url)} ({DAGSTER_PG_URL_VAR}): "
            f"{first_line(exc)}; what was stored is kept: start it again and re-run to resume{where}",
            file=sys.stderr,
        )
        return 1
    print(f"{prog}: {type(exc).__name__}: {message}{where}", file=sys.stderr)
    return 1


def _check_writable(parser: argparse.ArgumentParser, path: str) -> None:
    target = Path(path)
    if target.is_dir():
        parser.error(f"--json {path} is a directory: give a file name")
    if not target.absolute().parent.is_dir():
        parser.error(f"--json {path}: the directory {target.absolute().parent} does not exist")


def evaluate_doc() -> str:
    from .runs.evaluate import __doc__ as doc

    return doc


if __name__ == "__main__":
    # `python -m newsclust_assets.cli`: run the imported module's main, so that this file is
    # one module (its exception classes are the ones evaluate.py and the tests import)
    from newsclust_assets.cli import main as _main

    sys.exit(_main())
