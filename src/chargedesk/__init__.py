"""chargedesk: a back office for charge point operators."""

__version__ = "0.1.0"
