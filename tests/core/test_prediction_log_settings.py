"""Where the prediction log (and the other shared state) lives: files under state/, or the one
database LIFECYCLE_DATABASE_URL names, which is checked when the settings are read."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from lifecycle.settings import Settings

URL = "postgresql+psycopg://lifecycle:s3cret@db.internal:5432/lifecycle"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """A project in tmp_path, with none of the settings these tests are about."""
    monkeypatch.setenv("LIFECYCLE_ROOT", str(tmp_path))
    for name in ("LIFECYCLE_DATABASE_URL", "LIFECYCLE_PREDICTION_LOG", "LIFECYCLE_STATE_DIR"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_without_a_database_the_state_is_in_files(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = Settings()
    state = tmp_path / "state"
    assert settings.prediction_log == state / "predictions.sqlite"
    assert settings.feedback_store == state / "feedback.sqlite"
    assert settings.promotion_log == state / "promotions.jsonl"
    assert settings.database is None and str(state) in settings.database_label
    env.setenv("LIFECYCLE_PREDICTION_LOG", "elsewhere/p.sqlite")
    assert Settings().prediction_log == tmp_path / "elsewhere/p.sqlite"


def test_a_database_url_holds_all_the_shared_state(env: pytest.MonkeyPatch) -> None:
    env.setenv("LIFECYCLE_DATABASE_URL", URL)
    env.setenv("LIFECYCLE_PREDICTION_LOG", "ignored.sqlite")  # the database wins
    settings = Settings()
    assert settings.prediction_log == settings.feedback_store == settings.promotion_log == URL
    assert settings.database_label == URL.replace("s3cret", "***")
    assert "s3cret" not in repr(settings)  # a SecretStr


def test_an_empty_database_url_means_none(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env.setenv("LIFECYCLE_DATABASE_URL", "")
    assert Settings().prediction_log == tmp_path / "state/predictions.sqlite"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("db.internal:5432/lifecycle?password=s3cret", "is not a database URL"),
        ("postgresql+psycopg://lifecycle:s3cret@db:port/x", "is not a database URL"),
        ("postgresql://lifecycle:s3cret@db/x", "write postgresql+psycopg://"),
        ("mysql+pymysql://lifecycle:s3cret@db/x", "supported: postgresql+psycopg"),
    ],
)
def test_a_database_url_we_cannot_use_is_refused_by_name(
    env: pytest.MonkeyPatch, url: str, says: str
) -> None:
    env.setenv("LIFECYCLE_DATABASE_URL", url)
    with pytest.raises(ValidationError) as refused:
        Settings()
    message = str(refused.value)
    assert "LIFECYCLE_DATABASE_URL" in message and says in message
    assert "s3cret" not in message  # the refused value is not echoed


def test_the_drain_deadline_is_a_setting(env: pytest.MonkeyPatch) -> None:
    assert Settings().log_drain_seconds == 30
    env.setenv("LIFECYCLE_LOG_DRAIN_SECONDS", "2.5")
    assert Settings().log_drain_seconds == 2.5
    env.setenv("LIFECYCLE_LOG_DRAIN_SECONDS", "-1")
    with pytest.raises(ValidationError, match="LIFECYCLE_LOG_DRAIN_SECONDS"):
        Settings()
