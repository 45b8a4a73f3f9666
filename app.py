"""Situational board (Streamlit). The page stays thin; logic lives in ``contingency``."""

from contingency.board.page import render

render()
