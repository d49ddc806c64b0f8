"""The load generator of `charter bench load`: locust used as a library, in a process of its own (locust patches
the standard library for gevent on import, which must not touch the process that seeds the database).

Run by the benchmark as ``python -m benchmarks.load.generator CONFIG.json OUT.json``; CONFIG names the target
(``mix``: "charter" or "bare"), the host, users, duration and, for Charter, the seeded project and people.
Each simulated user works without think time (a closed loop: 50 users = 50 requests in flight at most), so the
figures measure capacity; the same holds for the bare endpoint, which makes the two comparable.
"""

from __future__ import annotations

import json
import random
import re
import sys
import time
from itertools import count
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, between, constant, events, task
from locust.env import Environment

CONFIG: dict[str, Any] = {}
_next_user = count()
_logged_in: list[int] = []  # one entry per user whose on_start finished (the web login hashes a password)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

# operation name -> read or write (the targets differ)
KINDS = {
    "list tasks": "read",
    "open gantt data": "read",
    "open dashboard": "read",
    "open task": "read",
    "edit task": "write",
    "log time": "write",
    "post message": "write",
    "bare endpoint": "read",
}


class CharterUser(FastHttpUser):
    """A Task Leader's day: list the package's tasks, open the Gantt data and the project dashboard, open and
    edit a task of the package, log time on it, post a message to the PM."""

    wait_time = constant(0)

    def on_start(self) -> None:
        people = CONFIG["people"]
        self.me = people[next(_next_user) % len(people)]
        self.pid = CONFIG["project_id"]
        self.rng = random.Random(self.me["username"])
        self.headers = {"Authorization": f"Bearer {self.me['token']}"}
        self.logs = list(self.me["loggable"])  # (task id, day) pairs not logged yet
        self.future = set(self.me["future"])
        page = self.client.get("/login", name="web login")
        m = CSRF.search(page.text or "")
        data = {"username": self.me["username"], "password": CONFIG["password"],
                "csrf_token": m.group(1) if m else "", "next": "/projects"}  # fmt: skip
        self.client.post("/login", data=data, name="web login", allow_redirects=False)
        _logged_in.append(1)

    @task(5)
    def list_tasks(self) -> None:
        self.client.get(
            f"/api/v1/projects/{self.pid}/tasks",
            params={"work_package_id": self.me["wp"], "limit": 100},
            headers=self.headers,
            name="list tasks",
        )

    @task(2)
    def gantt(self) -> None:
        self.client.get(f"/projects/{self.pid}/gantt.json", name="open gantt data")

    @task(2)
    def dashboard(self) -> None:
        self.client.get(f"/projects/{self.pid}", name="open dashboard")

    @task(3)
    def edit_task(self) -> None:
        tid = self.rng.choice(self.me["tasks"])
        r = self.client.get(
            f"/api/v1/projects/{self.pid}/tasks/{tid}", headers=self.headers, name="open task"
        )
        if r.status_code != 200:
            return
        body: dict[str, Any] = {"version": r.json()["version"], "description": f"note {time.time():.3f}"}
        if tid in self.future and self.rng.random() < 0.5:  # a task not started yet: re-plan it
            body["duration"] = f"{self.rng.randint(1, 3)}d"
        with self.client.patch(
            f"/api/v1/projects/{self.pid}/tasks/{tid}",
            json=body,
            headers=self.headers,
            name="edit task",
            catch_response=True,
        ) as resp:
            if resp.status_code == 409:  # another user of the same package won: a correct answer
                resp.success()

    @task(2)
    def log_time(self) -> None:
        if not self.logs:
            return
        tid, day = self.logs.pop()
        with self.client.post(
            f"/api/v1/projects/{self.pid}/timesheet",
            json={"task_id": tid, "day": day, "hours": "0.25h", "note": "load test"},
            headers=self.headers,
            name="log time",
            catch_response=True,
        ) as resp:
            if resp.status_code == 409:  # a user sharing this person logged that day first: a correct answer
                resp.success()

    @task(1)
    def post_message(self) -> None:
        self.client.post(
            f"/api/v1/projects/{self.pid}/messages",
            json={"to": "pm", "subject": "Status", "body": "Package on track; see the Gantt."},
            headers=self.headers,
            name="post message",
        )


class BareUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def ping(self) -> None:
        self.client.get("/ping", name="bare endpoint")


def run(config: dict[str, Any]) -> dict[str, Any]:
    CONFIG.update(config)
    user_class = CharterUser if config["mix"] == "charter" else BareUser
    if config.get("think"):  # users who read what they got before the next request
        low, high = config["think"]
        user_class.wait_time = between(float(low), float(high))
    env = Environment(user_classes=[user_class], host=config["host"], events=events)
    runner = env.create_local_runner()
    users = int(config["users"])
    runner.start(users, spawn_rate=max(users, 1))  # all users at once
    ramp = float(config.get("ramp_seconds", 3.0))
    if (
        user_class is CharterUser
    ):  # every login (a deliberately slow password hash each) ends before measuring
        deadline = time.monotonic() + 120
        while len(_logged_in) < users and time.monotonic() < deadline:
            gevent.sleep(0.2)
    gevent.sleep(ramp)  # logins and first requests settle, then the measured window starts
    env.stats.reset_all()
    started = time.monotonic()
    gevent.sleep(float(config["seconds"]))
    elapsed = time.monotonic() - started
    snapshot = {}
    for (name, method), e in env.stats.entries.items():
        if name == "web login" or not e.num_requests:
            continue
        snapshot[name] = {
            "method": method,
            "kind": KINDS.get(name, "read"),
            "requests": e.num_requests,
            "failures": e.num_failures,
            "rps": round(e.num_requests / elapsed, 2),
            "p50_ms": e.get_response_time_percentile(0.5),
            "p95_ms": e.get_response_time_percentile(0.95),
            "p99_ms": e.get_response_time_percentile(0.99),
            "max_ms": round(e.max_response_time or 0, 1),
        }
    errors = [
        {"name": err.name, "method": err.method, "error": str(err.error)[:300], "count": err.occurrences}
        for err in env.stats.errors.values()
    ]
    runner.quit()
    return {"seconds": round(elapsed, 2), "users": users, "operations": snapshot, "errors": errors[:20]}


def main(argv: list[str]) -> int:
    config = json.loads(Path(argv[0]).read_text())
    Path(argv[1]).write_text(json.dumps(run(config)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
