"""The provider registry: each kind brings its own config keys, notes, paths and commands."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from factories import make_source

import providers
from providers import ProviderKind, config_sections, get_kind, kinds
from providers.caldav.settings import DavSettings
from providers.google.settings import GoogleSettings
from syncd.config import Config, SourceConfig, describe, parse_config
from syncd.errors import ConfigError
from syncd.service import writable_paths


def parse(text: str) -> Config:
    return parse_config(tomllib.loads(text), "test.toml", config_sections())


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse(text)
    return str(caught.value)


# --- the registry


def test_every_kind_is_registered_once_under_its_own_name() -> None:
    found = kinds()
    assert list(found) == ["caldav", "google", "outlook"]
    for name, kind in found.items():
        assert isinstance(kind, ProviderKind)
        assert kind.name == name
        assert get_kind(name) is kind


def test_an_unknown_kind_names_the_known_ones() -> None:
    with pytest.raises(LookupError) as caught:
        get_kind("exchange")
    assert str(caught.value) == 'unknown kind "exchange"; known kinds: caldav, google, outlook'


@pytest.mark.parametrize("name", ["caldav", "google", "outlook"])
def test_each_kind_declares_its_keys_and_the_frozen_class_they_fill(name: str) -> None:
    section = get_kind(name).config
    assert section.cls is not None and dataclasses.is_dataclass(section.cls)
    assert section.cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert list(section.keys) == [field.name for field in dataclasses.fields(section.cls)]
    shared = {field.name for field in dataclasses.fields(SourceConfig)}
    assert not shared & set(section.keys), "a kind's key must not shadow a shared one"


def test_the_kinds_keys_are_their_own() -> None:
    assert list(get_kind("caldav").config.keys) == [
        "url",
        "username",
        "password_env",
        "password_command",
        "timeout",
        "ca_file",
        "verify",
    ]
    assert list(get_kind("google").config.keys) == [
        "client_secrets",
        "token_file",
        "api_endpoint",
        "timeout",
        "ca_file",
        "verify",
    ]
    assert list(get_kind("outlook").config.keys) == [
        "client_id",
        "token_file",
        "tenant",
        "authority",
        "api_endpoint",
        "timeout",
    ]


def test_only_google_and_outlook_have_an_auth_step() -> None:
    found = [name for name, kind in kinds().items() if kind.auth is not None]
    assert found == ["google", "outlook"]


def test_open_provider_goes_through_the_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []

    def fake_open(source: SourceConfig, config: Config) -> providers.Provider:
        opened.append(source.name)
        return None  # type: ignore[return-value]

    caldav = dataclasses.replace(get_kind("caldav"), open=fake_open)
    monkeypatch.setattr(providers, "get_kind", lambda name: caldav)
    providers.open_provider(make_source("work", url="https://dav.example.com/"), Config())
    assert opened == ["work"]


HEAVY = ("caldav", "niquests", "lxml", "icalendar", "googleapiclient", "httplib2", "google.auth")


def test_the_kinds_packages_import_no_client_library() -> None:
    code = (
        "import sys, providers\n"
        "providers.kinds(); providers.config_sections()\n"
        f"heavy = [m for m in sys.modules if m.split('.')[0] in {HEAVY!r} or m in {HEAVY!r}]\n"
        "print(sorted(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "[]\n"


def test_the_config_core_imports_no_provider() -> None:
    code = "import sys, syncd.config\nprint(sorted(m for m in sys.modules if 'providers' in m))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "[]\n"


# --- config per kind


CALDAV = """
[[sources]]
name = "work"
kind = "caldav"
url = "https://dav.example.com/"
username = "me"
password_env = "SYNCD_DAV_PASSWORD"
calendars = ["Personal"]
"""

GOOGLE = """
[[sources]]
name = "gmail"
kind = "google"
client_secrets = "/etc/syncd/client.json"
token_file = "/var/lib/syncd/gmail.json"
"""


def test_a_source_holds_its_kinds_settings() -> None:
    work, gmail = parse(CALDAV + GOOGLE).sources
    assert (work.kind, work.calendars) == ("caldav", ("Personal",))
    assert work.settings == DavSettings(
        url="https://dav.example.com/", username="me", password_env="SYNCD_DAV_PASSWORD"
    )
    assert gmail.settings == GoogleSettings(
        client_secrets=Path("/etc/syncd/client.json"),
        token_file=Path("/var/lib/syncd/gmail.json"),
    )


def test_the_factory_builds_what_the_loader_builds() -> None:
    (work,) = parse(CALDAV).sources
    built = make_source(
        "work",
        "caldav",
        url="https://dav.example.com/",
        username="me",
        password_env="SYNCD_DAV_PASSWORD",
        calendars=("Personal",),
    )
    assert built == work


def test_a_key_of_another_kind_is_refused_by_name() -> None:
    assert error_of(CALDAV + 'token_file = "/x.json"\n') == (
        "test.toml: [sources.1] token_file: not a key of a caldav source"
        " (token_file is for google and outlook sources)"
    )


def test_an_unknown_kind_lists_the_registered_ones() -> None:
    text = '[[sources]]\nname = "x"\nkind = "exchange"\n'
    assert error_of(text) == (
        'test.toml: [sources.1] kind: unknown kind "exchange", expected one of: caldav,'
        " google, outlook"
    )


def test_a_loader_given_no_kinds_knows_none() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(tomllib.loads(CALDAV), "test.toml", {})
    assert "[sources.1] url: unknown key" in str(caught.value)


def test_describe_prints_each_sources_keys_through_its_kind() -> None:
    text = describe(parse(CALDAV + GOOGLE), config_sections())
    work, gmail = text.split("[[sources]]")[1:]
    assert 'url = "https://dav.example.com/"' in work and "token_file" not in work
    assert 'token_file = "/var/lib/syncd/gmail.json"' in gmail and "url =" not in gmail
    assert 'api_endpoint = ""  # Google\'s' in gmail


def test_the_signature_changes_with_the_settings_and_hides_them() -> None:
    (work,) = parse(CALDAV).sources
    secret = dataclasses.replace(
        work, settings=dataclasses.replace(work.settings, password_command=("echo", "hunter2"))
    )
    moved = dataclasses.replace(
        work, settings=dataclasses.replace(work.settings, url="https://other.example.com/")
    )
    assert len({work.signature(), secret.signature(), moved.signature()}) == 3
    assert "hunter2" not in secret.signature()


# --- what each kind tells the rest: notes, writable folders


def test_notes_name_what_will_not_work_here_yet(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SYNCD_DAV_PASSWORD", raising=False)
    work = make_source("work", url="https://x.org/", password_env="SYNCD_DAV_PASSWORD")
    gmail = make_source(
        "my gmail",
        "google",
        client_secrets=tmp_path / "client.json",
        token_file=tmp_path / "token.json",
    )
    assert get_kind("caldav").notes(work) == ["password_env: SYNCD_DAV_PASSWORD is not set here"]
    assert get_kind("google").notes(gmail) == [
        f"client_secrets: {tmp_path / 'client.json'} does not exist yet",
        "token_file: not authorized yet; run: syncd auth google 'my gmail'",
    ]
    monkeypatch.setenv("SYNCD_DAV_PASSWORD", "x")
    (tmp_path / "client.json").write_text("{}")
    (tmp_path / "token.json").write_text("{}")
    assert get_kind("caldav").notes(work) == get_kind("google").notes(gmail) == []


def test_the_unit_may_write_the_folders_the_kinds_name(tmp_path: Path) -> None:
    gmail = make_source(
        "gmail",
        "google",
        client_secrets=tmp_path / "client.json",
        token_file=tmp_path / "tokens" / "gmail.json",
    )
    work = make_source("work", url="https://x.org/")
    config = Config(state_dir=tmp_path / "state", sources=(work, gmail))
    assert writable_paths(config) == [f"-{tmp_path / 'state'}", f"-{tmp_path / 'tokens'}"]
