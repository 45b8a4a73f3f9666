"""The board's door: the role of this browser session, after a login when a users file is
configured (see :mod:`contingency.board.auth`)."""

from __future__ import annotations

import logging

import streamlit as st

from contingency.board.auth import (
    CONTROLLER,
    User,
    check_login,
    is_loopback,
    load_users,
    users_path,
)
from contingency.errors import InputError
from contingency.i18n import t

_log = logging.getLogger(__name__)
SESSION_KEY = "auth_user"
"""Session state: (name, password hash) of the user signed in; a changed password or a removed
user ends the session at its next interaction."""


def session_role(lang: str) -> str | None:
    """This session's role (``controller`` or ``viewer``). None when the page must show nothing
    more: the login form, or why the board refuses to serve, has been drawn instead."""
    path = users_path()
    if path is None:  # no users file: the local user only, as controller
        if is_loopback(st.get_option("server.address")):
            return CONTROLLER
        st.error(t("auth.exposed", lang))
        return None
    try:
        users = load_users(path)
    except InputError as exc:  # the details (paths, fields) go to the server log only
        _log.error("users file: %s", exc)
        st.error(t("auth.users_unreadable", lang))
        return None
    signed = st.session_state.get(SESSION_KEY)
    if signed is not None:
        name, hashed = signed
        user = users.get(name)
        if user is not None and user.password_hash == hashed:
            _signed_in(lang, user.name, user.role)
            return user.role
        del st.session_state[SESSION_KEY]
    _login_form(lang, users)
    return None


def _sign_out() -> None:
    st.session_state.pop(SESSION_KEY, None)


def _signed_in(lang: str, name: str, role: str) -> None:
    st.sidebar.caption(t("auth.signed_in", lang, name=name, role=t(f"auth.role.{role}", lang)))
    st.sidebar.button(t("auth.logout", lang), key="logout", on_click=_sign_out)


def _login_form(lang: str, users: dict[str, User]) -> None:
    st.subheader(t("auth.title", lang))
    with st.form("login_form", clear_on_submit=True):
        name = st.text_input(t("auth.username", lang), key="login_user")
        password = st.text_input(t("auth.password", lang), type="password", key="login_password")
        submitted = st.form_submit_button(t("auth.submit", lang), key="login_submit")
    if not submitted:
        return
    user = check_login(users, name.strip(), password)
    if user is None:  # one answer for a wrong name and a wrong password
        st.error(t("auth.failed", lang))
        return
    st.session_state[SESSION_KEY] = (user.name, user.password_hash)
    st.rerun()
