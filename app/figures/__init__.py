"""Figure builders: pure functions from a Trace/Replay (plus view options) to images, Plotly figures, tables, HTML.

No gradio here, so every builder can be unit-tested and reused in notebooks or a static report.
"""
