"""The demo cases: one per stage, built through the real use cases, loaded once."""

from __future__ import annotations

from sqlalchemy import select

from app.auth.principal import Principal
from app.cases.models import Case
from app.cases.tasks import due_tasks
from app.demo.cases_seed import load_demo_cases
from app.demo.seed import load_demo_data
from tests.factories_catalogue import install_shipped_checklists, install_shipped_penalty_rules


def test_demo_cases_cover_the_stages_and_load_once(session) -> None:  # noqa: ANN001
    load_demo_data(session)
    install_shipped_checklists(session)
    install_shipped_penalty_rules(session)
    session.commit()
    report = load_demo_cases(session)
    session.commit()
    assert len(report) == 5, report
    stages = sorted(c.stage for c in session.scalars(select(Case)))
    assert stages == ["closed", "execution", "filing", "investigation", "notice"]
    assert load_demo_cases(session) == []
    # the investigation case's order is overdue: a re-inspection task for the demo inspector
    tasks = due_tasks(session, Principal(0, "x", "inspector", ("/410000/410800/410811/",)))
    assert len(tasks) == 1 and tasks[0].days_overdue == 10
