"""Attack cases for the chat UI's sign-in: password files that hold only salted hashes, a proxy's identity
header believed only from the proxy, and no UI on a network address without either — checked on the real
Gradio server (in this process, with no model: the sign-in does not depend on it) and on `mka ui` itself."""

from __future__ import annotations

import http.cookiejar
import stat
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assistant.cli import app as mka
from assistant.core.settings import Settings
from assistant.ui.auth import (
    PasswordFile,
    SignInGuard,
    TrustedHeader,
    UIAccess,
    UIAuthError,
    check_exposure,
    hash_password,
    is_loopback,
    load_access,
    set_password,
    verify_password,
)
from tests.helpers.process import free_port

pytestmark = pytest.mark.usefixtures("no_outside_network")

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def password_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ui-auth") / "ui-users"
    set_password(path, "alice", PASSWORD)
    set_password(path, "bob", "another one")
    return path


# ---------------------------------------------------------------- hashes, not passwords


def test_password_file_holds_salted_scrypt_hashes_only(password_file: Path) -> None:
    text = password_file.read_text()
    assert PASSWORD not in text and "another one" not in text
    lines = text.splitlines()
    assert [line.split(":")[0] for line in lines] == ["alice", "bob"]
    assert all(line.split(":", 1)[1].startswith("scrypt$") for line in lines)
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert hash_password(PASSWORD) != hash_password(PASSWORD)  # a fresh salt each time


def test_changing_a_password_replaces_the_users_line(tmp_path: Path) -> None:
    path = tmp_path / "users"
    set_password(path, "alice", "old password")
    set_password(path, "alice", "new password")
    users = PasswordFile.load(path)
    assert list(users.users) == ["alice"]
    assert users.check("alice", "new password") and not users.check("alice", "old password")


@pytest.mark.parametrize(
    ("user", "password", "ok"),
    [
        ("alice", PASSWORD, True),
        ("alice", PASSWORD.upper(), False),
        ("alice", "", False),
        ("alice", PASSWORD + " ", False),
        ("bob", PASSWORD, False),  # another user's password
        ("mallory", PASSWORD, False),  # unknown user
        ("", PASSWORD, False),
    ],
)
def test_sign_in_checks_user_and_password(password_file: Path, user: str, password: str, ok: bool) -> None:
    assert PasswordFile.load(password_file).check(user, password) is ok


@pytest.mark.parametrize(
    "line",
    [
        "alice:secret",  # a plain-text password
        "alice:",
        "alice",
        ":" + "scrypt$16384$8$1$c2FsdA==$" + "A" * 44,
        "alice:scrypt$16384$8$1$not base64$AAAA",
        "alice:scrypt$3$8$1$c2FsdHNhbHQ=$" + "A" * 44,  # n not a power of two
        "alice:$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",  # bcrypt: not ours
        "al ice:scrypt$16384$8$1$c2FsdHNhbHQ=$" + "A" * 44,
    ],
)
def test_a_password_file_with_anything_but_our_hashes_is_refused(tmp_path: Path, line: str) -> None:
    path = tmp_path / "users"
    path.write_text(f"# team\n{line}\n")
    with pytest.raises(UIAuthError, match=r"users:2"):
        PasswordFile.load(path)


def test_repeated_wrong_passwords_lock_the_user_out_for_a_while() -> None:
    now = [0.0]
    checked: list[str] = []

    def check(user: str, password: str) -> bool:
        checked.append(user)
        return password == PASSWORD

    guard = SignInGuard(check, max_failures=3, window_s=300, max_failures_total=5, clock=lambda: now[0])
    assert [guard("alice", f"guess {n}") for n in range(3)] == [False, False, False]
    assert guard("alice", PASSWORD) is False and len(checked) == 3  # locked: not even checked
    assert guard("bob", PASSWORD) is True  # another user is not locked
    assert guard("carol", "x") is False and guard("dave", "y") is False  # 5 failures in all
    assert guard("bob", PASSWORD) is False  # the global cap stops guessing across many names
    now[0] = 301.0
    assert guard("alice", PASSWORD) is True


def test_a_tampered_hash_never_verifies() -> None:
    encoded = hash_password(PASSWORD)
    head, digest = encoded.rsplit("$", 1)
    flipped = head + "$" + ("B" if digest[0] != "B" else "C") + digest[1:]
    assert verify_password(PASSWORD, encoded) and not verify_password(PASSWORD, flipped)


