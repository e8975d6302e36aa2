"""``python -m xorjax.run ARGS`` for the tests, each run a fork of a Python that has imported xorjax already.

A run of the test suite starts about a hundred and twenty of them, and each would spend 1.5 s of its time (a
third of a small run's) importing JAX, Hydra and xorjax. Here one process per test worker imports them once,
computes nothing (JAX's runtime, its threads and its devices start in each child, after the fork) and forks a
child per run, which then does exactly what ``python -m xorjax.run`` does: in its own folder, environment and
umask, with its own stdin, stdout and stderr, the same ``__main__``, the same ``sys.path[0]``, its exit status.

``XORJAX_TEST_FORK=0`` starts every run as a fresh process instead (to compare, or to rule this out).
"""

import atexit
import json
import os
import runpy
import select
import signal
import subprocess
import sys
import tempfile
import threading


def _child(request: dict) -> None:
    """In the fork: becomes ``python -m xorjax.run ARGS`` and leaves with its exit status."""
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(os.open(request["stdout"], os.O_WRONLY | os.O_TRUNC), 1)
    os.dup2(os.open(request["stderr"], os.O_WRONLY | os.O_TRUNC), 2)
    sys.path[0] = os.getcwd()  # as ``python -m`` has it
    # xorjax.run runs as __main__ only, as ``-m`` runs it (the callbacks import it again, as they do there)
    del sys.modules["xorjax.run"], sys.modules["xorjax"].run
    sys.argv = ["-m", *request["args"]]
    code = 0
    try:
        runpy.run_module("xorjax.run", run_name="__main__", alter_sys=True)
    except SystemExit as e:
        if isinstance(e.code, int) or e.code is None:
            code = e.code or 0
        else:  # sys.exit("message"), as the interpreter does it
            print(e.code, file=sys.stderr)
            code = 1
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    # What the interpreter does at exit, bar freeing its modules: wait for the threads, run the atexit functions
    # (a launcher's clean-up: joblib's workers and their resources).
    threading._shutdown()
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _serve() -> None:
    """One request (JSON) a line on stdin; answers the child's pid, then its exit status, a line each."""
    import xorjax.run  # noqa: F401

    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)
        print(json.dumps(pid), flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps(os.waitstatus_to_exitcode(status)), flush=True)


class _Server:
    def __init__(self, env: dict, umask: int):
        # Started outside the repository, so that the installed xorjax is what it imports (as in a run); with the
        # run's umask, which xorjax.output.io reads when it is imported.
        self.env = env
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__)],
            cwd=tempfile.gettempdir(),
            env=env,
            umask=umask,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def _answer(self) -> int:
        line = self.proc.stdout.readline()
        if not line:  # e.g. xorjax not importable outside the repository: an installation pointing elsewhere
            raise RuntimeError("the Python that forks the runs (tests/prestarted.py) ended: its error is above")
        return json.loads(line)

    def run(self, args, cwd, env, timeout) -> subprocess.CompletedProcess:
        with tempfile.TemporaryDirectory() as folder:
            out, err = os.path.join(folder, "stdout"), os.path.join(folder, "stderr")
            for f in (out, err):
                open(f, "w").close()
            request = dict(args=list(args), cwd=str(cwd), env=env, stdout=out, stderr=err)
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            pid = self._answer()
            ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
            if not ready:
                os.kill(pid, signal.SIGKILL)
            returncode = self._answer()
            with open(out) as o, open(err) as e:
                stdout, stderr = o.read(), e.read()
        command = [sys.executable, "-m", "xorjax.run", *args]
        if not ready:
            raise subprocess.TimeoutExpired(command, timeout, stdout, stderr)
        return subprocess.CompletedProcess(command, returncode, stdout, stderr)


_servers, _lock = {}, threading.Lock()  # a server for each umask


def run(args, cwd, env: dict, timeout: float, umask: int = -1) -> subprocess.CompletedProcess:
    """``subprocess.run([python, -m, xorjax.run, *args], cwd=, env=, timeout=, umask=, capture_output=True,
    text=True)``, forked from the prestarted Python; a fresh process where that cannot serve (asked not to, a
    different environment at import time, or busy with another run of this process's threads)."""
    fresh = os.environ.get("XORJAX_TEST_FORK") == "0" or not hasattr(os, "fork")
    if not fresh and _lock.acquire(blocking=False):
        try:
            server = _servers.get(umask)
            if server is None or server.proc.poll() is not None or server.env != env_at_import(env):
                if server is not None:
                    server.proc.stdin.close()  # it ends when its input does
                server = _servers[umask] = _Server(env_at_import(env), umask)
            return server.run(args, cwd, env, timeout)
        finally:
            _lock.release()
    return subprocess.run(
        [sys.executable, "-m", "xorjax.run", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        umask=umask,
    )


def env_at_import(env: dict) -> dict:
    """What of ``env`` the imports may read: all of it but what only a run reads, and pytest's name of the test."""
    return {k: v for k, v in env.items() if k not in ("XORJAX_CACHE_DIR", "PYTEST_CURRENT_TEST")}


if __name__ == "__main__":
    _serve()
