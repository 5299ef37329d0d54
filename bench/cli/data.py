"""`bench data prepare`: a dataset card's clip from a local video, an official data directory or a speech corpus, or a
user's own video under a name of its own (`--name`: a user card); `bench data list` / `remove` are in `data_admin`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from talkbench.cli import checks, data_admin
from talkbench.cli.help import add_command
from talkbench.core.errors import BenchError

if TYPE_CHECKING:
    from talkbench.core.types import Clip
    from talkbench.datasets.cards import Card
    from talkbench.prepare.options import PreprocessOptions


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `bench data prepare`, `list` and `remove`."""
    p = add_command(sub, "data", "datasets on disk: prepare, list, remove",
                    "Dataset preparation. `bench data prepare` turns a local video, an official NeRF data directory or "
                    "a speech corpus\ninto a dataset card's clip under $BENCH_HOME (see `bench list datasets` for the cards), "
                    "or your own video into a\ndataset of its own (--name); `bench data list` shows what is prepared, "
                    "`bench data remove` deletes your own.",
                    ["bench data prepare --card may --video may.mp4", "bench data prepare --name me --video me.mp4",
                     "bench data list", "bench data remove me"])
    dsub = p.add_subparsers(dest="action", required=True, metavar="ACTION",
                            help="prepare: make a card's clip (or your own video's); list: what is on disk; remove: delete "
                                 "your own dataset")
    q = add_command(dsub, "prepare", "turn a local video (or an official NeRF data directory) into a card's clip",
                    "Turn a local video (or an official ER-NeRF/RAD-NeRF/AD-NeRF data directory, or a speech corpus) "
                    "into a card's clip:\n25 fps, 16 kHz mono, a train/test split and the annotations the NeRF methods "
                    "need (landmarks, head pose,\nmasks, background). Pass exactly one of --video and --official-dir "
                    "(or --path for speech-corpus cards);\n--for METHOD adds only what METHOD needs and the card's "
                    "prepared clip lacks. --name NAME --video PATH makes your own\nvideo a dataset called NAME (a card in "
                    "$BENCH_HOME/cards/; bench run --dataset NAME then uses it).",
                    ["bench data prepare --card may --video may.mp4",
                     "bench data prepare --name me --video me.mp4 --fps 25",
                     "bench data prepare --card may --official-dir ER-NeRF/data/may",
                     "bench data prepare --card voicebank-demand --path VoiceBank-DEMAND/"])
    q.add_argument("--card", metavar="NAME", help="the dataset card to prepare (bench list datasets names them; "
                   "give this or --name)")
    q.add_argument("--name", metavar="NAME", help="prepare --video as your own dataset NAME (letters, digits, - and _): "
                   "writes the card $BENCH_HOME/cards/NAME.toml and replaces the data of an earlier NAME; a shipped "
                   "card's name is refused")
    q.add_argument("--fps", type=float, metavar="FPS", help="frame rate of the prepared clip with --name (default 25); "
                   "another source rate is converted by taking the frame nearest in time to each timestamp")
    q.add_argument("--video", metavar="FILE", help="the talking-portrait video (video cards)")
    q.add_argument("--official-dir", metavar="DIR", help="a directory made by the official ER-NeRF/RAD-NeRF/AD-NeRF scripts "
                   "(transforms_*.json, ori_imgs/, parsing/, bc.jpg, aud.wav, ...) instead of --video")
    q.add_argument("--path", metavar="DIR", help="the corpus directory (speech-corpus cards such as voicebank-demand)")
    q.add_argument("--audio", metavar="FILE", help="separate audio file (default: the video's own audio)")
    q.add_argument("--for", dest="for_method", metavar="METHOD", help="make what METHOD needs (its declared annotations and "
                   "preferred poses, e.g. synctalk's head_pose_stabilized) instead of the default set; when the card has a "
                   "prepared clip (from this --video, or with no --video), only the passes of what it lacks run")
    q.add_argument("--landmarks", metavar="BACKEND", help="landmark backend: mediapipe (offline, default) or fan "
                   "(needs `bench weights install fan_s3fd` and `fan_2dfan4`)")
    q.add_argument("--audio-features", metavar="FILE.npy|NAME", help="precomputed DeepSpeech/HuBERT/wav2vec features, one row per "
                   "25 fps frame, or an extractor name (hubert, wav2vec, deepspeech: computed from the clip's audio with "
                   "installed weights), stored as annotation audio_features for the record (the NeRF methods compute "
                   "their own with --set audio_features=NAME; default log-mel)")
    q.add_argument("--max-missing", type=float, metavar="FRACTION", help="largest fraction of frames without a face "
                   "(interpolated; default 0.1)")
    q.add_argument("--focal", type=float, metavar="PX", help="camera focal length in pixels (default: searched)")
    q.add_argument("--head-pose", choices=["template", "3dmm"], help="head-pose fit: template (generic rigid face, "
                   "default) or 3dmm (morphable-model tracker: `bench weights install bfm2009_3dmm --from "
                   "DIR/3DMM_info.npy`, or --morphable-model)")
    q.add_argument("--morphable-model", metavar="FILE.npz", help="a morphable model in talkbench's format "
                   "(talkbench.face3d.morphable_model) for --head-pose 3dmm (implies it; default: the installed bfm2009_3dmm)")
    q.add_argument("--head-stabilizer", action="store_true", help="also refine the poses with SyncTalk's Head-Sync "
                   "Stabilizer (flow-tracked face points + bundle adjustment) into head_pose_stabilized, which "
                   "synctalk / wildtalker train and render on")
    q.add_argument("--stabilizer-iters", type=int, metavar="N", help="joint bundle-adjustment steps of the Head-Sync Stabilizer "
                   "(default 8000, the reference's)")
    q.add_argument("--device", default="auto", help="device of the landmark backend (fan can use cuda) and of the 3dmm "
                   "tracker: auto (CUDA when present), cpu, cuda or cuda:N")
    q.add_argument("--no-annotate", action="store_true", help="store frames and audio only (no landmarks, pose, masks, background)")
    q.set_defaults(func=cmd_data)
    data_admin.add_parsers(dsub)