# ---------------------------------------------------------------- who may be reached


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("", False),
        ("::", False),
        ("192.168.1.20", False),
        ("shop-laptop.local", False),
    ],
)
def test_only_loopback_addresses_count_as_this_machine_only(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_network_address_without_sign_in_is_refused(password_file: Path) -> None:
    with pytest.raises(UIAuthError, match=r"refusing to serve the UI on 0\.0\.0\.0"):
        check_exposure("0.0.0.0", UIAccess(), tls=False)
    assert check_exposure("127.0.0.1", UIAccess(), tls=False) == []
    passwords = UIAccess(mode="password", passwords=PasswordFile.load(password_file))
    (warning,) = check_exposure("0.0.0.0", passwords, tls=False)
    assert "unencrypted" in warning
    assert check_exposure("0.0.0.0", passwords, tls=True) == []


@pytest.mark.parametrize(
    ("client", "headers", "user"),
    [
        ("127.0.0.1", {"x-forwarded-user": "alice"}, "alice"),
        ("::ffff:127.0.0.1", {"x-forwarded-user": "alice"}, "alice"),  # the proxy, seen on a dual-stack socket
        ("::ffff:10.1.2.3", {"x-forwarded-user": "alice"}, None),
        ("127.0.0.1", {}, None),
        ("127.0.0.1", {"x-forwarded-user": "  "}, None),
        ("10.1.2.3", {"x-forwarded-user": "alice"}, None),  # straight to the port, not through the proxy
        ("10.9.0.7", {"x-forwarded-user": "alice"}, "alice"),  # the proxy's own network, as configured
        (None, {"x-forwarded-user": "alice"}, None),
    ],
)
def test_the_identity_header_is_believed_only_from_the_proxy(
    client: str | None, headers: dict[str, str], user: str | None
) -> None:
    trusted = TrustedHeader(header="X-Forwarded-User", proxies=frozenset({"127.0.0.1", "10.9.0.0/16"}))
    assert trusted.user(headers, client) == user


def test_both_sign_ins_or_a_bad_header_name_are_refused(password_file: Path) -> None:
    with pytest.raises(UIAuthError, match="not both"):
        load_access(password_file, "X-User", "127.0.0.1")
    with pytest.raises(UIAuthError, match="not a header name"):
        load_access(None, "X User: x", "127.0.0.1")


# ---------------------------------------------------------------- the CLI


def test_mka_ui_on_all_interfaces_without_sign_in_refuses_to_start(
    mka_home: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("MKA_UI_AUTH_FILE", "MKA_UI_TRUSTED_HEADER"):
        monkeypatch.delenv(name, raising=False)
    result = cli.invoke(mka, ["ui", "--host", "0.0.0.0", "--port", "9"])
    assert result.exit_code == 1
    assert "refusing to serve the UI on 0.0.0.0" in result.output and "MKA_UI_AUTH_FILE" in result.output


def test_mka_ui_names_a_broken_password_file(mka_home: Path, cli: CliRunner, tmp_path: Path) -> None:
    users = tmp_path / "users"
    users.write_text("alice:hunter2\n")
    result = cli.invoke(mka, ["ui", "--host", "0.0.0.0"], env={"MKA_UI_AUTH_FILE": str(users)})
    assert result.exit_code == 1 and "users:1" in result.output and "plain-text" in result.output


def test_mka_ui_user_writes_a_hash(mka_home: Path, cli: CliRunner, tmp_path: Path) -> None:
    users = tmp_path / "users"
    result = cli.invoke(mka, ["ui-user", "carol", "--file", str(users)], input="s3cret pass\ns3cret pass\n")
    assert result.exit_code == 0, result.output
    assert "s3cret" not in users.read_text() and PasswordFile.load(users).check("carol", "s3cret pass")


# ---------------------------------------------------------------- the real Gradio server


@dataclass
class Served:
    """Starts the UI (no model) with given settings on a free loopback port; `apps` are closed afterwards."""

    home: Path
    apps: list[Any] = field(default_factory=list)

    def start(self, **settings: Any) -> str:
        import ui

        port = free_port()
        config = Settings(home=self.home, llm="scripted", **settings)
        self.apps.append(ui.launch(config, None, "no model in this test", "127.0.0.1", port, block=False))
        return f"http://127.0.0.1:{port}"


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Served]:
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")  # uvicorn's default; restored after the test
    server = Served(home=tmp_path / "home")
    yield server
    for app in server.apps:
        app.close()


def _get(opener: urllib.request.OpenerDirector, url: str, headers: dict[str, str] | None = None) -> int:
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=20) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_gradio_asks_for_the_password_on_every_route(served: Served, password_file: Path) -> None:
    base = served.start(ui_auth_file=password_file)
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    for route in ("/config", "/gradio_api/info", "/gradio_api/openapi.json"):
        assert _get(browser, base + route) == 401, route

    def login(password: str) -> int:
        form = urllib.parse.urlencode({"username": "alice", "password": password}).encode()
        try:
            with browser.open(urllib.request.Request(base + "/login", data=form), timeout=20) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    assert login("wrong password") >= 400
    assert _get(browser, base + "/config") == 401
    assert login(PASSWORD) == 200
    assert _get(browser, base + "/config") == 200


def test_gradio_behind_a_sign_in_proxy_needs_its_header(served: Served) -> None:
    base = served.start(ui_trusted_header="X-Forwarded-User")
    plain = urllib.request.build_opener()
    assert _get(plain, base + "/config") == 401
    assert _get(plain, base + "/gradio_api/info") == 401
    assert _get(plain, base + "/config", {"X-Forwarded-User": "alice"}) == 200
    # A local proxy also names the browser's address; the header is still believed from the proxy.
    assert _get(plain, base + "/config", {"X-Forwarded-User": "alice", "X-Forwarded-For": "203.0.113.9"}) == 200


def test_without_sign_in_the_ui_serves_this_machine_only(served: Served) -> None:
    import ui

    assert _get(urllib.request.build_opener(), served.start() + "/config") == 200  # loopback: open, as before
    with pytest.raises(UIAuthError, match="refusing to serve"):
        ui.launch(Settings(home=Path("/nonexistent"), llm="scripted"), None, None, "0.0.0.0", free_port(), block=False)
    assert len(served.apps) == 1
