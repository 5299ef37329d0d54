"""The `bench` command line: `build_parser()` and `main()`; `run`, `score`, `leaderboard` and `denoise` live here,
the other commands in their own modules (each registers itself with `add_parser(sub)`)."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from talkbench.cli import baseline as check_cli
from talkbench.cli import compare as compare_cli
from talkbench.cli import export as export_cli
from talkbench.cli import checks
from talkbench.cli import data as data_cli
from talkbench.cli import listing as list_cli
from talkbench.cli import store as store_cli
from talkbench.cli import weights as weights_cli
from talkbench.cli.help import HelpFormatter, VersionAction, add_command
from talkbench.core.channels import CHANNELS
from talkbench.core.errors import BenchError
from talkbench.core.profiles import PROFILES, default_numerics, profile_help

DEVICE_HELP = "torch device: auto (CUDA when present, else the CPU), cpu, cuda or cuda:N"
"""Every command's --device takes the same values with the same default."""


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
        # The claims tables of the methods this command ran, with the columns talkbench measures (--with-claims:
        # every claims table of these leaderboard tables, every column).
        claims = (render_claims(tables, "md") if args.with_claims
                  else render_claims(tables, "md", methods=set(methods), measured_only=True))
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

    from talkbench.infra.devices import resolve_device

    checks.check_device(args.device)
    options = metric_options.from_args(args)
    checks.check_metric_options(options)
    results, notes = score_files(args.pred, args.ref, args.metric, resolve_device(args.device), options, audio=args.audio,
                                 channel=args.channel)
    if args.json:
        print(to_json(results, notes, {"pred": args.pred, "ref": args.ref}))
    else:
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
        for name, res in results.items():
            width = max(8, *(len(n) for n in results))  # "pesq[right]" with --channel each
            if res.available:
                shown = "∞" if math.isinf(res.value) else f"{res.value:.4f}"
                print(f"{name:{width}s} {shown}")
            else:
                print(f"{name:{width}s} unavailable: {res.unavailable_reason}")
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
    text = render(shown, args.format, ci=args.ci)
    if args.with_claims:
        claims = render_claims(tables, args.format)
        text += ("\n" + claims) if claims else "\n(no paper claims for these tables)\n"
    if out is not None:
        out.write_text(text)
        print(f"wrote {out}")
    else:
        print(text, end="")
    return 0


