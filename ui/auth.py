"""Log-in for the Streamlit app: who is using it, and whether they may change the corpus.

Accounts are the ones ``guideqa users add`` writes (bcrypt hashes in ``settings.users_path``);
the role check itself lives in :func:`editorial.users.require_editor`, which every
editor action calls, so this module only decides who is logged in. A physician, or nobody,
can ask questions; only an editor sees or can use the editor actions.
"""

from __future__ import annotations

from core.settings import Settings, get_settings
from editorial import users as _users
from editorial.users import Role, User, UsersFileError, require_editor

__all__ = [
    "Role",
    "User",
    "UsersFileError",
    "current_user",
    "load_users",
    "log_in",
    "log_out",
    "login_form",
    "require_editor",
    "verify",
]

SESSION_KEY = "guideqa_user"
THROTTLE_KEY = "guideqa_login_throttle"


def load_users(settings: Settings) -> dict[str, User]:
    return _users.load_users(settings.users_path)


def verify(username: str, password: str, settings: Settings | None = None) -> User | None:
    """The user if the password matches; None otherwise (never says which of the two was wrong)."""
    return _users.verify((settings or get_settings()).users_path, username.strip(), password)


def current_user() -> User | None:
    import streamlit as st

    user = st.session_state.get(SESSION_KEY)
    return user if isinstance(user, User) else None


def log_in(user: User) -> None:
    import streamlit as st

    st.session_state[SESSION_KEY] = user


def log_out() -> None:
    import streamlit as st

    st.session_state.pop(SESSION_KEY, None)


def login_form(settings: Settings, *, key: str = "login") -> User | None:
    """A user name + password form; returns the user once verified (and keeps them in the session)."""
    import streamlit as st

    with st.form(key):
        name = st.text_input("User name", key=f"{key}_user")
        password = st.text_input("Password", type="password", key=f"{key}_password")
        submitted = st.form_submit_button("Log in")
    if not submitted:
        return None
    throttle = st.session_state.setdefault(THROTTLE_KEY, _users.SessionThrottle())
    try:
        # Throttled per user name (in the audit log, so across sessions and processes) and per session.
        user = _users.authenticate(settings, name.strip(), password, session=throttle)
    except UsersFileError as exc:
        st.error(str(exc))
        return None
    except _users.LoginRefused as exc:
        locked = "too many failed log-ins" in str(exc)
        st.error("Too many failed log-ins: try again later." if locked else "Unknown user or wrong password.")
        return None
    log_in(user)
    return user
