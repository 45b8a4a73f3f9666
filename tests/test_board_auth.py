"""Who may use the board: loopback by default, a users file (bcrypt hashes, two roles) for an HQ
network, the login form, what a viewer may not do, and scenario text shown as plain text."""

from __future__ import annotations

import os
import stat
import sys
import tomllib

import bcrypt
import pytest
import yaml
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from contingency import PROJECT_ROOT, SCENARIOS_DIR
from contingency.board.auth import USERS_ENV, check_login, load_users, write_user
from contingency.cli import app
from contingency.errors import InputError
from contingency.i18n import catalogue

APP = str(PROJECT_ROOT / "app.py")
RU = catalogue("ru")
CONTROLLER_ONLY_KEYS = (
    "upload",
    "seed",
    "view",
    "lv_mult",
    "lv_buses",
    "lv_lanes",
    "ex_kind",
    "ex_add",
    "exp_fmt",
    "exp_prepare",
)


# --- defaults -------------------------------------------------------------------------------


def test_streamlit_config_listens_on_loopback_and_hides_error_details():
    cfg = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert cfg["server"]["address"] == "127.0.0.1"
    assert cfg["client"]["showErrorDetails"] == "none"


def test_make_run_goes_through_the_board_command():
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "-m contingency board" in recipe
    assert "0.0.0.0" not in recipe


# --- the users file -------------------------------------------------------------------------


@pytest.fixture
def users_file(tmp_path):
    path = tmp_path / "users.toml"
    write_user(path, "ctl", role="controller", password="controller-pass", rounds=4)
    write_user(path, "wall", role="viewer", password="viewer-pass-1", rounds=4)
    return path


def test_users_file_holds_hashes_only_and_checks_logins(users_file):
    text = users_file.read_text(encoding="utf-8")
    assert "controller-pass" not in text and "viewer-pass-1" not in text
    assert stat.S_IMODE(users_file.stat().st_mode) == 0o600
    users = load_users(users_file)
    assert {n: u.role for n, u in users.items()} == {"ctl": "controller", "wall": "viewer"}
    assert check_login(users, "wall", "viewer-pass-1").role == "viewer"
    assert check_login(users, "wall", "controller-pass") is None
    assert check_login(users, "nobody", "viewer-pass-1") is None
    assert check_login(users, "wall", "x" * 100) is None  # over bcrypt's 72 bytes: refused


def test_bad_users_file_reports_every_problem(tmp_path):
    path = tmp_path / "users.toml"
    path.write_text(
        '[users.a]\nrole = "admin"\npassword_hash = "plain"\n[users."b c"]\nrole = "viewer"\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        load_users(path)
    text = str(info.value)
    assert "users.a.role" in text and "users.a.password_hash" in text and "users.b c" in text
    assert "plain" not in text  # a hash field is never echoed back


# --- the command line -----------------------------------------------------------------------


def test_cli_users_add_prompts_hidden_and_writes_a_bcrypt_hash(tmp_path):
    path = tmp_path / "hq" / "users.toml"
    res = CliRunner().invoke(
        app,
        ["users", "add", "duty", "--role", "controller", "--file", str(path)],
        input="long enough pass\nlong enough pass\n",
    )
    assert res.exit_code == 0, res.output
    assert "long enough pass" not in res.output  # hidden prompt: the password is not echoed
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    entry = data["users"]["duty"]
    assert entry["role"] == "controller"
    assert entry["password_hash"].startswith("$2b$")
    assert bcrypt.checkpw(b"long enough pass", entry["password_hash"].encode())
    assert "long enough pass" not in path.read_text(encoding="utf-8")


def test_cli_users_add_reads_stdin_replaces_and_refuses_bad_input(tmp_path, monkeypatch):
    path = tmp_path / "users.toml"
    monkeypatch.setenv(USERS_ENV, str(path))
    runner = CliRunner()
    res = runner.invoke(app, ["users", "add", "wall", "--password-stdin"], input="first-pass\n")
    assert res.exit_code == 0, res.output
    assert load_users(path)["wall"].role == "viewer"  # viewer unless told otherwise
    res = runner.invoke(app, ["users", "add", "wall", "--password-stdin"], input="second-pass\n")
    assert res.exit_code == 0, res.output
    users = load_users(path)
    assert check_login(users, "wall", "second-pass") and not check_login(
        users, "wall", "first-pass"
    )
    for args, stdin in (
        (["users", "add", "x", "--role", "admin", "--password-stdin"], "long enough\n"),
        (["users", "add", "x", "--password-stdin"], "short\n"),
        (["users", "add", "bad name", "--password-stdin"], "long enough\n"),
        (["users", "add", "x", "--password-stdin"], "x" * 80 + "\n"),
    ):
        res = runner.invoke(app, args, input=stdin)
        assert res.exit_code == 2, (args, res.output)
    assert set(load_users(path)) == {"wall"}
    res = runner.invoke(app, ["users", "list"])
    assert res.exit_code == 0 and "wall" in res.output and "viewer" in res.output
    res = runner.invoke(app, ["users", "remove", "wall"])
    assert res.exit_code == 0 and load_users(path) == {}


def test_cli_users_add_needs_a_file(monkeypatch):
    monkeypatch.delenv(USERS_ENV, raising=False)
    res = CliRunner().invoke(app, ["users", "add", "x", "--password-stdin"], input="long enough\n")
    assert res.exit_code == 2


@pytest.fixture
def no_streamlit(monkeypatch, tmp_path):
    """Record the command ``board`` would replace itself with instead of starting a server."""
    calls = []

    def fake_execve(path, argv, env):
        calls.append((argv, {"env": env, "cwd": os.getcwd()}))
        raise SystemExit(0)

    monkeypatch.chdir(tmp_path)  # board moves to the project folder; this puts it back
    monkeypatch.setattr(os, "execve", fake_execve)
    monkeypatch.delenv(USERS_ENV, raising=False)
    monkeypatch.delenv("CONTINGENCY_RUNS", raising=False)
    return calls


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "hq-board.local", "::"])
def test_cli_board_refuses_a_network_address_without_users(no_streamlit, host):
    res = CliRunner().invoke(app, ["board", "--host", host])
    assert res.exit_code == 2
    assert "--users" in res.output
    assert no_streamlit == []


