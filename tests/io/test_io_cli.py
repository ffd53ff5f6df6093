"""`tracker search | statements import | statements template | export | backup | restore`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from tracker.actors import sync_reference_actors
from tracker.auth import create_user
from tracker.cli import app
from tracker.db import make_engine
from tracker.demo import load_demo
from tracker.models import TopicCreate
from tracker.topics import create_topic

runner = CliRunner()
SLUG = "alignment"


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def run(url: str, *args: str):
    return runner.invoke(app, list(args), env={"TRACKER_DATABASE_URL": url})


def _prepare(engine: Engine) -> None:
    with Session(engine) as session:
        sync_reference_actors(session)
        create_topic(session, TopicCreate(slug=SLUG, title="Alignment", proposition="P"))
        create_user(session, "casey", "a long enough password", "contributor")
        session.commit()


def _csv(rows: list[str]) -> bytes:
    header = "topic,country,said_on,stance,summary,source_url\n"
    return (header + "\n".join(rows) + "\n").encode()


GOOD = f"{SLUG},PAK,2025-06-14,1,Backs closer ties,https://example.org/a"
BAD = f"{SLUG},Atlantis,2025-06-14,1,Unknown country,https://example.org/b"


def test_statements_import_all_or_nothing_then_valid_only(engine, tmp_path: Path):
    _prepare(engine)
    url = _url(engine)
    file = tmp_path / "in.csv"
    file.write_bytes(_csv([GOOD, BAD]))
    refused = run(url, "statements", "import", str(file))
    assert refused.exit_code == 1
    assert "nothing imported" in refused.output
    assert "line 3: country: no country or bloc called 'Atlantis'" in refused.output
    assert json.loads(run(url, "statements", "list", "--json").output) == []

    accepted = run(url, "statements", "import", str(file), "--valid-only", "--as", "casey")
    assert accepted.exit_code == 0, accepted.output
    assert "1 imported as pending, 1 refused" in accepted.output
    (listed,) = json.loads(run(url, "statements", "list", "--json").output)
    assert (listed["status"], listed["contributor"]) == ("pending", "casey")

    again = run(url, "statements", "import", str(file), "--valid-only", "--json")
    report = json.loads(again.stdout)
    assert report["imported"] == 0
    assert report["duplicates"][0]["reason"] == "already imported"
    assert report["rejected"][0]["line"] == 3


def test_statements_import_errors_are_messages(engine, tmp_path: Path):
    _prepare(engine)
    url = _url(engine)
    missing = run(url, "statements", "import", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 1 and "cannot read" in missing.output
    file = tmp_path / "in.csv"
    file.write_bytes(_csv([GOOD]))
    nobody = run(url, "statements", "import", str(file), "--as", "nobody")
    assert nobody.exit_code == 1 and "there is no user 'nobody'" in nobody.output
    bad_header = tmp_path / "bad.csv"
    bad_header.write_bytes(b"a,b\n1,2\n")
    refused = run(url, "statements", "import", str(bad_header))
    assert refused.exit_code == 1 and "Missing column(s)" in refused.output
    assert "Traceback" not in refused.output


def test_statements_template(engine, tmp_path: Path):
    url = _url(engine)
    printed = run(url, "statements", "template")
    assert printed.exit_code == 0
    assert printed.stdout_bytes.startswith(b"\xef\xbb\xbftopic,country,speaker")
    out = tmp_path / "template.csv"
    assert run(url, "statements", "template", "--output", str(out)).exit_code == 0
    assert out.read_bytes() == printed.stdout_bytes


def test_export_every_format(engine, tmp_path: Path):
    with Session(engine) as session:
        load_demo(session)
        session.commit()
    url = _url(engine)
    for kind in ("statements", "events"):
        for fmt in ("csv", "json", "jsonld", "timelinejs"):
            out = tmp_path / f"{kind}.{fmt}"
            result = run(url, "export", kind, "--format", fmt, "--output", str(out))
            assert result.exit_code == 0, result.output
            data = out.read_bytes()
            if fmt == "csv":
                rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
                assert rows
            else:
                parsed = json.loads(data)
                assert parsed
    stdout = run(url, "export", "statements", "-f", "jsonld", "--country", "Pakistan")
    graph = json.loads(stdout.stdout)["@graph"]
    assert graph and all(c["@type"] == "Claim" for c in graph)
    assert {
        c["author"].get("identifier") or c["author"]["affiliation"]["identifier"] for c in graph
    } == {"PAK"}
    timeline = json.loads(
        run(url, "export", "timeline", "--topic", "pakistan-iran-alignment").stdout
    )
    assert {"statement", "event"} <= {e["unique_id"].split("-")[0] for e in timeline["events"]}
    bad = run(url, "export", "statements", "--format", "xml")
    assert bad.exit_code == 1 and "unknown format" in bad.output
    bad_status = run(url, "export", "statements", "--status", "maybe")
    assert bad_status.exit_code == 1 and "--status 'maybe'" in bad_status.output
    bad_topic = run(url, "export", "events", "--topic", "nope")
    assert bad_topic.exit_code == 1 and "no topic with the slug" in bad_topic.output


def test_search_command(engine):
    with Session(engine) as session:
        load_demo(session)
        session.commit()
    url = _url(engine)
    result = run(url, "search", "Pakistan", "Iran", "--limit", "3")
    assert result.exit_code == 0, result.output
    assert "«Pakistan»" in result.output
    page = json.loads(run(url, "search", '"Saudi Arabia"', "--json").stdout)
    assert page["hits"] and page["total"] >= 1
    assert page["hits"][0]["title"]["text"]
    statements = json.loads(
        run(url, "search", "Iran", "--kind", "statement", "--country", "PAK", "--json").stdout
    )
    assert {h["kind"] for h in statements["hits"]} == {"statement"}
    assert {c for h in statements["hits"] for c in h["actor_codes"]} == {"PAK"}
    hostile = run(url, "search", 'NEAR( " * -', "--json")
    assert hostile.exit_code == 0 and json.loads(hostile.stdout)["hits"] == []
    assert "nothing to search for" in run(url, "search", "*").output
    assert run(url, "search", "x", "--kind", "tweets").exit_code == 1
    assert run(url, "search", "x", "--from", "June").exit_code == 1
    assert run(url, "search", "x", "--country", "Atlantis").exit_code == 1


def test_backup_and_restore_commands(sqlite_template: Path, tmp_path: Path):
    live = tmp_path / "live.db"
    live.write_bytes(sqlite_template.read_bytes())
    url = f"sqlite:///{live}"
    copy = tmp_path / "backup.db"
    made = run(url, "backup", str(copy))
    assert made.exit_code == 0, made.output
    assert "backed up to" in made.output
    assert run(url, "backup", str(copy)).exit_code == 1
    assert run(url, "backup", str(copy), "--force").exit_code == 0
    engine = make_engine(url)
    with engine.connect():
        busy = run(url, "restore", str(copy))
        assert busy.exit_code == 1 and "in use" in busy.output
    engine.dispose()
    restored = run(url, "restore", str(copy))
    assert restored.exit_code == 0, restored.output
    assert "restored" in restored.output


def test_backup_on_postgres_prints_the_pg_dump_command():
    result = run("postgresql+psycopg://tracker:secret@db.internal:5432/tracker", "backup", "x")
    assert result.exit_code == 1
    assert "pg_dump --format=custom --file x postgresql://tracker@db.internal:5432/tracker" in (
        result.output
    )
    assert "secret" not in result.output
