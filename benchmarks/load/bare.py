"""The ceiling of the load benchmark: a trivial FastAPI endpoint served exactly like Charter (uvicorn, the same
number of worker processes, a synchronous route run in the thread pool like Charter's routes), measured in the
same run with the same load generator. Whatever Charter loses against it is Charter's own cost."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/ping")
def ping() -> dict[str, bool]:
    return {"ok": True}
