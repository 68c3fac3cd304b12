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
