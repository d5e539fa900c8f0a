"""The Comtrade client's URLs against two independent references, and the answers it parses.

References: the URLs comtradr recorded against the live API (``*.meta.json``)
and the requests ``comtradeapicall`` (the UN's package) would send, captured
at its urllib3 layer. Parameter names are compared case-insensitively:
``comtradeapicall`` sends ``reportercode`` where the API documentation and
comtradr write ``reporterCode``.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pandas as pd
import pytest

from replay import recorded
from retrade.config import load_settings
from retrade.fetch.comtrade import (
    Call,
    ComtradeClient,
    check_catalog,
    known_reporters,
    reference_table,
    refresh_reference,
)
from retrade.fetch.comtrade.planner import base_call
from retrade.fetch.comtrade.request import build_request
from retrade.store import RawStore

FIXTURES = "comtradr-fixtures"


def _query(url: str) -> dict[str, str]:
    return {k.lower(): v for k, v in parse_qsl(urlsplit(url).query)}


def test_params_equal_what_comtradr_recorded_against_the_live_api(shared):
    name = "data_v1_get_C_A_HS_chn_imports_2010_total_4partners.meta.json"
    url = json.loads((shared(FIXTURES) / name).read_text())["url"]
    # the recorded query named no flow and no maxRecords; our call names both
    call = Call("data", "A", (156,), ("2010",), (32, 280, 276), (), ("TOTAL",))
    ours = {k.lower(): v.lower() for k, v in call.params(max_records=100_000).items()
            if k != "maxRecords"}
    assert urlsplit(url).path == call.path
    assert ours == {k: v.lower() for k, v in _query(url).items()}


@pytest.fixture
def captured(monkeypatch):
    import urllib3

    sent = []

    class Reply:
        status = 200
        data = b'{"elapsedTime": "0", "count": 0, "data": [], "error": ""}'

    def request(self, method, url, fields=None, **kw):
        sent.append((method, url, {k: str(v) for k, v in (fields or {}).items()}))
        return Reply()

    monkeypatch.setattr(urllib3.PoolManager, "request", request)
    return sent


@pytest.mark.parametrize("keyed", [False, True])
def test_paths_and_params_equal_comtradeapicall(captured, keyed):
    import comtradeapicall

    request = build_request(reporters=["CHN", "USA"], partners=["WLD", "JPN"], flows="M,X",
                            hs="compounds", periods="2020-2021")
    call = base_call(request, endpoint="data" if keyed else "preview")
    args = dict(typeCode="C", freqCode="A", clCode="HS", period="2020,2021",
                reporterCode="156,842", cmdCode="284610,284690", flowCode="M,X",
                partnerCode="0,392", partner2Code="0", customsCode="C00", motCode="0",
                maxRecords=500, includeDesc=True)
    if keyed:
        comtradeapicall.getFinalData("test-key-0123456789", **args)
    else:
        comtradeapicall.previewFinalData(**args)
    method, url, fields = captured[0]
    fields.pop("subscription-key", None)
    fields["includeDesc"] = fields["includeDesc"].lower()
    assert method == "GET" and urlsplit(url).path == call.path
    ours = {k.lower(): v for k, v in call.params(max_records=500).items()}
    assert ours == {k.lower(): v for k, v in fields.items()}


def test_availability_path_matches_comtradeapicall(captured, httpserver, tmp_path):
    import comtradeapicall

    comtradeapicall.getFinalDataAvailability("test-key-0123456789", typeCode="C", freqCode="A",
                                             clCode="HS", period="2020", reporterCode="156")
    theirs = urlsplit(captured[0][1]).path
    httpserver.expect_request(theirs).respond_with_json(
        {"count": 1, "data": [{"reporterCode": 156, "period": "2020",
                               "lastReleased": "2021-06-01T00:00:00"}], "error": ""})
    settings = load_settings(data_dir=tmp_path, comtrade_key="test-key-0123456789", min_interval=0,
                             comtrade_url=httpserver.url_for("/").rstrip("/"))
    answer = ComtradeClient(settings).availability(
        type_code="C", frequency="A", classification="HS", reporters=(156,), periods=("2020",))
    assert answer.rows[0]["lastReleased"] == "2021-06-01T00:00:00"


@pytest.mark.parametrize(("stem", "count"), [("bulk_v1_get_C_A_HS_filelist", 1),
                                             ("bulk_v1_get_C_A_HS_empty", 0)])
def test_bulk_file_list_is_parsed(shared, httpserver, tmp_path, stem, count):
    status, headers, body = recorded(shared(FIXTURES), stem)
    httpserver.expect_request("/bulk/v1/get/C/A/HS").respond_with_data(body, status, headers)
    settings = load_settings(data_dir=tmp_path, comtrade_key="test-key-0123456789", min_interval=0,
                             comtrade_url=httpserver.url_for("/").rstrip("/"))
    answer = ComtradeClient(settings).bulk_files(type_code="C", frequency="A",
                                                 classification="HS", reporters=(32,))
    assert answer.count == count == len(answer.rows)
    if count:
        assert answer.rows[0]["reporterCode"] == 32 and len(answer.rows[0]["fileUrl"]) == 64
    assert httpserver.log[0][0].args["reporterCode"] == "32"


def test_reference_lists_refresh_into_the_store_and_check_the_catalog(shared, httpserver, tmp_path):
    status, headers, body = recorded(shared(FIXTURES), "reference_Reporters")
    httpserver.expect_request("/files/v1/app/reference/Reporters.json").respond_with_data(
        body, status, headers)
    settings = load_settings(data_dir=tmp_path, min_interval=0,
                             comtrade_url=httpserver.url_for("/").rstrip("/"))
    assert refresh_reference(["Reporters"], settings=settings) == {"Reporters": 255}
    assert refresh_reference(["Reporters"], settings=settings) == {"Reporters": 255}
    store = RawStore(tmp_path / "raw")
    table = reference_table(store, "Reporters")
    assert len(table) == 255  # the refresh replaced the list, it did not append
    reporters = known_reporters(store)
    assert reporters[842] == "USA" and reporters[490] == "Other Asia, nes" and 0 not in reporters
    check = check_catalog(table, name="Reporters")
    # every current reporter maps; only areas that ceased to exist before 1965 do not
    assert check.differing == ()
    assert {code for code, _ in check.unmatched} == {459, 461, 717, 835, 836}
    assert all("(..." in name for _, name in check.unmatched)


def test_check_catalog_reports_a_differing_iso3():
    table = pd.DataFrame({"id": [156], "text": ["China"], "PartnerCodeIsoAlpha3": ["JPN"]})
    assert check_catalog(table, name="partnerAreas").differing == ((156, "China", "JPN", "CHN"),)
