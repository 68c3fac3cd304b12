"""`chargedesk tokens import`: the same import from the command line."""

import json

from typer.testing import CliRunner

from chargedesk.cli import app

runner = CliRunner()


def test_cli_import_dry_run_then_real_then_again(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    assert runner.invoke(app, ["api-key", "create", "--organization", "Acme", "--database-url", url]).exit_code == 0
    csv_file = tmp_path / "tokens.csv"
    csv_file.write_text("uid;customer_external_id;nickname\n04AAAB11CD2345;CRM-1;Ada\n0A1B2C3D;CRM-1;Jos\n")
    base = ["tokens", "import", str(csv_file), "--organization", "Acme", "--database-url", url]

    dry = runner.invoke(app, [*base, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["added"] == 2
    real = json.loads(runner.invoke(app, base).stdout)
    assert (real["added"], real["customers_created"]) == (2, ["CRM-1"])
    again = json.loads(runner.invoke(app, base).stdout)
    assert (again["added"], again["already_present"]) == (0, 2)


def test_cli_import_refuses_a_bad_file_and_an_unknown_organisation(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    runner.invoke(app, ["api-key", "create", "--organization", "Acme", "--database-url", url])
    bad = tmp_path / "bad.csv"
    bad.write_text("uid\nNL-TNM-B12345-6\n")
    result = runner.invoke(app, ["tokens", "import", str(bad), "--organization", "Acme", "--database-url", url])
    assert result.exit_code == 1
    assert "visual_number" in json.loads(result.stdout)["errors"][0]["message"]
    unknown = runner.invoke(app, ["tokens", "import", str(bad), "--organization", "Nobody", "--database-url", url])
    assert unknown.exit_code == 2


def test_cli_import_into_a_location_list_with_clear(tmp_path):
    import sqlite3

    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    assert runner.invoke(app, ["migrate", "--database-url", url]).exit_code == 0
    with sqlite3.connect(tmp_path / "cli.db") as conn:
        conn.execute(
            "INSERT INTO organizations (id, root_id, name, default_whitelist, created_at, updated_at) "
            "VALUES ('org_1', 'org_1', 'Acme', 0, '2026-01-01', '2026-01-01')"
        )
        conn.execute(
            "INSERT INTO locations (id, organization_id, name, address, city, country, latitude, longitude, "
            "facilities, custom_groups, published, search_text, created_at, updated_at) VALUES ('loc_1', 'org_1', "
            "'Depot', 'a', 'c', 'NLD', 52, 4, '[]', '[]', 1, 'depot', '2026-01-01', '2026-01-01')"
        )
    first = tmp_path / "first.csv"
    first.write_text("auth_id\nDE-XYZ-C12345678\nFR-ABC-C87654321\n")
    second = tmp_path / "second.csv"
    second.write_text("auth_id\nFR-ABC-C87654321\n")
    base = ["tokens", "import", "--location", "loc_1", "--database-url", url]
    dry = runner.invoke(app, [*base[:2], str(first), *base[2:], "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["external"] == 2
    real = json.loads(runner.invoke(app, [*base[:2], str(first), *base[2:]]).stdout)
    assert (real["added"], real["external"]) == (2, 2)
    cleared = json.loads(runner.invoke(app, [*base[:2], str(second), *base[2:], "--clear"]).stdout)
    assert (cleared["added"], cleared["already_present"], cleared["removed_by_clear"]) == (0, 1, 1)
    with sqlite3.connect(tmp_path / "cli.db") as conn:
        on_list = conn.execute(
            "SELECT t.auth_id FROM location_authorized_tokens l JOIN tokens t ON t.id = l.token_id"
        ).fetchall()
        published = conn.execute("SELECT published FROM locations").fetchone()
    assert on_list == [("FR-ABC-C87654321",)] and published == (0,)
    missing = runner.invoke(app, ["tokens", "import", str(first), "--clear", "--database-url", url])
    assert missing.exit_code == 2
