"""Runs Python programs with llm-sandbox on behalf of bench/compare.ts.

Reads one JSON job per line on stdin, {"id": n, "code": "..."}, and answers each with one JSON
line on stdout, {"id": n, "exitCode": int | null, "stdout": str, "stderr": str, "error": str | null},
in completion order. Every job gets its own SandboxSession, the library's documented unit of
isolation: a fresh container is created for it, the program runs, the container is removed.
Jobs run on a thread pool, so the caller decides the concurrency by how many it keeps in flight.
"""

import argparse
import json
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import docker
from llm_sandbox import SandboxSession


def session_options(image: str, client: docker.DockerClient) -> dict:
    return {
        "client": client,
        "lang": "python",
        "image": image,
        # The image is local; llm-sandbox only pulls (and later removes) an image it cannot find.
        "keep_template": True,
        # The default setup makes a venv and upgrades pip in it, which needs ensurepip in the image
        # and PyPI from inside the container; neither is available, and the image already has
        # everything the programs import.
        "skip_environment_setup": True,
        "runtime_configs": {
            # The same network isolation as the other two paths.
            "network_mode": "none",
            # The image's command is `sleep infinity`, which as PID 1 ignores the SIGTERM of
            # container.stop(), so every close() would wait Docker's 10 s grace period.
            "init": True,
        },
    }


def run_job(job: dict, options: dict) -> dict:
    try:
        with SandboxSession(**options) as session:
            result = session.run(job["code"])
        return {
            "id": job["id"],
            "exitCode": result.exit_code,
            "stdout": result.stdout,
            "stderr": result.stderr,
            "error": None,
        }
    except Exception as err:  # noqa: BLE001 - every failure is reported to the caller as data
        return {"id": job["id"], "exitCode": None, "stdout": "", "stderr": "", "error": f"{type(err).__name__}: {err}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--image", required=True)
    parser.add_argument("--max-workers", type=int, default=64)
    args = parser.parse_args()

    # One pooled HTTP connection to dockerd per worker thread, instead of docker-py's default 10.
    client = docker.from_env(max_pool_size=args.max_workers)
    options = session_options(args.image, client)
    write_lock = threading.Lock()

    def answer(job: dict) -> None:
        line = json.dumps(run_job(job, options))
        with write_lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    with ThreadPoolExecutor(max_workers=args.max_workers) as pool:
        for line in sys.stdin:
            if line.strip():
                pool.submit(answer, json.loads(line))


if __name__ == "__main__":
    main()
