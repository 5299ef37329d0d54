"""The `bench` command line."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from talkbench.cli import export as export_cli
from talkbench.cli import store as store_cli
from talkbench.cli import checks
from talkbench.core.errors import BenchError

if TYPE_CHECKING:
    from talkbench.prepare.options import PreprocessOptions

DEFAULT_TOLERANCES = {"psnr": {"abs": 0.05}, "ssim": {"abs": 0.002}, "lpips": {"abs": 0.002}}


def cmd_list(args: argparse.Namespace) -> int:
    """Print registered methods, metrics, datasets or tasks."""
    from talkbench.datasets.cards import cards
    from talkbench.core.registries import METHODS, METRICS
    from talkbench.harness.tasks import TASKS

    if args.what == "methods":
        for name in METHODS.names():
            cls = METHODS.get(name)
            serves = ",".join(t for t in TASKS.names() if TASKS.get(t).accepts(cls))
            doc = (cls.__doc__ or "").strip().splitlines()[0]
            print(f"{name:12s} tasks={serves:20s} [{cls().capabilities().summary()}] {doc}")
    elif args.what == "metrics":
        for name in METRICS.names():
            cls = METRICS.get(name)
            arrow = "↑" if cls.higher_is_better else "↓"
            print(f"{name:10s} {arrow} {cls.modality:6s} {cls.description or (cls.__doc__ or '').strip().splitlines()[0]}")
    elif args.what == "datasets":
        for name in cards().names():
            card = cards().get(name)
            print(f"{name:26s} {card.kind:9s} tasks={','.join(card.tasks):24s} {card.data.get('description', '')}")
    else:
        for name in TASKS.names():
            task = TASKS.get(name)
            print(f"{name:12s} metrics={','.join(task.metrics)}  {task.description}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Train, render, score and store; print the leaderboard of what ran."""
    from talkbench.core import metric_options
    from talkbench.cli.sweep import expand_grid
    from talkbench.harness.driver import run_jobs
    from talkbench.harness.executors import ExecutorOptions, make_executor
    from talkbench.harness.jobs import JobSpec
    from talkbench.harness.store import Store
    from talkbench.infra.paths import output_folder

    methods = checks.run_methods(args)
    out = output_folder(args.out, "--out") if args.out else None
    specs = [JobSpec(method=m, dataset=d, profile=args.profile, seed=seed, task=args.task, overrides=overrides,
                     metrics=tuple(args.metric) if args.metric else None, overwrite=args.overwrite,
                     out=out, device=args.device,
                     metric_options=metric_options.from_args(args))
             for d in args.dataset for m in methods for overrides in expand_grid(args.set_grid)
             for seed in args.seed]
    store = Store()
    executor = make_executor(args.executor, ExecutorOptions(
        jobs=args.jobs, ray_address=args.ray_address, slurm_partition=args.slurm_partition,
        gpus_per_job=args.gpus_per_job, slurm_time_min=args.slurm_time,
        slurm_folder=Path(args.slurm_folder) if args.slurm_folder else None, slurm_cluster=args.slurm_cluster))
    if len(specs) > 1:
        print(f"{len(specs)} jobs on the {executor.name} executor", file=sys.stderr)
    outcomes = run_jobs(specs, store, executor)
    if not args.no_leaderboard:
        from talkbench.report.leaderboard import render, render_claims, tables_for

        run_ids = {o.run_id for o in outcomes}
        rows = [r for r in store.results(task=args.task, profile=args.profile) if r.dataset in args.dataset
                and (r.run_id in run_ids or not args.only_these)]
        tables = tables_for(rows)
        print()
        print(render(tables, "md"))
        claims = render_claims(tables, "md")
        if claims:
            print(claims)
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        print(f"{len(failed)} of {len(outcomes)} jobs failed: " + "; ".join(f"{o.run_id}: {o.message}" for o in failed), file=sys.stderr)
    return 1 if failed else 0


def cmd_score(args: argparse.Namespace) -> int:
    """Score a render made outside talkbench against its reference."""
    from talkbench.harness.scoring import score_files, to_json

    from talkbench.core import metric_options

    checks.check_device(args.device)
    options = metric_options.from_args(args)
    checks.check_metric_options(options)
    results, notes = score_files(args.pred, args.ref, args.metric, args.device, options, audio=args.audio)
    if args.json:
        print(to_json(results, notes, {"pred": args.pred, "ref": args.ref}))
    else:
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
        for name, res in results.items():
            if res.available:
                shown = "∞" if math.isinf(res.value) else f"{res.value:.4f}"
                print(f"{name:8s} {shown}")
            else:
                print(f"{name:8s} unavailable: {res.unavailable_reason}")
    return 0


