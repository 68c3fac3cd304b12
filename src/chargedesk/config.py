"""Settings, read from the environment with the CHARGEDESK_ prefix."""

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHARGEDESK_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./var/chargedesk.db"
    host: str = "127.0.0.1"
    port: int = 8000
    demo_data: bool = False
    secret_key: str = "change-me-in-production"
    log_level: str = "info"
    # Upload limit for CSV imports, in bytes.
    import_max_bytes: int = 50 * 1024 * 1024
    # OCPP gateway
    heartbeat_interval: int = 300
    ocpp_max_frame_bytes: int = 65536
    ocpp_call_timeout: float = 30.0
    ocpp_ping_interval: float = 60.0
    ocpp_offline_after: float = 900.0
    message_log_days: int = 90
    message_log_enabled: bool = True
    # How long the gateway may reuse a station's authorization context (organisation, access mode, private
    # location); changes made through this process apply at once.
    ocpp_context_cache_seconds: float = 10.0
    # DataTransfer vendorIds answered Accepted (JSON list); any other vendor gets UnknownVendorId.
    ocpp_data_transfer_vendors: list[str] = []
    redis_url: str | None = None


@lru_cache
def get_settings() -> Settings:
    return Settings()
