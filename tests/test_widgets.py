"""Every panel's one drawing path (widgets/_base.py), driven headlessly.

Each registered panel is built small, two different controls are moved, and the test checks
what a browser would show: the PNG on the panel's ``ipywidgets.Image`` changed and is not a
blank page, the ``ipywidgets.Audio`` holds WAV bytes, and pyplot never saw a figure (pyplot
state touched from a widget callback is what blanked figures under ipykernel 7 subshells).
"""

from __future__ import annotations

import io
import threading

import numpy as np
import pytest

pytest.importorskip("ipywidgets")


def near_white_fraction(png: bytes) -> float:
    """Fraction of pixels whose R, G and B are all above 0.97 (1.0 = white)."""
    import matplotlib.image as mpimg

    img = mpimg.imread(io.BytesIO(png), format="png")
    return float(np.mean(np.all(img[..., :3] > 0.97, axis=-1)))


# ---------------------------------------------------------------- one small panel of each kind


def _note_browser():
    from musynth_lab.widgets import NoteBrowser

    return NoteBrowser(), [("instrument", "flute"), ("pitch", 72)]


def _feature_explorer():
    from musynth_lab.widgets import FeatureExplorer

    p = FeatureExplorer(recording="note: flute A4", feature="spectral_centroid")
    return p, [("feature", "chroma_stft"), ("n_fft", 1024)]


def _synth_panel():
    from musynth_lab.widgets import SynthPanel

    return SynthPanel("fm", sr=8000, duration_s=0.5), [("index", 8.0), ("midi_f0", 72)]


def _attention_viewer():
    from musynth_lab.widgets import AttentionViewer
    from musynth_lab.widgets.attention_viewer import AttentionExample

    notes = np.array([[0, 1, 60], [1, 1, 64], [2, 1, 67], [3, 1, 72]])
    roll = np.zeros((88, 4), bool)
    roll[notes[:, 2] - 21, notes[:, 0]] = True
    exs = [
        AttentionExample(name, "score", np.array(w), roll=roll, notes=notes, sr=8000)
        for name, w in [("toy", [0.1, 0.7, 0.2, 0.9]), ("other", [0.9, 0.1, 0.8, 0.3])]
    ]
    return AttentionViewer(exs), [("threshold", 0.15), ("example", "other")]


class _LineVAE:
    """A stand-in for a fitted melody VAE: dimension d of z moves step d of a 16-step melody."""

    fitted = True

    def encode(self, x):
        x = np.asarray(x, dtype=np.float64)
        return np.stack([x[:, :4].mean(axis=1) / 50 + d for d in range(4)], axis=1)  # (n, 4)

    def decode_tokens(self, z):
        import torch

        steps = 26 + torch.round(4 * z[:, :, None]).long().repeat(1, 1, 4).reshape(len(z), 16)
        return steps.clamp(2, 50)


def _latent_explorer():
    from musynth_lab.widgets import LatentExplorer

    windows = np.random.default_rng(0).integers(2, 51, (32, 16))
    p = LatentExplorer(_LineVAE(), windows, n_sliders=2, sr=8000)
    z = [k for k in p.controls if k.startswith("z")]
    return p, [(z[0], p.controls[z[0]].max), (z[1], p.controls[z[1]].min)]


def _melody_agent():
    from musynth_lab.widgets import MelodyAgentPanel

    return MelodyAgentPanel(iterations=10), [("key", 0.0), ("iterations", 20)]


def _bigram_and_prompt():
    from musynth_lab.data import N_MELODY_TOKENS, load_chorales
    from musynth_lab.stats.ngram import NGramModel

    pieces = load_chorales("train")[:10]
    bigram = NGramModel(2, vocab_size=N_MELODY_TOKENS).fit([p.melody_tokens() for p in pieces])
    return bigram, pieces[0].melody_tokens()[:4]


def _generation_panel():
    from musynth_lab.widgets import GenerationPanel

    bigram, prompt = _bigram_and_prompt()
    p = GenerationPanel({"bigram": bigram}, prompt, steps=8, sr=8000)
    return p, [("seed", 3), ("strategy", "greedy")]


