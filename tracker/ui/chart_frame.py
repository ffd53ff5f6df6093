"""Plotly figures drawn by a small Streamlit component (``chart_frame_web/index.html``).

``st.plotly_chart`` makes the browser load and start all of plotly.js (4.7 MB, about a second
of script start-up on a laptop-class CPU, more on a busy one) before the first chart appears.
This component loads a partial plotly.js bundle instead (scatter only, or the cartesian traces
when the figure has a heatmap), keeps one iframe across reruns so a filter change only redraws,
and sends a clicked point's statement id back to the server.

The figure travels as Plotly's JSON and is drawn by Plotly alone: user text in it has already
been escaped by :func:`tracker.charts.plotly_text`, and the frame never inserts it as HTML.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st
import streamlit.components.v1 as components

WEB_DIR = Path(__file__).with_name("chart_frame_web")
# Set to "streamlit" to draw with st.plotly_chart instead (to compare the two, see
# bench/timeline.py).
RENDERER_ENV = "TRACKER_CHART_RENDERER"

_frame = components.declare_component("plotly_frame", path=str(WEB_DIR))


def picked_id(value: object) -> int | None:
    """The statement id in what the frame sent (``{"id": 12, "at": …}``), if it is one.

    The value comes from the browser, so anything else is ignored rather than trusted.
    """
    if not isinstance(value, Mapping):
        return None
    raw = value.get("id")
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    if isinstance(raw, float) and not raw.is_integer():
        return None
    number = int(raw)
    return number if number > 0 else None


def use_streamlit_renderer() -> bool:
    return os.environ.get(RENDERER_ENV, "").strip().lower() == "streamlit"


def _streamlit_chart(
    figure: go.Figure, key: str, config: Mapping[str, Any], on_pick: Callable[[int], None] | None
) -> None:
    def on_select() -> None:
        state = st.session_state.get(key)
        points = state["selection"]["points"] if state else []
        ids = [picked_id({"id": p["customdata"][0]}) for p in points if p.get("customdata")]
        chosen = [i for i in ids if i is not None]
        if chosen and on_pick is not None:
            on_pick(chosen[0])

    if on_pick is None:
        st.plotly_chart(figure, key=key, config=dict(config))
    else:
        st.plotly_chart(
            figure, key=key, on_select=on_select, selection_mode="points", config=dict(config)
        )


def chart_frame(
    figure: go.Figure,
    *,
    key: str,
    config: Mapping[str, Any],
    on_pick: Callable[[int], None] | None = None,
) -> None:
    """Draw ``figure``; a click on a point whose ``customdata[0]`` is a statement id calls
    ``on_pick(id)`` (as a widget callback, before the rerun)."""
    if use_streamlit_renderer():
        _streamlit_chart(figure, key, config, on_pick)
        return

    def on_change() -> None:
        chosen = picked_id(st.session_state.get(key))
        if chosen is not None and on_pick is not None:
            on_pick(chosen)

    spec = pio.to_json(figure, validate=False)
    _frame(spec=spec, config=dict(config), key=key, default=None, on_change=on_change)
