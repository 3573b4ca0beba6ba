import json

import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from socialnlp.signals import Router, load_routes
from socialnlp.signals.routing import RoutesError

GERMAN_ROUTES = """\
teams:
  network:
    description: Störungen bei Breitband, Mobilfunk und Internet
    examples: ["seit heute morgen kein Internet", "Handy hat kein Netz mehr"]
  payments:
    description: Zahlungen, Abbuchungen und Rechnungen
    examples: ["Karte wurde zweimal belastet", "Zahlung abgelehnt"]
  app:
    description: Fehler in App und Webseite
    examples: ["App stürzt beim Login ab", "Webseite zeigt Fehler 500"]
unrouted_threshold: 0.35
"""


def write(tmp_path, text, name="routes.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def router(tmp_path_factory, use_embedder):
    path = write(tmp_path_factory.mktemp("routes"), GERMAN_ROUTES)
    return Router(path, embedder=use_embedder, cache_dir=False).fit()


# --- routes.yaml ----------------------------------------------------------------------

def test_load_routes_reads_teams_in_file_order(tmp_path):
    routes = load_routes(write(tmp_path, GERMAN_ROUTES))
    assert [t.name for t in routes.teams] == ["network", "payments", "app"]
    assert routes.teams[0].examples == ("seit heute morgen kein Internet", "Handy hat kein Netz mehr")
    assert routes.unrouted_threshold == 0.35


def test_missing_teams_names_file_and_key(tmp_path):
    path = write(tmp_path, "unrouted_threshold: 0.3\n")
    with pytest.raises(RoutesError, match=r"routes\.yaml: teams: missing"):
        load_routes(path)


def test_team_without_description_or_examples_is_an_error(tmp_path):
    path = write(tmp_path, "teams:\n  network:\n    examples: []\n")
    with pytest.raises(RoutesError, match=r"routes\.yaml: teams\.network: a team needs a description or at least one example"):
        load_routes(path)


def test_non_string_example_names_its_position(tmp_path):
    path = write(tmp_path, "teams:\n  network:\n    examples: [kein Internet, 404]\n")
    with pytest.raises(RoutesError, match=r"teams\.network\.examples\[1\]: expected a string, got int"):
        load_routes(path)


def test_yaml_syntax_error_gives_the_line(tmp_path):
    path = write(tmp_path, "teams:\n  network:\n    examples: [kein Internet\n  payments: {}\n")
    with pytest.raises(RoutesError, match=r"routes\.yaml: YAML syntax error at line \d+"):
        load_routes(path)


def test_misspelt_key_is_an_error_not_a_silent_default(tmp_path):
    path = write(tmp_path, "teams:\n  network:\n    description: Internet\n    exmaples: [kein Netz]\n")
    with pytest.raises(RoutesError, match=r"teams\.network\.exmaples: unknown key"):
        load_routes(path)


def test_unrouted_is_a_reserved_team_name(tmp_path):
    with pytest.raises(RoutesError, match="reserved"):
        load_routes(write(tmp_path, "teams:\n  unrouted:\n    description: anything\n"))


# --- routing --------------------------------------------------------------------------

def test_german_examples_route_a_chinese_incident(router):
    clusters = pd.DataFrame({
        "keywords_zh": ["宽带 断网 没网", "扣款，退款"],
        "keywords_en": ["", ""],
        "representative_texts": [json.dumps(["宽带断了一上午", "家里没网了，什么时候修好"], ensure_ascii=False),
                                 ["银行卡被扣了两次钱", "支付失败还扣费了"]],
    }, index=["inc-7", "inc-9"])
    routed = router.route(clusters)
    assert list(routed.columns) == ["team", "confidence", "runner_up", "runner_up_confidence"]
    assert list(routed.index) == ["inc-7", "inc-9"]
    assert routed["team"].tolist() == ["network", "payments"]
    assert (routed["confidence"] > routed["runner_up_confidence"]).all()
    assert routed["confidence"].between(0, 1).all()


def test_plain_texts_route_in_any_language(router):
    routed = router.route(["网站打不开 500错误", ["no signal since this morning", "mobile data down"]])
    assert routed["team"].tolist() == ["app", "network"]


def test_incident_no_team_owns_is_unrouted_with_nearest_team_as_runner_up(router):
    routed = router.route([["Zug fällt aus, 40 Minuten Verspätung", "S-Bahn steht schon wieder"]])
    assert routed.loc[0, "team"] == "unrouted"
    assert routed.loc[0, "confidence"] < 0.35
    assert routed.loc[0, "runner_up"] in {"network", "payments", "app"}


def test_incident_without_text_is_unrouted(router):
    routed = router.route(pd.DataFrame({"keywords_de": [None], "representative_texts": [[]]}))
    assert routed.loc[0, "team"] == "unrouted" and routed.loc[0, "confidence"] == 0.0


def test_threshold_argument_overrides_the_file(router):
    strict = Router(router.routes, embedder=router.embedder, threshold=0.99, cache_dir=False).fit()
    assert strict.threshold_ == 0.99 and router.threshold_ == 0.35
    assert strict.route(["宽带断了一上午"]).loc[0, "team"] == "unrouted"


def test_routing_one_by_one_equals_routing_in_a_batch(router):
    texts = ["APP 闪退 登录不了", "charged twice for my subscription", "kein Netz in Berlin"]
    batch = router.route(texts)
    single = pd.concat([router.route([t]) for t in texts], ignore_index=True)
    pd.testing.assert_frame_equal(batch, single, atol=1e-5)


def test_routes_as_a_dict_work_like_a_file(use_embedder):
    routes = {"teams": {"network": {"examples": ["kein Internet"]}, "payments": {"description": "Zahlungen und Rechnungen"}}}
    router = Router(routes, embedder=use_embedder, cache_dir=False).fit()
    assert router.teams_ == ["network", "payments"]


def test_route_before_fit_is_a_clear_error(use_embedder):
    with pytest.raises(NotFittedError):
        Router({"teams": {"network": {"examples": ["kein Internet"]}}}, embedder=use_embedder).route(["kein Netz"])


def test_a_table_without_incident_columns_is_a_clear_error(router):
    with pytest.raises(ValueError, match="representative_texts"):
        router.route(pd.DataFrame({"text": ["kein Netz"]}))