def _latency_panel():
    from musynth_lab.widgets import LatencyPanel

    return LatencyPanel(seconds=0.1), [("block_size", 128), ("voice", "fm")]


def _quality_panel():
    from musynth_lab.widgets import QualityPanel

    rows = [
        {"size": 8, "train_nll": 0.8, "test_nll": 2.2},
        {"size": 299, "train_nll": 1.2, "test_nll": 1.2},
        {"size": 8, "remedy": "dropout", "train_nll": 1.0, "test_nll": 1.9},
    ]
    return QualityPanel(rows), [("size", 299), ("remedy", "dropout")]


def _coherence_panel():
    from musynth_lab.data import load_chorales, piano_roll
    from musynth_lab.widgets import CoherencePanel

    rolls = [piano_roll(p, step=0.5) for p in load_chorales("test")[:2]]
    return CoherencePanel({"data": rolls}, rolls), [("bars", 2), ("sample", 1)]


BUILDERS = {
    "NoteBrowser": _note_browser,
    "FeatureExplorer": _feature_explorer,
    "SynthPanel": _synth_panel,
    "AttentionViewer": _attention_viewer,
    "LatentExplorer": _latent_explorer,
    "MelodyAgentPanel": _melody_agent,
    "GenerationPanel": _generation_panel,
    "LatencyPanel": _latency_panel,
    "QualityPanel": _quality_panel,
    "CoherencePanel": _coherence_panel,
}


def test_every_registered_panel_has_a_builder_here():
    from musynth_lab.widgets import _PANELS

    assert sorted(BUILDERS) == sorted(_PANELS)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_panel_redraws_in_place_without_pyplot(name):
    import ipywidgets as W
    import matplotlib.pyplot as plt

    plt.close("all")
    panel, moves = BUILDERS[name]()
    assert plt.get_fignums() == [], "building the panel made a pyplot figure"
    assert isinstance(panel.image, W.Image) and isinstance(panel.audio, W.Audio)
    assert panel.image.value == panel.png and panel.png[:4] == b"\x89PNG"
    assert near_white_fraction(panel.png) < 0.97
    image, audio = panel.image, panel.audio
    for control, value in moves:
        before, renders = panel.png, panel.renders
        panel.controls[control].value = value
        assert panel.error is None, panel.error
        assert panel.renders == renders + 1
        assert panel.png != before, f"moving {control} did not change the figure"
        assert near_white_fraction(panel.png) < 0.97, f"blank figure after moving {control}"
        assert panel.image is image and panel.image.value == panel.png  # the same widget, updated
        assert plt.get_fignums() == [], f"moving {control} made a pyplot figure"
    assert panel.audio is audio
    if panel.wav:  # QualityPanel without models has no sound
        assert panel.audio.value == panel.wav and panel.wav[:4] == b"RIFF"
        assert panel.audio.autoplay is False and panel.audio.loop is False
    else:
        assert name == "QualityPanel"
    classes = {
        "musynth-panel": panel.widget,
        "musynth-figure": panel.image,
        "musynth-audio": panel.audio,
        "musynth-status": panel.status,
    }
    for css, w in classes.items():
        assert css in w._dom_classes


def test_synth_panel_sound_changes_with_each_move():
    from musynth_lab.widgets import SynthPanel

    panel = SynthPanel("fm", sr=8000, duration_s=0.5)
    seen = {panel.wav}
    for control, value in [("index", 8.0), ("midi_f0", 72), ("reverb_mix", 0.5)]:
        panel.controls[control].value = value
        seen.add(panel.wav)
    assert len(seen) == 4


def test_no_widget_module_uses_pyplot():
    import pathlib

    from musynth_lab import widgets

    for f in pathlib.Path(widgets.__file__).parent.glob("*.py"):
        assert "import matplotlib.pyplot" not in f.read_text(), f.name


