"""Role desks, the portfolio, search and the technology inventory pages. Views read services only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from charter.services import desks, search, tech
from charter.web.app import render
from charter.web.forms import DB, Session

router = APIRouter()


@router.get("/desk", response_class=HTMLResponse)
def desk_page(request: Request, db: DB, info: Session) -> HTMLResponse:
    with db.uow(readonly=True) as s:
        d = desks.desk(s, info.actor)
    return render(request, "desk.html", {"desk": d})


@router.get("/portfolio", response_class=HTMLResponse)
def portfolio_page(request: Request, db: DB, info: Session) -> HTMLResponse:
    with db.uow(readonly=True) as s:
        p = desks.portfolio(s, info.actor)
    return render(request, "portfolio.html", {"portfolio": p})


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, db: DB, info: Session, q: str = "") -> HTMLResponse:
    with db.uow(readonly=True) as s:
        out = search.search(s, info.actor, q[:200])
    return render(request, "search.html", {"q": out["query"], "out": out})


@router.get("/tech", response_class=HTMLResponse)
def inventory_page(request: Request, db: DB, info: Session) -> HTMLResponse:
    with db.uow(readonly=True) as s:
        rows = tech.list_components(s, info.actor)
    return render(request, "tech.html", {"rows": rows})


@router.get("/tech/{component_id}", response_class=HTMLResponse)
def component_page(request: Request, db: DB, info: Session, component_id: int) -> HTMLResponse:
    with db.uow(readonly=True) as s:
        c = tech.get_component(s, info.actor, component_id)
    return render(request, "tech.html", {"rows": [c], "one": c})