def cmd_leaderboard(args: argparse.Namespace) -> int:
    """Print (or write) the leaderboard tables."""
    from talkbench.report.leaderboard import render, render_claims, tables_for
    from talkbench.harness.store import Store
    from talkbench.infra.paths import output_file

    checks.check_filters(args)
    out = output_file(args.out, "--out") if args.out else None
    store = Store()
    rows = store.results(task=args.task, profile=args.profile, dataset=args.dataset, all_runs=args.all_runs)
    checks.check_found(rows, store, args)
    tables = tables_for(rows, all_runs=args.all_runs)
    shown = tables
    if args.ablation:
        from talkbench.report.leaderboard import ablation_tables

        shown = ablation_tables(tables, args.ablation)
        for table in shown:
            table.task = f"{table.task}, ablation of {args.ablation}"
    else:
        from talkbench.report.leaderboard import side_by_side

        shown = side_by_side(tables)
    text = render(shown, args.format)
    if args.with_claims:
        claims = render_claims(tables, args.format)
        text += ("\n" + claims) if claims else "\n(no paper claims for these tables)\n"
    if out is not None:
        out.write_text(text)
        print(f"wrote {out}")
    else:
        print(text, end="")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Compare stored results with a baseline; non-zero exit on any regression."""
    from talkbench.report.check import compare, load_baseline, report, write_baseline
    from talkbench.harness.store import Store

    store = Store()
    if args.write:
        from talkbench.harness.tasks import TASKS
        from talkbench.infra.paths import output_file

        if args.task is not None:
            TASKS.get(args.task)
        path = output_file(args.baseline, "--baseline")
        tolerances = load_baseline(path).get("tolerances", DEFAULT_TOLERANCES) if path.exists() else DEFAULT_TOLERANCES
        count = write_baseline(path, store, args.profile, tolerances, args.task)
        print(f"wrote {count} entries to {path}")
        return 0
    comparisons = compare(load_baseline(Path(args.baseline)), store)
    print(report(comparisons))
    return 1 if any(c.status == "FAIL" for c in comparisons) else 0


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

    given = {"landmarks": args.landmarks, "max_missing": args.max_missing, "focal": args.focal, "device": args.device,
             "audio_features": args.audio_features, "morphable_model": args.morphable_model,
             "head_pose": args.head_pose or ("3dmm" if args.morphable_model else None),
             "head_stabilizer": True if args.head_stabilizer else None, "stabilizer_iters": args.stabilizer_iters}
    return dataclasses.replace(base, **{k: v for k, v in given.items() if v is not None})


def cmd_data(args: argparse.Namespace) -> int:
    """Prepare a dataset card's clip from a local video or an official data directory (or a speech corpus);
    `--for METHOD` makes what the method needs, adding only what a prepared clip of the card lacks."""
    from talkbench.datasets.cards import get_card
    from talkbench.prepare.options import PreprocessOptions
    from talkbench.prepare.preprocess import requested_annotations
    from talkbench.prepare.video import complete_prepared, prepare_speech_corpus, prepare_video, prepared_from, prepared_options

    checks.check_prepare(args)
    if get_card(args.card).kind == "speech-corpus":
        if not args.path:
            raise BenchError(f"card {args.card!r} is a speech corpus: pass --path DIR")
        speech, notes = prepare_speech_corpus(args.card, args.path)
        for note in notes:
            print(f"note: {note}")
        print(f"prepared {speech.name}: {len(speech.utterances)} utterances, conditions {', '.join(speech.conditions())}")
        return 0
    wanted = _wanted_for(args.for_method) if args.for_method else None
    if (args.video and args.official_dir) or (not args.video and not args.official_dir and wanted is None):
        raise BenchError(f"card {args.card!r} is a video dataset: pass --video PATH or --official-dir DIR (one of them)")
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
        clip, notes = import_official(args.card, args.official_dir, options=options)
        if wanted is not None:  # what the official scripts do not make (SyncTalk's stabilized poses) is added by passes
            clip, more, ran = complete_prepared(args.card, requested_annotations(options, wanted), options, label=args.for_method)
            notes += more
    elif args.video and not (wanted is not None and prepared_from(args.card, args.video, args.audio)):
        options = _prepare_options(args, PreprocessOptions())
        clip, notes = prepare_video(args.card, args.video, args.audio, options=options, annotate=not args.no_annotate,
                                    wanted=None if wanted is None else requested_annotations(options, wanted))
    else:  # --for on the card's prepared clip (from this video, or without --video): only what it lacks
        options = _prepare_options(args, prepared_options(args.card))
        clip, notes, ran = complete_prepared(args.card, requested_annotations(options, wanted or ()), options,
                                             label=args.for_method)
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
    return 0


def cmd_denoise(args: argparse.Namespace) -> int:
    """Denoise a speech file with a registered enhance-task method."""
    from talkbench.harness.denoise import denoise_file

    notes = denoise_file(args.input, args.output, args.method, checks.parse_sets(args.set))
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"wrote {args.output} ({args.method})")
    return 0


def cmd_weights(args: argparse.Namespace) -> int:
    """Show or install pretrained files."""
    from talkbench.infra import weights

    if args.action == "status":
        for name, entry in sorted(weights.ENTRIES.items()):
            state, detail = weights.status(name)
            print(f"{name:11s} {state:10s} {entry.filename:28s} {entry.used_by}")
            print(f"{'':11s} {detail}")
            if state != "installed":
                print(f"{'':11s} install: {entry.install_hint()}  [{entry.licence}]")
        return 0
    if not args.name or not args.source:
        raise BenchError("usage: bench weights install NAME --from PATH|URL [--sha256 HEX]")
    checks.check_sha256(args.sha256)
    path = weights.install(args.name, args.source, sha256=args.sha256)
    _, origin = weights.expected_sha256(args.name)
    print(f"installed {args.name} -> {path} (sha256 {weights.verified(args.name)[1][:12]}…, {origin})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `bench`."""
    from talkbench.core import metric_options

    parser = argparse.ArgumentParser(prog="bench", description="Train, render, score and tabulate talking-portrait methods.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list methods, metrics, datasets or tasks")
    p.add_argument("what", choices=["methods", "metrics", "datasets", "tasks"])
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("run", help="train, render, score and store methods on datasets (one job or a sweep)")
    p.add_argument("--method", action="append", help="method name, repeatable; 'all' = every method of the task")
    p.add_argument("--dataset", action="append", help="dataset card name, repeatable")
    p.add_argument("--task", help="reconstruct (default), lipsync or enhance")
    p.add_argument("--profile", choices=["smoke", "paper"], help="smoke (default) or paper")
    p.add_argument("--seed", action="append", help="method seeds: --seed 0,1,2 or repeated (default 0)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE[,VALUE...]",
                   help="override a method config field; several comma-separated values make a grid axis")
    p.add_argument("--sweep", metavar="FILE.toml", help="a sweep file naming methods, datasets, seeds and a --set grid "
                   "(talkbench.cli.sweep); the command line adds to it")
    p.add_argument("--metric", action="append", help="score only these metrics (default: the task's)")
    p.add_argument("--overwrite", default="only-missing", choices=["never", "only-missing", "always"])
    p.add_argument("--out", help="parent directory of the run directories (default $BENCH_HOME/runs)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    p.add_argument("--no-leaderboard", action="store_true", help="do not print the leaderboard at the end")
    p.add_argument("--only-these", action="store_true", help="leaderboard shows only the runs of this command")
    p.add_argument("--executor", default="local",
                   help="where jobs run: local (this process, the default), process (a local pool, --jobs N), ray, slurm, "
                        "or one an installed package declares (talkbench.executors entry points)")
    p.add_argument("--jobs", type=int, default=2, help="concurrent jobs of --executor process (default 2)")
    p.add_argument("--ray-address", help="a running Ray cluster (default: start a local one)")
    p.add_argument("--slurm-partition")
    p.add_argument("--gpus-per-job", type=float, help="GPUs per Ray/SLURM job (default: what the method declares)")
    p.add_argument("--slurm-time", type=int, default=240, metavar="MIN", help="time limit of each SLURM job")
    p.add_argument("--slurm-folder", help="submitit's job folder (default $BENCH_HOME/slurm/<time>-<sweep>)")
    p.add_argument("--slurm-cluster", default="slurm", choices=["slurm", "local"],
                   help="local: run the job array with submitit's local executor (no cluster)")
    p.add_argument("--numerics", choices=["reproducible", "native"],
                   help="floating-point mode: reproducible (the same numbers on any x86-64 CPU with these wheels, about "
                        "1.2x the CPU time; the default for --profile smoke) or native (each library's fastest kernels; "
                        "the default for --profile paper)")
    metric_options.add_arguments(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("score", help="score an external render against its reference")
    p.add_argument("--pred", required=True)
    p.add_argument("--ref", required=True)
    p.add_argument("--metric", action="append")
    p.add_argument("--json", action="store_true", help="print one JSON object keyed by metric name")
    p.add_argument("--device", default="cpu")
    p.add_argument("--audio", help="driving audio for the sync metrics (default: the prediction's own audio track)")
    metric_options.add_arguments(p)
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("leaderboard", help="print the stored results as the papers' tables")
    p.add_argument("--task")
    p.add_argument("--profile")
    p.add_argument("--dataset")
    p.add_argument("--format", default="md", choices=["md", "csv", "tex", "html"])
    p.add_argument("--out")
    p.add_argument("--with-claims", action="store_true", help="show the papers' claimed values beside the measured ones")
    p.add_argument("--ablation", metavar="METHOD", help="only METHOD and its --set variants, with each metric's difference "
                   "from the full method (the papers' ablation tables)")
    p.add_argument("--all-runs", action="store_true", help="every execution of each run (default: the latest per "
                   "configuration), one table per dataset version")
    p.set_defaults(func=cmd_leaderboard)

    p = sub.add_parser("check", help="compare stored results with a baseline (non-zero exit on regression)")
    p.add_argument("--baseline", required=True)
    p.add_argument("--write", action="store_true", help="rewrite the baseline from the latest stored results")
    p.add_argument("--profile", default="smoke", help="profile of the results --write takes")
    p.add_argument("--task", help="task of the results --write takes (default all)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("data", help="dataset preparation")
    dsub = p.add_subparsers(dest="action", required=True)
    q = dsub.add_parser("prepare", help="turn a local video (or an official NeRF data directory) into a card's clip")
    q.add_argument("--card", required=True)
    q.add_argument("--video", help="the talking-portrait video (video cards)")
    q.add_argument("--official-dir", help="a directory made by the official ER-NeRF/RAD-NeRF/AD-NeRF scripts "
                   "(transforms_*.json, ori_imgs/, parsing/, bc.jpg, aud.wav, ...) instead of --video")
    q.add_argument("--path", help="the corpus directory (speech-corpus cards such as voicebank-demand)")
    q.add_argument("--audio", help="separate audio file (default: the video's own audio)")
    q.add_argument("--for", dest="for_method", metavar="METHOD", help="make what METHOD needs (its declared annotations and "
                   "preferred poses, e.g. synctalk's head_pose_stabilized) instead of the default set; when the card has a "
                   "prepared clip (from this --video, or with no --video), only the passes of what it lacks run")
    q.add_argument("--landmarks", help="landmark backend: mediapipe (offline, default) or fan "
                   "(needs `bench weights install fan_s3fd` and `fan_2dfan4`)")
    q.add_argument("--audio-features", metavar="FILE.npy|NAME", help="precomputed DeepSpeech/HuBERT/wav2vec features, one row per "
                   "25 fps frame, or an extractor name (hubert, wav2vec, deepspeech: computed from the clip's audio with "
                   "installed weights), stored as annotation audio_features for the record (the NeRF methods compute "
                   "their own with --set audio_features=NAME; default log-mel)")
    q.add_argument("--max-missing", type=float, help="largest fraction of frames without a face (interpolated; default 0.1)")
    q.add_argument("--focal", type=float, help="camera focal length in pixels (default: searched)")
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
    q.add_argument("--device", help="device of the landmark backend (fan can use cuda) and of the 3dmm tracker (default cpu)")
    q.add_argument("--no-annotate", action="store_true", help="store frames and audio only (no landmarks, pose, masks, background)")
    q.set_defaults(func=cmd_data)

    p = sub.add_parser("denoise", help="denoise a speech file (16 kHz mono output)")
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--method", default="mss")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a denoiser config field")
    p.set_defaults(func=cmd_denoise)

    p = sub.add_parser("weights", help="pretrained files: status, install")
    p.add_argument("action", choices=["status", "install"])
    p.add_argument("name", nargs="?")
    p.add_argument("--from", dest="source")
    p.add_argument("--sha256", help="expected sha256 for files whose publisher gives none (else pinned at install)")
    p.set_defaults(func=cmd_weights)

    store_cli.add_parser(sub)
    export_cli.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point: one readable line and a non-zero exit on any user-facing error."""
    args = build_parser().parse_args(argv)
    try:
        if args.command != "list":  # every other command reads or writes $BENCH_HOME: a bad one is said first
            from talkbench.infra.paths import bench_home

            bench_home()
        if args.command == "run":
            from talkbench.cli.sweep import apply_sweep
            from talkbench.infra import numerics

            apply_sweep(args)
            # A command line re-executes itself with the reproducible environment (it must precede numpy and torch);
            # a call from Python keeps its process as it is, and provenance records which mode ran.
            numerics.ensure(args.numerics or ("reproducible" if args.profile == "smoke" else "native"),
                            sys.argv[1:] if argv is None else None)
        return args.func(args)
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; cached stages are kept, rerun the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