def cmd_denoise(args: argparse.Namespace) -> int:
    """Denoise a speech file with a registered enhance-task method."""
    from talkbench.harness.denoise import denoise_file

    notes = denoise_file(args.input, args.output, args.method, checks.parse_sets(args.set), channel=args.channel)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"wrote {args.output} ({args.method}{', each channel' if args.channel == 'each' else ''})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `bench`."""
    parser = argparse.ArgumentParser(
        prog="bench", formatter_class=HelpFormatter,
        description="Train, render, score and tabulate audio-driven talking-portrait methods. Results go to run "
                    "directories\nunder $BENCH_HOME/runs and a SQLite index; `bench COMMAND --help` describes each command.",
        epilog="examples:\n  bench list methods\n"
               "  bench run --method static --method retrieval --dataset synthetic-portrait\n"
               "  bench leaderboard --with-claims\n"
               "  bench check --baseline reports/baselines/smoke.json")
    parser.add_argument("--version", action=VersionAction, help="print talkbench's version (and git commit) and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                help="what to do (bench COMMAND --help describes each)")
    list_cli.add_parser(sub)
    _add_run(sub)
    _add_score(sub)
    _add_leaderboard(sub)
    check_cli.add_parser(sub)
    data_cli.add_parser(sub)
    _add_denoise(sub)
    weights_cli.add_parser(sub)
    store_cli.add_parser(sub)
    compare_cli.add_parser(sub)
    export_cli.add_parser(sub)
    return parser


def _add_run(sub: argparse._SubParsersAction) -> None:
    """Register `bench run`."""
    from talkbench.core import metric_options

    p = add_command(sub, "run", "train, render, score and store methods on datasets (one job or a sweep)",
                    "Train, render, score and store every method x dataset x --set value x seed (jobs already stored "
                    "complete and\nup to date are skipped), then print the leaderboard of those datasets and, for the "
                    "methods that ran, the papers'\nclaimed values beside the measured ones.",
                    ["bench run --method static --method retrieval --dataset synthetic-portrait",
                     "bench run --method er-nerf --dataset may --profile paper --device cuda",
                     "bench run --method er-nerf --dataset synthetic-portrait --set optim.lr=1e-3,1e-2 --seed 0,1,2",
                     "bench run --task enhance --method all --dataset synthetic-noisy-speech --executor process --jobs 2"])
    p.add_argument("--method", action="append", metavar="NAME", help="method name, repeatable; 'all' = every method of the task "
                   "(bench list methods)")
    p.add_argument("--dataset", action="append", metavar="NAME", help="dataset card name, repeatable (bench list datasets)")
    p.add_argument("--task", help="reconstruct (the default), lipsync or enhance (bench list tasks)")
    p.add_argument("--profile", choices=list(PROFILES), help="default: the task's (lipsync for the lipsync task, "
                   "else smoke). " + profile_help())
    p.add_argument("--seed", action="append", help="method seeds: --seed 0,1,2 or repeated (default 0)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE[,VALUE...]",
                   help="override a method config field (bench list config METHOD lists them); several "
                        "comma-separated values make a grid axis")
    p.add_argument("--sweep", metavar="FILE.toml", help="a sweep file naming methods, datasets, seeds and a --set grid "
                   "(talkbench.cli.sweep); the command line adds to it")
    p.add_argument("--metric", action="append", metavar="NAME", help="score only these metrics, repeatable (default: the task's)")
    p.add_argument("--overwrite", default="only-missing", choices=["never", "only-missing", "always"],
                   help="rerun a stored job: never, only-missing (when its complete, up-to-date result is missing) or "
                        "always")
    p.add_argument("--out", metavar="DIR", help="parent directory of the run directories (default $BENCH_HOME/runs)")
    p.add_argument("--device", default="auto", help=DEVICE_HELP)
    p.add_argument("--no-leaderboard", action="store_true", help="do not print the leaderboard at the end")
    p.add_argument("--only-these", action="store_true", help="leaderboard shows only the runs of this command")
    p.add_argument("--with-claims", action="store_true", help="show every claims table of the printed leaderboard "
                   "with all the papers' columns (default: only the tables of the methods that ran, only the metrics "
                   "talkbench measures)")
    p.add_argument("--executor", default="local",
                   help="where jobs run: local (this process), process (a local pool, --jobs N), ray, slurm, "
                        "or one an installed package declares (talkbench.executors entry points)")
    p.add_argument("--jobs", type=int, default=2, metavar="N", help="concurrent jobs of --executor process")
    p.add_argument("--ray-address", metavar="ADDR", help="a running Ray cluster (default: start a local one)")
    p.add_argument("--slurm-partition", metavar="NAME", help="SLURM partition of --executor slurm (default: the "
                   "cluster's default partition)")
    p.add_argument("--gpus-per-job", type=float, metavar="G", help="GPUs per Ray/SLURM job (default: what the method declares)")
    p.add_argument("--slurm-time", type=int, default=240, metavar="MIN", help="time limit of each SLURM job, minutes")
    p.add_argument("--slurm-folder", metavar="DIR", help="submitit's job folder (default "
                   "$BENCH_HOME/slurm/<time>-<sweep>)")
    p.add_argument("--slurm-cluster", default="slurm", choices=["slurm", "local"],
                   help="slurm: submit to the cluster; local: run the job array with submitit's local executor (no "
                        "cluster)")
    p.add_argument("--numerics", choices=["reproducible", "native"],
                   help="floating-point mode: reproducible (the same numbers on any x86-64 CPU with these wheels, about "
                        "1.2x the CPU time; the default for --profile smoke) or native (each library's fastest kernels; "
                        "the default for --profile paper)")
    metric_options.add_arguments(p)
    p.set_defaults(func=cmd_run)


def _add_score(sub: argparse._SubParsersAction) -> None:
    """Register `bench score`."""
    from talkbench.core import metric_options

    p = add_command(sub, "score", "score an external render against its reference",
                    "Score a video (or speech file) made outside talkbench against its reference with talkbench's "
                    "metrics;\nnothing is stored. The sync metrics read the prediction's own audio track unless --audio "
                    "is given.",
                    ["bench score --pred render.mp4 --ref gt.mp4",
                     "bench score --pred render.mp4 --ref gt.mp4 --metric psnr --metric lmd --landmarks fan --json",
                     "bench score --pred enhanced.wav --ref clean.wav --metric pesq --metric stoi"])
    p.add_argument("--pred", required=True, metavar="FILE", help="the render (video) or enhanced speech (wav) to score")
    p.add_argument("--ref", required=True, metavar="FILE", help="its ground truth, same length and resolution")
    p.add_argument("--metric", action="append", help="score only these metrics, repeatable (default: every metric of "
                   "the files' kind; bench list metrics)")
    p.add_argument("--json", action="store_true", help="print one JSON object keyed by metric name")
    p.add_argument("--device", default="auto", help=DEVICE_HELP)
    p.add_argument("--audio", metavar="FILE", help="driving audio for the sync metrics (default: the prediction's own "
                   "audio track)")
    p.add_argument("--channel", default="mean", choices=CHANNELS, help="speech files: score the mean of the channels "
                   "(downmix, said in a note), the left or right channel, or each channel on its own (values reported "
                   "per channel as metric[left], metric[right]; a mono --ref serves every channel)")
    metric_options.add_arguments(p)
    p.set_defaults(func=cmd_score)


def _add_leaderboard(sub: argparse._SubParsersAction) -> None:
    """Register `bench leaderboard`."""
    p = add_command(sub, "leaderboard", "print the stored results as the papers' tables",
                    "Print (or write) the stored results as the papers' tables: ↑/↓ per metric, best bold, second "
                    "underlined,\nthe latest execution per configuration on the latest content of each dataset, "
                    "mean over seeds.",
                    ["bench leaderboard", "bench leaderboard --task enhance --with-claims",
                     "bench leaderboard --format tex --out tables.tex", "bench leaderboard --ablation wildtalker"])
    p.add_argument("--task", help="only this task (default: every task)")
    p.add_argument("--profile", help=f"only this profile: {', '.join(PROFILES)} (default: every profile)")
    p.add_argument("--dataset", help="only this dataset card (default: every dataset)")
    p.add_argument("--format", default="md", choices=["md", "csv", "tex", "html"], help="output format")
    p.add_argument("--out", metavar="FILE", help="write the tables to FILE instead of printing them")
    p.add_argument("--with-claims", action="store_true", help="show the papers' claimed values beside the measured ones")
    p.add_argument("--ablation", metavar="METHOD", help="only METHOD and its --set variants, with each metric's difference "
                   "from the full method (the papers' ablation tables)")
    p.add_argument("--all-runs", action="store_true", help="every execution of each run (default: the latest per "
                   "configuration), one table per dataset version")
    p.add_argument("--ci", action="store_true", help="show each value's 95 %% CI (over frames for one seed, over seeds "
                   "for several) after it; best/second are marked only where the intervals separate, ≈ marks ties")
    p.set_defaults(func=cmd_leaderboard)


def _add_denoise(sub: argparse._SubParsersAction) -> None:
    """Register `bench denoise`."""
    p = add_command(sub, "denoise", "denoise a speech file (16 kHz output)",
                    "Denoise a speech file with an enhance-task method (bench list methods: tasks=enhance); the input "
                    "is resampled\nto 16 kHz and downmixed to mono (--channel chooses otherwise), the output written as "
                    "16 kHz wav.\n`bench list config METHOD` lists the --set keys.",
                    ["bench denoise noisy.wav clean.wav", "bench denoise noisy.wav out.wav --method wiener",
                     "bench denoise noisy.wav out.wav --method mss --set alpha=2.0",
                     "bench denoise stereo.wav out.wav --channel each"])
    p.add_argument("input", help="the noisy speech file (any rate, mono or stereo)")
    p.add_argument("output", help="where the denoised 16 kHz wav goes (mono; with --channel each, one channel per input "
                   "channel)")
    p.add_argument("--method", default="mss", help="the enhance method")
    p.add_argument("--channel", default="mean", choices=CHANNELS, help="stereo input: denoise the mean of the channels "
                   "(downmix, said in a note), the left or right channel, or each channel on its own (a stereo output)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a denoiser config field")
    p.set_defaults(func=cmd_denoise)

from talkbench.cli import export as export_cli

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
            numerics.ensure(args.numerics or default_numerics(args.profile),
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
