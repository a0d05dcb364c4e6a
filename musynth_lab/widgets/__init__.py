"""ipywidgets panels for the notebooks.

ipywidgets is imported only when a panel is built, so the library runs headless. Every
panel is a pure ``render(params) -> result`` function plus a thin widget shell, uses only
the API that ipywidgets 7.7 (Colab) and 8 (JupyterLab, Binder) share, sliders with
``continuous_update=False``, and audio players without autoplay. Tests drive the shells
headlessly by setting a control's ``value`` and checking what the panel rendered.

Chapter: every notebook.
"""

import importlib

_PANELS = {
    "NoteBrowser": ".browser",
    "FeatureExplorer": ".feature_explorer",
    "SynthPanel": ".synth_panel",
    "AttentionViewer": ".attention_viewer",
    "LatentExplorer": ".latent_explorer",
    "MelodyAgentPanel": ".deep_panel",
    "GenerationPanel": ".generation_panel",
    "LatencyPanel": ".latency_panel",  # chapter 6a
    "QualityPanel": ".quality_panel",  # chapter 6b
    "CoherencePanel": ".coherence_panel",  # chapter 6c
}

__all__ = sorted(_PANELS)


def __getattr__(name):
    if name in _PANELS:
        return getattr(importlib.import_module(_PANELS[name], __name__), name)
    raise AttributeError(f"module 'musynth_lab.widgets' has no attribute {name!r}")
