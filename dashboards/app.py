"""revstack — the finance app. The entrypoint is a router; pages hold layout only.

The sidebar filters are drawn here, once per run, so they keep their values across pages.
The pages live in ``views/``, not ``pages/``: a ``pages/`` folder beside the entrypoint switches
Streamlit to its older multipage mode, where a rerun executes the page file alone (AppTest does
so on every rerun), skipping this router and its filters.
"""

from __future__ import annotations

import streamlit as st

from dashboards import data, filters

st.set_page_config(page_title="revstack", page_icon="📈", layout="wide")

pages = [
    st.Page("views/overview.py", title="Overview", icon="📊", default=True),
    st.Page("views/mrr.py", title="MRR", icon="📈"),
    st.Page("views/retention.py", title="Retention", icon="🧊"),
    st.Page("views/revenue.py", title="Revenue", icon="🧾"),
    st.Page("views/customer.py", title="Customer 360", icon="🔎"),
    st.Page("views/health.py", title="Data health", icon="🩺"),
]
navigation = st.navigation(pages)
filters.sidebar(data.current_snapshot())
navigation.run()