def test_bad_value_shows_the_message_keeps_the_frame_and_recovers():
    from musynth_lab.widgets import SynthPanel

    panel = SynthPanel("subtractive", sr=8000, duration_s=0.4)
    attack = panel.controls["attack"]
    good = (panel.png, panel.wav, panel.result, panel.renders)
    attack.max = 10.0  # a student widening a slider past what the voice accepts
    attack.value = 5.0
    assert "attack=5" in panel.status.value and "expected" in panel.status.value
    assert (panel.png, panel.wav, panel.result, panel.renders) == good
    assert panel.image.value == good[0]
    assert type(panel.error).__name__ == "ParameterError"
    attack.value = 0.5  # still usable
    assert panel.status.value == "" and panel.error is None
    assert panel.renders == good[3] + 1 and panel.png != good[0]


def test_bad_value_typed_into_a_box():
    import ipywidgets as W

    from musynth_lab.errors import check
    from musynth_lab.widgets._base import Frame, Panel

    def render(x):
        check(0 <= x <= 10, "x", x, "a number in [0, 10]")
        return x

    def draw(x, fig):
        fig.add_subplot().bar([0, 1], [x, 10 - x])
        return Frame(np.sin(np.arange(800) * (x + 1) / 20), 8000)

    panel = Panel({"x": W.FloatText(value=2.0)}, render, draw)
    png = panel.png
    panel.controls["x"].value = 50.0
    assert "x=50" in panel.status.value and panel.png == png and panel.result == 2.0
    panel.controls["x"].value = 7.0
    assert panel.result == 7.0 and panel.png != png and panel.status.value == ""


def test_a_superseded_render_is_dropped():
    """A change that arrives while an older render runs wins; the older result is never shown."""
    import ipywidgets as W

    from musynth_lab.widgets._base import Panel

    started, proceed = threading.Event(), threading.Event()

    def render(x):
        if x == 1:
            started.set()
            assert proceed.wait(30)
        return x

    panel = Panel({"x": W.IntText(value=0)}, render, lambda x, fig: fig.add_subplot().bar([0], [x + 1]) and None)
    first = threading.Thread(target=lambda: setattr(panel.controls["x"], "value", 1))
    first.start()
    assert started.wait(30)
    second = threading.Thread(target=lambda: setattr(panel.controls["x"], "value", 2))
    second.start()
    for _ in range(3000):  # wait until the second change is queued behind the first
        if panel._requested == 3:
            break
        threading.Event().wait(0.01)
    assert panel._requested == 3
    proceed.set()
    first.join(30)
    second.join(30)
    assert panel.result == 2 and panel.renders == 2  # the build and the newest value only


def test_plot_helpers_with_ax_none_still_make_a_pyplot_figure():
    """In a notebook cell, ``plot.waveform(y, sr=...)`` keeps drawing a new inline figure."""
    import matplotlib.pyplot as plt

    from musynth_lab import plot

    plt.close("all")
    ax = plot.waveform(np.sin(np.linspace(0, 50, 800)), sr=8000)
    assert plt.get_fignums() == [ax.figure.number]
    plt.close("all")


def test_inline_flush_is_kept_on_the_main_thread():
    from IPython.core.events import EventManager, available_events

    from musynth_lab.widgets._base import guard_inline_flush

    calls = []

    def flush_figures():  # the inline backend's hook
        calls.append(("flush", threading.current_thread().name))

    def _draw_all_if_interactive():  # IPython's pylabtools hook
        calls.append(("draw_all", threading.current_thread().name))

    def other():  # anything else runs everywhere
        calls.append(("other", threading.current_thread().name))

    class Shell:
        events = EventManager(None, available_events)

    shell = Shell()
    for f in (_draw_all_if_interactive, flush_figures, other):
        shell.events.register("post_execute", f)
    assert guard_inline_flush(shell) and guard_inline_flush(shell)  # idempotent
    worker = threading.Thread(target=shell.events.trigger, args=("post_execute",), name="subshell")
    worker.start()
    worker.join(30)
    main = threading.main_thread().name
    assert calls == [("other", "subshell")]  # the pyplot hooks were skipped
    shell.events.trigger("post_execute")
    assert calls[1:] == [("draw_all", main), ("flush", main), ("other", main)]
    shell.events.unregister("post_execute", flush_figures)  # what %matplotlib <other> does
    assert len(shell.events.callbacks["post_execute"]) == 2