def test_cli_board_runs_streamlit_on_loopback_or_with_users(no_streamlit, users_file, tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["board"])
    assert res.exit_code == 0, res.output
    cmd, kwargs = no_streamlit[-1]
    assert cmd[:4] == [sys.executable, "-m", "streamlit", "run"]
    assert cmd[4] == APP
    assert kwargs["cwd"] == str(PROJECT_ROOT)  # where .streamlit/config.toml is read
    assert kwargs["env"]["CONTINGENCY_RUNS"] == str(tmp_path / "runs")  # runs stay here
    assert cmd[cmd.index("--server.address") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--server.port") + 1] == "8501"
    assert USERS_ENV not in kwargs["env"]
    os.chdir(tmp_path)
    res = runner.invoke(
        app, ["board", "--host", "0.0.0.0", "--port", "8600", "--users", str(users_file)]
    )
    assert res.exit_code == 0, res.output
    cmd, kwargs = no_streamlit[-1]
    assert cmd[cmd.index("--server.address") + 1] == "0.0.0.0"
    assert cmd[cmd.index("--server.port") + 1] == "8600"
    assert kwargs["env"][USERS_ENV] == str(users_file.resolve())
    broken = users_file.parent / "broken.toml"
    broken.write_text("[users.a]\nrole = 1\n", encoding="utf-8")
    os.chdir(tmp_path)
    res = runner.invoke(app, ["board", "--host", "0.0.0.0", "--users", str(broken)])
    assert res.exit_code == 2 and len(no_streamlit) == 2


# --- the board --------------------------------------------------------------------------------


def _walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def _drawn(at: AppTest, key: str) -> bool:
    """Whether a widget with ``key`` is on the page (main area or sidebar)."""
    return any(
        getattr(el, "key", None) == key for block in (at.main, at.sidebar) for el in _walk(block)
    )


def _login(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="login_user").input(name)
    at.text_input(key="login_password").input(password)
    return at.button(key="login_submit").click().run()


@pytest.fixture
def board_with_users(users_file, monkeypatch):
    monkeypatch.setenv(USERS_ENV, str(users_file))
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["scenario"] = "smoke.yaml"
    return at.run()


def test_board_with_users_file_requires_login(board_with_users):
    at = board_with_users
    assert not at.exception, [e.value for e in at.exception]
    assert _drawn(at, "login_user") and _drawn(at, "login_password")
    assert not at.metric
    assert not any(_drawn(at, k) for k in ("scenario", "day", *CONTROLLER_ONLY_KEYS))


@pytest.mark.parametrize(
    ("name", "password"), [("wall", "wrong-pass"), ("nobody", "viewer-pass-1")]
)
def test_board_refuses_a_wrong_password_without_saying_why(board_with_users, name, password):
    at = _login(board_with_users, name, password)
    assert not at.exception
    assert [e.value for e in at.error] == [RU["auth.failed"]]
    assert not at.metric and not _drawn(at, "scenario")


def test_viewer_sees_the_board_but_no_controls_that_cost_cpu(board_with_users):
    at = _login(board_with_users, "wall", "viewer-pass-1")
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.metric) == 7
    assert _drawn(at, "scenario") and _drawn(at, "day") and _drawn(at, "hour")
    assert _drawn(at, "lang") and _drawn(at, "chart_facility")
    drawn = [k for k in CONTROLLER_ONLY_KEYS if _drawn(at, k)]
    assert drawn == []
    at.slider(key="day").set_value(1).run()  # time controls still move the board
    assert not at.exception
    at.button(key="logout").click().run()
    assert not at.metric and _drawn(at, "login_user")


