"""RCNN Lens UI: Gradio layout, event wiring and figure builders on top of ``inspectors``.

Only this package imports gradio and plotly; the engine stays usable without a UI.
"""
