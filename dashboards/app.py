"""revstack — the finance app. The entrypoint is a router; pages hold layout only."""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="revstack", page_icon="📈", layout="wide")

pages = [
    st.Page("pages/overview.py", title="Overview", icon="📊", default=True),
    st.Page("pages/health.py", title="Data health", icon="🩺"),
]
st.navigation(pages).run()