def test_viewer_runs_only_the_bundled_scenario_as_written(board_with_users):
    at = _login(board_with_users, "wall", "viewer-pass-1")
    at.slider(key="day").set_value(2).run()
    before = [m.value for m in at.metric]
    # what a controller's widgets would have left in the session changes nothing for a viewer
    at.session_state["seed"] = 12345
    at.session_state["levers"] = {"influx_multiplier": 3.0}
    at.session_state["live_injects"] = [
        {"at_h": 1.0, "kind": "checkpoint_close", "target": "zhibek_zholy"}
    ]
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [m.value for m in at.metric] == before


def test_controller_sees_every_control(board_with_users):
    at = _login(board_with_users, "ctl", "controller-pass")
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.metric) == 7
    missing = [k for k in CONTROLLER_ONLY_KEYS if not _drawn(at, k)]
    assert missing == []


def test_board_on_a_network_address_without_users_shows_only_an_explanation(monkeypatch):
    monkeypatch.delenv(USERS_ENV, raising=False)
    before = st_config.get_option("server.address")
    st_config.set_option("server.address", "0.0.0.0")
    try:
        at = AppTest.from_file(APP, default_timeout=180).run()
    finally:
        st_config.set_option("server.address", before)
    assert not at.exception
    assert [e.value for e in at.error] == [RU["auth.exposed"]]
    assert not at.metric and not _drawn(at, "scenario") and not _drawn(at, "login_user")


def test_local_board_without_users_is_the_controller(monkeypatch):
    monkeypatch.delenv(USERS_ENV, raising=False)
    assert st_config.get_option("server.address") == "127.0.0.1"  # from .streamlit/config.toml
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["scenario"] = "smoke.yaml"
    at.run()
    assert not at.exception
    assert not _drawn(at, "login_user")
    assert all(_drawn(at, k) for k in ("upload", "seed", "lv_mult", "ex_add", "exp_prepare"))


# --- scenario text is plain text ------------------------------------------------------------

TITLE = "![t](http://example.invalid/t.png) <b>bold</b> *x* $y$"
DESCRIPTION = "![x](http://example.invalid/a.png) <b>bold</b> [link](http://example.invalid/)"


def _visible_text_and_tokens(markdown: str) -> tuple[str, set[str]]:
    markdown_it = pytest.importorskip("markdown_it")
    tokens = markdown_it.MarkdownIt("commonmark").parse(markdown)
    kinds, text = set(), []
    for tok in tokens:
        kinds.add(tok.type)
        for child in tok.children or []:
            kinds.add(child.type)
            if child.type == "text":
                text.append(child.content)
    return "".join(text), kinds


def test_scenario_title_and_description_are_shown_as_plain_text(monkeypatch):
    monkeypatch.delenv(USERS_ENV, raising=False)
    data = yaml.safe_load((SCENARIOS_DIR / "smoke.yaml").read_text(encoding="utf-8"))
    data["title"] = {"ru": TITLE}
    data["description"] = {"ru": DESCRIPTION}
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["scenario"] = "smoke.yaml"
    at.run()
    at.file_uploader(key="upload").set_value(
        ("md.yaml", yaml.safe_dump(data, allow_unicode=True).encode(), "application/x-yaml")
    )
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [
        el
        for el in (*at.subheader, *at.caption, *at.markdown, *at.text)
        if "example" in el.value  # escaped or not
    ]
    assert {el.type for el in shown} and len(shown) == 2
    for el, original in zip(shown, (TITLE, DESCRIPTION), strict=True):
        if el.type == "text":  # st.text: never markdown
            assert el.value == original
            continue
        visible, kinds = _visible_text_and_tokens(el.value)
        assert visible == original, el.value
        assert not kinds & {"image", "html_inline", "html_block", "link_open", "em_open"}


def test_problems_in_an_upload_are_quoted_as_code_that_cannot_be_broken(monkeypatch):
    monkeypatch.delenv(USERS_ENV, raising=False)
    data = yaml.safe_load((SCENARIOS_DIR / "smoke.yaml").read_text(encoding="utf-8"))
    data["`![x](http://example.invalid/a.png)`"] = 1
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["scenario"] = "smoke.yaml"
    at.run()
    at.file_uploader(key="upload").set_value(
        ("bad.yaml", yaml.safe_dump(data).encode(), "application/x-yaml")
    )
    at.run()
    assert not at.exception
    text = at.error[0].value
    assert "example.invalid" in text
    _, kinds = _visible_text_and_tokens(text)
    assert "code_inline" in kinds
    assert not kinds & {"image", "html_inline", "html_block", "link_open"}