KERNEL_SCRIPT = r"""
import json, sys
from jupyter_client.manager import start_new_kernel

km, kc = start_new_kernel(kernel_name="python3")
seen = []

def run(code):
    mid = kc.execute(code)
    out = []
    while True:
        m = kc.get_iopub_msg(timeout=120)
        seen.append(m)
        if m["parent_header"].get("msg_id") == mid:
            if m["msg_type"] == "stream":
                out.append(m["content"]["text"])
            if m["msg_type"] == "error":
                raise RuntimeError("\n".join(m["content"]["traceback"]))
            if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                break
    kc.get_shell_msg(timeout=120)
    return "".join(out).strip()

try:
    run("%matplotlib inline")
    model_id = run("from musynth_lab.widgets import SynthPanel\n"
                   "p = SynthPanel('fm', sr=8000, duration_s=0.4)\nprint(p.controls['index'].model_id)")
    kc.control_channel.send(kc.session.msg("create_subshell_request", {}))
    sid = kc.control_channel.get_msg(timeout=30)["content"]["subshell_id"]
    for v in (8.0, 2.0, 5.0):
        msg = kc.session.msg("comm_msg", {"comm_id": model_id, "data": {
            "method": "update", "state": {"value": v}, "buffer_paths": []}})
        msg["header"]["subshell_id"] = sid          # as JupyterLab 4.4+ sends widget messages
        kc.shell_channel.send(msg)
        run("import matplotlib.pyplot as plt\nfig, ax = plt.subplots(); ax.plot([0, 1]); plt.show()")
    state = run("import time\nfor _ in range(600):\n    if p.renders == 4: break\n    time.sleep(0.05)\n"
                "import json, matplotlib.pyplot as plt\n"
                "print(json.dumps({'renders': p.renders, 'index': p.result['values']['index'], "
                "'fignums': plt.get_fignums(), 'png': p.image.value.hex()}))")
    pngs = [(m["parent_header"].get("msg_type"), m["content"]["data"]["image/png"]) for m in seen
            if m["msg_type"] == "display_data" and "image/png" in m["content"]["data"]]
    print(json.dumps({"state": json.loads(state.splitlines()[-1]), "pngs": pngs}))
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
"""


def test_panel_and_cell_figures_survive_widget_messages_on_a_subshell(tmp_path):
    """A real ipykernel 7: slider moves arrive on a subshell while cells draw pyplot figures."""
    import base64
    import json
    import os
    import pathlib
    import subprocess
    import sys

    ipykernel = pytest.importorskip("ipykernel")
    pytest.importorskip("jupyter_client")
    if int(ipykernel.__version__.split(".")[0]) < 7:
        pytest.skip("kernel subshells need ipykernel >= 7")
    script = tmp_path / "drive_kernel.py"
    script.write_text(KERNEL_SCRIPT)
    root = str(pathlib.Path(__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, env=env, check=False, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    state = report["state"]
    assert state["renders"] == 4 and state["index"] == 5.0 and state["fignums"] == []
    assert near_white_fraction(bytes.fromhex(state["png"])) < 0.97  # the panel's figure, as displayed
    cell_pngs = [base64.b64decode(p) for parent, p in report["pngs"] if parent == "execute_request"]
    assert len(cell_pngs) == 3, [parent for parent, _ in report["pngs"]]  # each cell's own figure, none stolen
    assert all(near_white_fraction(p) < 0.99 for p in cell_pngs), [near_white_fraction(p) for p in cell_pngs]
    assert not [parent for parent, _ in report["pngs"] if parent == "comm_msg"]
