"""Lesson experiments: the data preparation, runners and result records behind a chapter's tables.

One module per chapter experiment (``attention`` for chapter 2, ``encoding`` for 4a/4b,
``synthesis`` for 5, ``quality`` for 6b, ``coherence`` for 6c). A lesson
may import everything below it (data, features, synth, stats, models, generate, evaluate);
``plot``, ``widgets``, ``exercises`` and the notebooks import lessons; nothing below does.
Modules are imported on use (``from musynth_lab.lessons import quality``), so this package
pulls in nothing by itself.

Chapter: notebooks/02_attention.ipynb; notebooks/04a_statistical.ipynb; notebooks/04b_deep.ipynb;
notebooks/05_synthesis.ipynb; notebooks/06b_quality.ipynb; notebooks/06c_coherence.ipynb
"""