def _wanted_for(method: str) -> tuple[str, ...]:
    """What `--for METHOD` asks for: the method's declared annotations and, when it is driven by poses, its preferred
    pose annotation (`Capabilities.poses[0]`: SyncTalk's stabilized poses)."""
    from talkbench.core.method import Method
    from talkbench.core.registries import METHODS

    cls = METHODS.get(method)
    if not issubclass(cls, Method):
        raise BenchError(f"--for {method}: {method} is not a video method, it needs no prepared annotations")
    caps = cls().capabilities()
    poses = caps.poses[:1] if "poses" in caps.inputs else ()
    return tuple(dict.fromkeys(caps.annotations + poses))


def _prepare_options(args: argparse.Namespace, base: PreprocessOptions) -> PreprocessOptions:
    """`base` (the defaults, or what a prepared clip was made with) with the flags given on the command line."""
    import dataclasses

    from talkbench.infra.devices import resolve_device

    # auto is resolved here: the prepared clip records the device that ran, not "auto"
    given = {"landmarks": args.landmarks, "max_missing": args.max_missing, "focal": args.focal,
             "device": resolve_device(args.device) if args.device else None,
             "audio_features": args.audio_features, "morphable_model": args.morphable_model,
             "head_pose": args.head_pose or ("3dmm" if args.morphable_model else None),
             "head_stabilizer": True if args.head_stabilizer else None, "stabilizer_iters": args.stabilizer_iters}
    return dataclasses.replace(base, **{k: v for k, v in given.items() if v is not None})


