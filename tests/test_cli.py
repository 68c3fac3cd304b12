"""The chargedesk command, run as a real process."""

import hashlib
import socket
import sqlite3
import subprocess
import sys
import time

import httpx


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chargedesk", *args], capture_output=True, text=True, env=env, timeout=120
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_api_key_create_prints_the_key_last_and_stores_its_hash(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    result = run_cli(
        "api-key", "create", "--organization", "Acme Charging", "--role", "location_manager", "--database-url", url
    )
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("cdk_") and len(key) > 40
    with sqlite3.connect(tmp_path / "cli.db") as conn:
        (org_id,) = conn.execute("SELECT id FROM organizations WHERE name = 'Acme Charging'").fetchone()
        rows = conn.execute("SELECT organization_id, role, key_hash FROM api_keys").fetchall()
    assert rows == [(org_id, "location_manager", hashlib.sha256(key.encode()).hexdigest())]
    # a second key for the same organisation reuses it
    again = run_cli("api-key", "create", "--organization", "Acme Charging", "--database-url", url)
    with sqlite3.connect(tmp_path / "cli.db") as conn:
        assert conn.execute("SELECT count(*) FROM organizations").fetchone() == (1,)
    assert again.stdout.strip().splitlines()[-1] != key


def test_api_key_create_refuses_an_unknown_role(tmp_path):
    result = run_cli(
        "api-key",
        "create",
        "--organization",
        "A",
        "--role",
        "superuser",
        "--database-url",
        f"sqlite+aiosqlite:///{tmp_path}/cli.db",
    )
    assert result.returncode == 2
    assert "Unknown role 'superuser'" in result.stderr and "location_manager" in result.stderr


def test_migrate_is_idempotent(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/m.db"
    assert run_cli("migrate", "--database-url", url).returncode == 0
    assert run_cli("migrate", "--database-url", url).returncode == 0
    with sqlite3.connect(tmp_path / "m.db") as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"organizations", "locations", "charge_stations", "tokens", "api_keys"} <= tables


def test_serve_with_demo_data(tmp_path):
    port = free_port()
    url = f"sqlite+aiosqlite:///{tmp_path}/var/demo.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "chargedesk", "serve", "--demo", "--port", str(port), "--database-url", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("the server did not start")
        assert httpx.get(f"{base}/docs").status_code == 200
        assert "/api/v1/locations" in httpx.get(f"{base}/openapi.json").json()["paths"]
        from chargedesk.demo import DEMO_ADMIN_KEY

        headers = {"Authorization": f"Bearer {DEMO_ADMIN_KEY}"}
        locations = httpx.get(f"{base}/api/v1/locations", headers=headers).json()["items"]
        assert len(locations) == 3 and sum(loc["station_count"] for loc in locations) == 4
        orgs = httpx.get(f"{base}/api/v1/organizations", headers=headers).json()["items"]
        assert len(orgs) == 2 and any(o["parent_id"] for o in orgs)
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0]
    assert DEMO_ADMIN_KEY in output
