"""The lightest Streamlit page (a sidebar with one widget, a header, a line of text), served
with the app's own settings: bench/timeline.py's ``empty`` variant, what Streamlit costs before
any of our work. Not part of the app."""

import streamlit as st

st.set_page_config(page_title="Tracker", layout="wide")
st.sidebar.selectbox("Topic", ["Synthetic topic 1"])
st.header("Synthetic topic 1", anchor=False)
st.write("Streamlit alone: no database, no chart.")
