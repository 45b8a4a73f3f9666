"""Streamlit page parts of the situational board."""