def cmd_data(args: argparse.Namespace) -> int:
    """Prepare a dataset card's clip from a local video or an official data directory (or a speech corpus), or the
    user's own video as a dataset of its own (`--name`); `--for METHOD` makes what the method needs, adding only what a
    prepared clip of the card lacks."""
    from talkbench.datasets.cards import get_card
    from talkbench.prepare.options import PreprocessOptions
    from talkbench.prepare.preprocess import requested_annotations
    from talkbench.prepare.video import complete_prepared, prepare_speech_corpus, prepare_video, prepared_from, prepared_options

    checks.check_prepare(args)
    if (args.card is None) == (args.name is None):
        raise BenchError("pass --card NAME (a card of bench list datasets) or --name NAME (your own video as dataset NAME), "
                         "one of them")
    card = _own_card(args) if args.name is not None else get_card(args.card)
    if args.name is None:
        if args.fps is not None:
            raise BenchError(f"--fps sets the frame rate of your own dataset (--name); card {card.name!r} has its own "
                             f"({card.data.get('fps', 25)} fps)")
        if card.user and (args.video or args.official_dir):
            raise BenchError(f"card {card.name!r} is your own: bench data prepare --name {card.name} --video PATH prepares "
                             f"it again")
    name = card.name
    if card.kind == "speech-corpus":
        if not args.path:
            raise BenchError(f"card {name!r} is a speech corpus: pass --path DIR")
        speech, notes = prepare_speech_corpus(name, args.path)
        for note in notes:
            print(f"note: {note}")
        print(f"prepared {speech.name}: {len(speech.utterances)} utterances, conditions {', '.join(speech.conditions())}")
        return 0
    wanted = _wanted_for(args.for_method) if args.for_method else None
    if (args.video and args.official_dir) or (not args.video and not args.official_dir and wanted is None):
        raise BenchError(f"card {name!r} is a video dataset: pass --video PATH or --official-dir DIR (one of them)")
    if wanted is not None and args.no_annotate:
        raise BenchError(f"--for {args.for_method} asks for annotations: drop --no-annotate")
    if args.morphable_model and args.head_pose == "template":
        raise BenchError("--morphable-model is the model of --head-pose 3dmm: drop --head-pose template")
    ran: tuple[str, ...] | None = None
    if args.official_dir:
        if args.audio or args.no_annotate:
            raise BenchError("--official-dir brings its own audio (aud.wav) and annotations: drop --audio / --no-annotate")
        if args.head_pose == "3dmm" or args.morphable_model:
            raise BenchError("--official-dir brings its own tracked head poses (transforms_*.json): drop --head-pose / --morphable-model")
        from talkbench.prepare.passes.audio_features import is_extractor_name

        if is_extractor_name(args.audio_features):
            raise BenchError(f"--audio-features {args.audio_features} computes features for --video; with --official-dir "
                             "give their feature file (aud_hu.npy, aud_eo.npy, aud_ds.npy) or nothing")
        from talkbench.prepare.official_import import import_official

        options = _prepare_options(args, PreprocessOptions())
        clip, notes = import_official(name, args.official_dir, options=options)
        if wanted is not None:  # what the official scripts do not make (SyncTalk's stabilized poses) is added by passes
            clip, more, ran = complete_prepared(name, requested_annotations(options, wanted), options, label=args.for_method)
            notes += more
    elif args.video and not (wanted is not None and _prepared(card) and prepared_from(name, args.video, args.audio)):
        options = _prepare_options(args, PreprocessOptions())
        clip, notes = prepare_video(card, args.video, args.audio, options=options, annotate=not args.no_annotate,
                                    wanted=None if wanted is None else requested_annotations(options, wanted))
    else:  # --for on the card's prepared clip (from this video, or without --video): only what it lacks
        options = _prepare_options(args, prepared_options(name))
        clip, notes, ran = complete_prepared(name, requested_annotations(options, wanted or ()), options,
                                             label=args.for_method)
    if args.name is not None:
        notes += _write_own_card(args, clip)
    for note in notes:
        print(f"note: {note}")
    if ran is not None:
        print(f"passes run for {args.for_method}: {', '.join(ran) if ran else 'none (nothing was missing)'}")
    print(f"prepared {clip.name}: {clip.num_frames} frames at {clip.fps:g} fps, {clip.resolution[1]}x{clip.resolution[0]}, "
          f"{len(clip.audio) / clip.sample_rate:.2f} s audio; {clip.n_train} train / {clip.num_frames - clip.n_train} test frames")
    if clip.annotations:
        shapes = ", ".join(f"{k} {list(v.shape)}" for k, v in clip.annotations.items())
        pose = clip.meta.get("head_pose", {})
        rmse = f", head-pose reprojection RMSE {pose['rmse_px_mean']:.2f} px" if "rmse_px_mean" in pose else ""
        focal = f"; focal {clip.meta['intrinsics']['fx']:.1f} px" if "intrinsics" in clip.meta else ""
        print(f"annotations: {shapes}{focal}{rmse}; audio features: {clip.meta.get('audio_features')}")
        from talkbench.prepare.quality import summary_lines

        for line in summary_lines(clip.meta.get("quality", {})):
            print(f"quality: {line}")
    if args.name is not None:
        print(f"dataset {clip.name}: run it with bench run --dataset {clip.name} --method static (bench data list shows it)")
    return 0


def _own_card(args: argparse.Namespace) -> "Card":
    """The user card `--name` prepares (not written until its clip is stored), after checking the flags that go with it."""
    from talkbench.datasets.user_cards import check_name, user_card
    from talkbench.prepare.video import TARGET_FPS

    if args.card is not None:
        raise BenchError("--card and --name: pass one (--name NAME prepares your own video as dataset NAME)")
    if not args.video or args.official_dir or args.path:
        raise BenchError(f"--name {args.name} prepares your own video: pass --video PATH (and not --official-dir / --path)")
    check_name(args.name)
    return user_card(args.name, args.video, args.audio, args.fps or TARGET_FPS, video_sha256="")


def _write_own_card(args: argparse.Namespace, clip: "Clip") -> list[str]:
    """Write the card of `--name` for its stored clip (its size and its sources' sha256); notes about it."""
    from talkbench.datasets.user_cards import user_card, write_user_card

    h, w = clip.resolution
    card = user_card(clip.name, args.video, args.audio, clip.fps, video_sha256=str(clip.meta.get("source_sha256", "")),
                     audio_sha256=clip.meta.get("source_audio_sha256"), size=(h, w))
    path = write_user_card(card)
    notes = [f"card {clip.name}: written to {path}"]
    if h != w:
        notes.append(f"{args.video}: frames are {w}x{h}, not square: the paper profile keeps them, the smaller profiles "
                     f"resize them to a square (the aspect ratio is not kept)")
    return notes


def _prepared(card: "Card") -> bool:
    """Whether the card is registered (a `--name` card is not before its first prepare) and has a prepared clip."""
    from talkbench.datasets.cards import cards, prepared_dir

    return card.name in cards() and (prepared_dir(card) / "clip.json").is_file()
