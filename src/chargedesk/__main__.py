from chargedesk.cli import app

app()
