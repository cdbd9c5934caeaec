"""Launch the app in-process and drive it through gradio_client: /inspect, /rethreshold, readable errors."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client, handle_file

from app.testing import example_image


@pytest.fixture(scope="module")
def client(app_url: str) -> Client:
    return Client(app_url, verbose=False)


@pytest.fixture(scope="module")
def image_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    return example_image(tmp_path_factory.mktemp("api"))


def _summary(outputs: Any) -> dict:
    """The JSON summary is the first output of /inspect and /rethreshold."""
    summary = outputs[0]
    assert isinstance(summary, dict), summary
    return summary


def test_named_endpoints_are_listed(client: Client) -> None:
    endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert "/inspect" in endpoints and "/rethreshold" in endpoints
    inspect = endpoints["/inspect"]["parameters"]
    assert len(inspect) == 3 and inspect[2]["parameter_has_default"]   # the ground truth is optional
    assert len(endpoints["/rethreshold"]["parameters"]) == 7


def test_inspect_then_rethreshold(client: Client, image_path: str) -> None:
    summary = _summary(client.predict(handle_file(image_path), "demo", api_name="/inspect"))
    assert summary["model"] == "demo"
    assert summary["counts"]["detections"] == len(summary["detections"]) > 0
    width, height = summary["image_size"]["width"], summary["image_size"]["height"]
    for detection in summary["detections"]:
        x1, y1, x2, y2 = detection["box"]
        assert 0 <= x1 <= x2 <= width and 0 <= y1 <= y2 <= height
        assert {"label", "score", "box"} <= set(detection)

    settings = dict(summary["settings"])
    strict = _summary(client.predict(*[settings[k] if k != "box_score_thresh" else 1.0 for k in settings],
                                     api_name="/rethreshold"))
    assert strict["counts"]["detections"] == 0 and strict["settings"]["box_score_thresh"] == 1.0
    assert strict["counts"]["proposals"] == summary["counts"]["proposals"]

    fewer = _summary(client.predict(*[settings[k] if k != "rpn_post_nms_top_n" else 5 for k in settings],
                                    api_name="/rethreshold"))
    assert fewer["counts"]["proposals"] <= 5

    reset = _summary(client.predict(api_name="/reset_thresholds"))
    assert reset["settings"] == summary["settings"] and reset["counts"] == summary["counts"]


def test_not_an_image_is_a_readable_error_and_the_server_keeps_answering(
        client: Client, image_path: str, tmp_path: Path) -> None:
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("this is text, not pixels")
    with pytest.raises(Exception) as caught:
        client.predict(handle_file(str(not_an_image)), "demo", api_name="/inspect")
    message = str(caught.value)
    assert "not an image" in message and "Traceback" not in message
    summary = _summary(client.predict(handle_file(image_path), "demo", api_name="/inspect"))
    assert summary["counts"]["detections"] >= 0


def test_a_coco_model_without_weights_fails_readably(client: Client, image_path: str) -> None:
    with pytest.raises(Exception, match="could not be loaded"):
        client.predict(handle_file(image_path), "fasterrcnn_resnet50_fpn", api_name="/inspect")


def test_rethreshold_in_a_fresh_session_says_what_to_do(app_url: str) -> None:
    fresh = Client(app_url, verbose=False)
    with pytest.raises(Exception, match="Inspect an image first"):
        fresh.predict(1000, 0.7, 1000, 0.0, 0.5, 0.5, 100, api_name="/rethreshold")


def test_monitoring_endpoint_is_off(app_url: str) -> None:
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(app_url + "monitoring", timeout=10)


def test_app_py_starts_with_flags_and_serves(tmp_path: Path) -> None:
    """`python app.py --port N --lang ko` builds the whole UI (Korean table) and answers on 127.0.0.1."""
    import subprocess
    import sys
    import time
    import urllib.request

    from app.testing import free_port

    port = free_port()
    repo = Path(__file__).resolve().parent.parent
    log = (tmp_path / "app.log").open("w")
    process = subprocess.Popen([sys.executable, "app.py", "--port", str(port), "--lang", "ko", "--device", "cpu"],
                               cwd=repo, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 120
        while True:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=5).read().decode()
                break
            except OSError:
                assert process.poll() is None, (tmp_path / "app.log").read_text()
                assert time.time() < deadline, "app.py did not start within 120 s"
                time.sleep(1)
        assert "분석" in page   # the Inspect button, from the Korean table
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_dataset_is_captured_and_evaluated_through_the_api(app_url: str) -> None:
    client = Client(app_url, verbose=False)
    captured = client.predict("demo", 4, "", "", "demo", api_name="/capture_dataset")[0]
    assert captured["images"] == 4 and 0 <= captured["metrics"]["ap50"] <= 1
    settings = dict(captured["settings"])
    strict = client.predict(*{**settings, "box_score_thresh": 0.99}.values(), api_name="/evaluate_dataset")[0]
    assert strict["settings"]["box_score_thresh"] == 0.99
    assert strict["metrics"]["counts"]["detections"] < captured["metrics"]["counts"]["detections"]


def test_scripts_get_the_detections_as_a_picture_as_before(client: Client, image_path: str) -> None:
    """The page draws detections with an in-browser viewer; /inspect, /rethreshold and /reset_thresholds still
    return them as an image (a file) at the same place, for scripts written against the earlier endpoints."""
    from PIL import Image

    endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    for name in ("/inspect", "/rethreshold", "/reset_thresholds"):
        assert endpoints[name]["returns"][5]["component"] == "Image", name
    inspected = client.predict(handle_file(image_path), "demo", api_name="/inspect")
    summary = _summary(inspected)
    with Image.open(inspected[5]) as picture:  # drawn at display scale: the image's shape, scaled
        width, height = summary["image_size"]["width"], summary["image_size"]["height"]
        assert abs(picture.size[0] / picture.size[1] - width / height) < 0.01 and picture.size[0] >= width
    settings = dict(summary["settings"])
    moved = client.predict(*[settings[k] if k != "box_score_thresh" else 0.9 for k in settings],
                           api_name="/rethreshold")
    assert Path(moved[5]).is_file() and Path(client.predict(api_name="/reset_thresholds")[5]).is_file()
