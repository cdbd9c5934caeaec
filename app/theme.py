"""Look and feel: large type for projectors, the pipeline diagram's styles."""
from __future__ import annotations

import gradio as gr


def theme() -> gr.themes.Base:
    # Projector-sized type: body text 18 px, labels and info lines no smaller than 15 px.
    text_size = gr.themes.sizes.Size(name="projector", xxs="13px", xs="15px", sm="16px", md="18px", lg="20px",
                                     xl="24px", xxl="30px")
    return gr.themes.Default(primary_hue="orange", text_size=text_size,
                             # Local fonts only: the app must work offline (no Google Fonts request).
                             font=["Noto Sans", "Noto Sans KR", "DejaVu Sans", "sans-serif"],
                             font_mono=["DejaVu Sans Mono", "monospace"])


CSS = """
.gradio-container { max-width: 100% !important; }
/* Slider explanations: darker than Gradio's default grey so that they survive a washed-out projector. */
.gradio-container .info-text { color: #374151 !important; font-size: 15px !important; }
.lens-table table { font-size: 1rem; }
.lens-table td, .lens-table th { padding: 4px 10px !important; }
.lens-table-compact table { font-size: 0.9rem; }
.lens-table-compact td { white-space: nowrap; }
#lens-title h1 { margin: 0; font-size: 1.4rem; white-space: nowrap; }
.lens-explain { font-size: 1.05rem; line-height: 1.5; }
#lens-status { font-size: 1.15rem; }
#lens-detections-count .prose, #lens-detections-count p { font-size: 1.6rem !important; font-weight: 700;
                                                          color: #b45309; text-align: right; }
.lens-pipeline { display: flex; flex-wrap: nowrap; align-items: stretch; gap: 4px; margin: 8px 0; }
.lens-stage { border: 3px solid #0072b2; border-radius: 10px; padding: 8px 6px; flex: 1 1 0; min-width: 0;
              background: #eef6fc; text-align: center; }
.lens-stage-input { border-color: #56b4e9; }
.lens-stage-net { border-color: #009e73; background: #eefaf5; }
.lens-stage-output { border-color: #d55e00; background: #fdf1e8; }
.lens-stage-title { font-weight: 600; font-size: 1.05rem; }
.lens-stage-value { font-size: 1.5rem; font-weight: 700; color: #1f2937; overflow-wrap: anywhere; }
.lens-stage-net .lens-stage-value, .lens-stage-input .lens-stage-value { font-size: 1.1rem; }
.lens-stage-detail { font-size: 0.95rem; color: #4b5563; }
.lens-arrow { align-self: center; font-size: 1.6rem; color: #6b7280; flex: 0 0 auto; }
.lens-note { font-size: 1.05rem; }
.lens-frames { display: flex; flex-wrap: wrap; gap: 28px; align-items: flex-end; }
.lens-frame { text-align: center; }
.lens-frame-title { font-weight: 700; font-size: 1.1rem; }
.lens-frame-note { color: #4b5563; min-height: 1.5em; }
.lens-legend { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; font-size: 1.05rem; }
.lens-chip { display: inline-flex; align-items: center; gap: 6px; border: 2px solid; border-radius: 14px;
             padding: 2px 10px; font-weight: 600; }
.lens-swatch { width: 14px; height: 14px; border-radius: 3px; display: inline-block; }
.lens-bars { margin-top: 8px; }
.lens-bars-title { font-weight: 700; font-size: 1.1rem; margin-bottom: 6px; }
.lens-bar-row { display: flex; align-items: center; gap: 8px; margin: 4px 0; }
.lens-bar-label { flex: 0 0 8.5em; text-align: right; font-weight: 600; overflow-wrap: anywhere; }
.lens-bar { height: 1.4em; border: 1px solid #333; border-radius: 3px; }
.lens-bar-value { font-weight: 700; }
/* Gradio puts elem_classes on both the block and its .prose child: style the block only. */
.block.lens-callout { border-left: 5px solid #e69f00 !important; padding-left: 12px !important; }
.block.lens-look { border-left: 5px solid #0072b2 !important; padding-left: 12px !important; background: #eef6fc; }
.lens-look p { font-size: 1rem; margin: 2px 0; line-height: 1.4; }
/* The followed detection, above every tab. */
.lens-breadcrumb { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; font-size: 1.02rem;
                   background: #f3f4f6; border-radius: 8px; padding: 6px 10px; }
.lens-crumb { background: white; border: 2px solid #0072b2; border-radius: 12px; padding: 1px 9px; }
.lens-crumb-sep { color: #6b7280; font-weight: 700; }
.lens-breadcrumb.lens-lost { border: 2px dashed #d55e00; }
#lens-breadcrumb:not(:has(.lens-breadcrumb)) { display: none !important; }
.lens-story table { font-size: 0.95rem; }
/* Page switches (language, layout): one compact row each, in the header. */
#lens-header { align-items: center; }
#lens-language, #lens-layout { border: none !important; background: transparent !important; padding: 0 !important;
                               flex: 0 0 auto !important; }
#lens-header > div:last-child, #lens-header .form { gap: 4px !important; }
#lens-switches { flex: 0 0 auto !important; width: auto !important; min-width: 0 !important;
                 flex-wrap: nowrap !important; justify-content: flex-end; }
#lens-switches label { white-space: nowrap !important; }
#lens-language .wrap, #lens-layout .wrap { flex-wrap: nowrap !important; gap: 4px !important; }
#lens-nms-frame td, #lens-nms-frame th { white-space: nowrap; }
.lens-goto-label { min-width: max-content !important; flex: 0 0 auto !important; }
.lens-goto-label p { margin-top: 10px; font-weight: 600; text-align: right; white-space: nowrap; }
/* Projector layout (1280×720 / 1024×768): the tab's own sliders, a slim left panel, no long explanations.
   Gradio repeats every rule scoped under .gradio-container, so a rule here must not need to beat its own copy:
   strips are hidden outside the projector layout (never "shown" inside it), and projector rules carry
   .gradio-container for weight. */
body:not(.lens-projector) .lens-strip { display: none !important; }
body.lens-projector .gradio-container .lens-desktop-only, body.lens-projector .gradio-container .block.lens-explain,
body.lens-projector .gradio-container #lens-title p { display: none !important; }
body.lens-projector .gradio-container #lens-image { height: 150px !important; }
body.lens-projector .gradio-container { font-size: 19px !important; padding-top: 4px !important; }
body.lens-projector .gradio-container #lens-title h1 { font-size: 1.4rem !important; }
body.lens-projector .gradio-container #lens-header { min-height: 0 !important; }
body.lens-projector .gradio-container #lens-switches label { padding: 2px 8px !important; }
body.lens-projector .gradio-container #lens-status, body.lens-projector .gradio-container #lens-status p {
    font-size: 1rem !important; }
body.lens-projector .gradio-container #lens-detections-count p { font-size: 1.3rem !important; }
body.lens-projector .gradio-container .lens-table table { font-size: 0.95rem !important; }
body.lens-projector .gradio-container .lens-strip { margin-bottom: 4px !important; }
/* Projector: the tab's main picture right below its sliders and controls; "what to look for" just below the
   picture (a column's children after its first main picture come after the note), the tab names on fewer lines. */
body.lens-projector .gradio-container #lens-tabs .column:has(> .lens-main) > .lens-look { order: 1; }
body.lens-projector .gradio-container #lens-tabs .column:has(> .lens-main) > .lens-main ~ * { order: 2; }
body.lens-projector .gradio-container #lens-tabs button[role=tab] { padding-left: 5px !important;
                                                                     padding-right: 5px !important; }
/* Narrow screens (1024×768): smaller tab names and strip labels (strips show in the projector layout only), the
   picture higher. (Gradio keeps only its .gradio-container-scoped copy of a rule inside @media: no body.* here.) */
@media (max-width: 1100px) {
  #lens-tabs button[role=tab] { font-size: 0.85em !important; padding-left: 5px !important;
                                padding-right: 5px !important; }
  .lens-strip [data-testid=block-info] { font-size: 0.85em !important; }
}
/* A strip slider's number box as wide as its numbers, so that the label beside it stays on one line. */
body.lens-projector .gradio-container .lens-strip input[type=number] { width: 4.6em !important;
                                                                      min-width: 0 !important; }
/* ---- image-first page (issue 15) ---- */
/* One-line header: title, status, detections count, switches. */
#lens-header { flex-wrap: nowrap !important; gap: 12px !important; align-items: center; }
#lens-header > * { min-width: 0 !important; width: auto !important; }
#lens-switches > * { width: auto !important; flex: 0 0 auto !important; min-width: 0 !important; }
#lens-title { flex: 0 0 auto !important; }
#lens-status p { margin: 0; font-size: 1rem; }
#lens-detections-count { flex: 1 1 auto !important; }
#lens-detections-count p { margin: 0; white-space: nowrap; font-size: 1.4rem !important; }
#lens-switches label { padding: 2px 8px !important; font-size: 0.95rem; }
#lens-subtitle p { font-size: 0.95rem; color: #4b5563; margin: 0; }
/* A tab's main picture: as wide as the page allows and at least 58 % of the viewport (projector: 72 %), else as
   tall as the screen below the header. */
#lens-tabs .block.lens-main { height: auto !important; }
#lens-tabs .lens-main .image-container, #lens-tabs .lens-main .image-frame, #lens-tabs .lens-main button {
    height: auto !important; max-height: none !important; width: 100% !important; }
body { --lens-main-min: 58vw; --lens-main-fit: calc(100vh - 170px); }
body.lens-projector { --lens-main-min: 72vw; --lens-main-fit: calc(100vh - 110px); }
#lens-tabs .lens-main img { width: min(100%, max(var(--lens-main-min), var(--lens-main-fit))) !important;
                            height: auto !important; max-height: none !important; object-fit: contain; }
/* The box viewer is a tab's main picture too (Detections): the same width rule. */
#lens-tabs .lens-viewer-block .lens-viewer { width: min(100%, max(var(--lens-main-min), var(--lens-main-fit))); }
/* A viewer that is its tab's main picture (Ground truth) starts at its block's top (no inner padding above it). */
#lens-tabs .block.lens-viewer-block.lens-main > .html-container { padding-top: 0 !important; }
/* Never break a number, a word or a Korean word across lines; wide tables scroll inside themselves. */
.gradio-container { word-break: keep-all; overflow-wrap: normal; }
.lens-table table { display: block; overflow-x: auto; max-width: 100%; }
.lens-table td, .lens-table th { white-space: nowrap; }
.lens-stage-value, .lens-stage-detail, .lens-bar-value, .lens-bar-label { white-space: nowrap; overflow-wrap: normal;
                                                                          word-break: keep-all; }
.lens-pipeline { flex-wrap: wrap !important; }
.lens-stage { min-width: max-content !important; }
label, .label-wrap, [data-testid=block-info] { word-break: keep-all; }
.lens-controls { align-items: flex-end; }
/* Tighter gaps above a tab's main picture; gallery captions wrap instead of being cut. */
#lens-tabs .tabitem > .column, #lens-tabs .tabitem > div > .column { gap: 8px !important; }
.caption-label { white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
                 max-width: 100% !important; }
"""
