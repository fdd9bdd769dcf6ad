"""``LantianFlask`` remembers whether each function is a coroutine function, and still runs both kinds."""

from __future__ import annotations

import gc

from flask.views import MethodView

from app.factory import LantianFlask


class _Thing(MethodView):
    def get(self) -> str:
        return "method view"


def _app() -> LantianFlask:
    app = LantianFlask(__name__)

    @app.get("/sync")
    def sync_view() -> str:
        return "sync"

    @app.get("/async")
    async def async_view() -> str:
        return "async"

    app.add_url_rule("/thing", view_func=_Thing.as_view("thing"))
    return app


def test_sync_async_and_method_views_answer_on_every_request() -> None:
    client = _app().test_client()
    for _ in range(3):  # the second and later requests use the remembered answer
        assert client.get("/sync").get_data(as_text=True) == "sync"
        assert client.get("/async").get_data(as_text=True) == "async"
        assert client.get("/thing").get_data(as_text=True) == "method view"


def test_a_bound_method_is_remembered_by_its_function() -> None:
    app = _app()
    first, second = _Thing(), _Thing()
    assert app.ensure_sync(first.get) == first.get
    assert app.ensure_sync(second.get) == second.get  # MethodView binds a new method per request
    assert list(app._is_coroutine.values()).count(False) == 1


def test_an_unhashable_callable_is_asked_every_time() -> None:
    class Unhashable:
        __hash__ = None  # type: ignore[assignment]

        def __call__(self) -> str:
            return "called"

    app = _app()
    func = Unhashable()
    assert app.ensure_sync(func) is func


def test_a_callable_made_per_request_is_not_kept_after_it_is_gone() -> None:
    app = _app()

    def make() -> object:
        def after(response: object) -> object:  # like an after_this_request closure
            return response

        return after

    for _ in range(100):
        app.ensure_sync(make())
    gc.collect()
    assert len(app._is_coroutine) == 0
