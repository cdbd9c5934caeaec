"""Command-line flags -> AppConfig, and the blocking launch used by app.py."""
from __future__ import annotations

import argparse
import logging
import os

from app.config import CUSTOM_ARCHITECTURES, DEFAULT_MODEL, AppConfig, byte_size, is_local_only
from app.strings import TABLES, set_language
from inspectors import MODEL_NAMES, TRAINED_FROM


def parse_args(argv: list[str] | None = None) -> AppConfig:
    parser = argparse.ArgumentParser(prog="app.py", description="RCNN Lens: see every stage of a Faster R-CNN.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1, this machine "
                        "only; 0.0.0.0 serves a classroom network)")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--model", default=DEFAULT_MODEL, help="model selected at start (default: demo); with "
                        "--checkpoint, the checkpoint's architecture")
    parser.add_argument("--checkpoint", help="a fine-tuned Faster R-CNN state_dict (.pth)")
    parser.add_argument("--labels", help="class names for --checkpoint, one per line (UTF-8; optional: classes are "
                        "numbered without it)")
    parser.add_argument("--device", default="auto", help="auto (default), cpu, cuda, cuda:1, ...")
    parser.add_argument("--share", action="store_true", help="create a public Gradio share link (off by default)")
    parser.add_argument("--lang", default="en", choices=sorted(TABLES), help="UI language (default: en)")
    parser.add_argument("--max-file-size", default="20mb", help="upload size cap for images and annotation files "
                        "(default: 20mb)")
    parser.add_argument("--max-checkpoint-size", default="1gb", help="upload size cap for a custom checkpoint "
                        "(default: 1gb, enough for every supported architecture)")
    parser.add_argument("--trained-from", default="auto", choices=TRAINED_FROM,
                        help="how --checkpoint's training started, which decides its backbone normalisation: coco "
                        "(fine-tuned from COCO weights), imagenet (from an ImageNet backbone only), scratch; auto "
                        "(default) reads BatchNorm counters from the checkpoint and otherwise assumes coco")
    parser.add_argument("--auth", metavar="USER:PASSWORD",
                        help="require a login (Gradio's auth); or set RCNN_LENS_AUTH=user:password to keep the "
                        "password out of the process list")
    parser.add_argument("--max-queue", type=int, default=64,
                        help="events waiting beyond this many get 'busy, try again' (default: 64)")
    parser.add_argument("--capture-jobs", type=int, default=2,
                        help="dataset captures that may run at once on this server, in the background (default: 2; "
                        "one per session)")
    parser.add_argument("--capture-quota", default="10GB",
                        help="disk space for dataset captures made through the page, e.g. 500MB, 10GB, or 'none' "
                        "(default: 10GB); the least recently used captures go first, never one in use")
    args = parser.parse_args(argv)
    allowed = CUSTOM_ARCHITECTURES if args.checkpoint else MODEL_NAMES
    if args.model not in allowed:
        parser.error(f"--model must be one of: {', '.join(allowed)}")
    if args.labels and not args.checkpoint:
        parser.error("--labels names the classes of --checkpoint; give --checkpoint too")
    auth_text = args.auth or os.environ.get("RCNN_LENS_AUTH")
    auth = None
    if auth_text:
        user, _, password = auth_text.partition(":")
        if not user or not password:
            parser.error("--auth must be USER:PASSWORD, both non-empty")
        auth = (user, password)
    if args.max_queue < 1:
        parser.error("--max-queue must be at least 1")
    if args.capture_jobs < 1:
        parser.error("--capture-jobs must be at least 1")
    try:
        capture_quota = parse_bytes(args.capture_quota)
    except ValueError:
        parser.error(f"--capture-quota must be a size such as 500MB or 10GB, or none; not {args.capture_quota!r}")
    for flag, size in (("--max-file-size", args.max_file_size), ("--max-checkpoint-size", args.max_checkpoint_size)):
        try:
            byte_size(size)
        except ValueError:
            parser.error(f"{flag} must be a size such as 20mb or 1gb; not {size!r}")
    return AppConfig(host=args.host, port=args.port, model=args.model, checkpoint=args.checkpoint,
                     labels=args.labels, device=args.device, share=args.share, language=args.lang,
                     max_file_size=args.max_file_size, max_checkpoint_size=args.max_checkpoint_size,
                     trained_from=args.trained_from, auth=auth,
                     max_queue=args.max_queue, capture_jobs=args.capture_jobs, capture_quota=capture_quota)


_UNITS = {"": 1, "B": 1, "KB": 1024, "K": 1024, "MB": 1024**2, "M": 1024**2, "GB": 1024**3, "G": 1024**3,
          "TB": 1024**4, "T": 1024**4}


def parse_bytes(text: str) -> int | None:
    """'500MB', '10GB', '2.5G', '1048576' → bytes (binary units); 'none' or 'off' → None (no quota)."""
    cleaned = text.strip().upper().replace("IB", "B").replace(" ", "")
    if cleaned in ("NONE", "OFF", "0"):
        return None
    number = cleaned.rstrip("KMGTB")
    unit = cleaned[len(number):]
    if unit not in _UNITS or not number:
        raise ValueError(text)
    value = float(number)
    if not value > 0:
        raise ValueError(text)
    return int(value * _UNITS[unit])


def network_warning(config: AppConfig) -> str | None:
    """What to print when the app can be reached from other machines."""
    if is_local_only(config.host) and not config.share:
        return None
    where = "a public share link" if config.share else f"every machine that can reach this one (--host {config.host})"
    advice = ("Anyone who can open it can upload images and checkpoints." if config.auth else
              "Anyone who can open it can upload images and checkpoints; on a shared network add "
              "--auth user:password (or RCNN_LENS_AUTH).")
    return f"RCNN Lens is served to {where} on port {config.port}. {advice}"


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = parse_args(argv)
    warning = network_warning(config)
    if warning:
        logging.getLogger("rcnn_lens").warning(warning)
    set_language(config.language)
    from app.ui import build_app, launch  # imported after set_language: layout text is read at build time

    launch(build_app(config), config)
