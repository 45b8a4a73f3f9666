"""Situational board (Streamlit). The page stays thin; logic lives in ``contingency``.

``streamlit run app.py`` runs this file as ``__main__``; importing it (as Dask's spawned worker
processes do with the main script of the process that started them) does nothing.
"""

from contingency.board.page import render

if __name__ == "__main__":
    render()
