"""Command-line flags -> AppConfig, and the blocking launch used by app.py."""
from __future__ import annotations

import argparse
import logging

from app.config import CUSTOM_ARCHITECTURES, DEFAULT_MODEL, AppConfig
from app.strings import TABLES, set_language
from inspectors import MODEL_NAMES


def parse_args(argv: list[str] | None = None) -> AppConfig:
    parser = argparse.ArgumentParser(prog="app.py", description="RCNN Lens: see every stage of a Faster R-CNN.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1, this machine "
                        "only; 0.0.0.0 serves a classroom network)")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--model", default=DEFAULT_MODEL, help="model selected at start (default: demo); with "
                        "--checkpoint, the checkpoint's architecture")
    parser.add_argument("--checkpoint", help="a fine-tuned Faster R-CNN state_dict (.pth)")
    parser.add_argument("--labels", help="class names for --checkpoint, one per line")
    parser.add_argument("--device", default="auto", help="auto (default), cpu, cuda, cuda:1, ...")
    parser.add_argument("--share", action="store_true", help="create a public Gradio share link (off by default)")
    parser.add_argument("--lang", default="en", choices=sorted(TABLES), help="UI language (default: en)")
    parser.add_argument("--max-file-size", default="20mb", help="upload size cap (default: 20mb)")
    args = parser.parse_args(argv)
    if args.checkpoint and not args.labels:
        parser.error("--checkpoint needs --labels (the class names, one per line)")
    allowed = CUSTOM_ARCHITECTURES if args.checkpoint else MODEL_NAMES
    if args.model not in allowed:
        parser.error(f"--model must be one of: {', '.join(allowed)}")
    return AppConfig(host=args.host, port=args.port, model=args.model, checkpoint=args.checkpoint,
                     labels=args.labels, device=args.device, share=args.share, language=args.lang,
                     max_file_size=args.max_file_size)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = parse_args(argv)
    set_language(config.language)
    from app.ui import build_app, launch   # imported after set_language: layout text is read at build time

    launch(build_app(config), config)
