"""The requisitions screens: a supervisor records a requisition through the form, finds it
in the register, builds its sealed package (progress to done, a ZIP with its manifest),
then closes requisitions by delivering and by refusing them."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.console.conftest import DEMO_COMMUNES
from tests.console.harness import ConsoleServer, ConsoleUser, screenshot

CAMERA = "jlt-001"
WAIT = 20_000  # ms: the machine is shared, the demo records 12 cameras meanwhile


@pytest.fixture(scope="module")
def supervisor(console: ConsoleServer) -> ConsoleUser:
    return console.users.get("sup.req") or console.add_user("sup.req", "supervisor", DEMO_COMMUNES)


@pytest.fixture(scope="module")
def setup_api(console: ConsoleServer) -> httpx.Client:
    """Another supervisor for set-up and checks through the API (its own TOTP codes)."""
    user = console.users.get("sup.req.api") or console.add_user(
        "sup.req.api", "supervisor", DEMO_COMMUNES
    )
    return console.api(user)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _wait_finished_footage(api: httpx.Client, camera: str, minutes: int = 2) -> None:
    """Until the last `minutes` hold a finished (indexed) segment: the package is made
    of finished segments, and the demo may have started recording only just now."""
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        now = datetime.now(UTC)
        r = api.get(
            f"/api/cameras/{camera}/recordings",
            params={"start": _iso(now - timedelta(minutes=minutes)), "end": _iso(now)},
        )
        r.raise_for_status()
        if any(not s.get("in_progress") for s in r.json()["segments"]):
            return
        time.sleep(2)
    pytest.fail(f"no finished segment of {camera} in the last {minutes} minutes")


def _state(p: Page):
    return p.get_by_test_id("requisition-detail").get_by_test_id("requisition-state")


def test_supervisor_records_exports_and_delivers(
    console: ConsoleServer, supervisor: ConsoleUser, setup_api: httpx.Client, page_as
) -> None:
    _wait_finished_footage(setup_api, CAMERA)
    procedure = f"PV-{uuid4().hex[:8].upper()}"
    p = page_as(supervisor).page
    p.goto(console.base + "/#/requisitions")
    p.get_by_test_id("new-requisition").click()

    form = p.get_by_test_id("requisition-form")
    form.get_by_label("Nom du magistrat ou de l'OPJ").fill("Claire Durand")
    form.get_by_label("Grade ou qualité").fill("Capitaine, OPJ")
    form.get_by_label("Service", exact=True).fill("Commissariat de Tours")
    form.get_by_label("N° de procédure").fill(procedure)
    item = form.get_by_test_id("requisition-item").first
    item.get_by_role("combobox").select_option(CAMERA)
    item.get_by_role("button", name="2 min").click()  # the last two minutes, Paris time
    # Nothing is sent while a field is wrong: the form names it.
    form.get_by_label("Nom du magistrat ou de l'OPJ").fill("")
    form.get_by_role("button", name="Enregistrer la réquisition").click()
    expect(form.get_by_role("alert")).to_contain_text("Corrigez")
    expect(form.locator(".field-error")).to_have_text(["Obligatoire."])
    form.get_by_label("Nom du magistrat ou de l'OPJ").fill("Claire Durand")
    form.get_by_role("button", name="Enregistrer la réquisition").click()

    expect(p.get_by_test_id("requisition-detail")).to_be_visible(timeout=WAIT)
    expect(_state(p)).to_have_text("reçue")
    req_id = int(p.url.rsplit("/", 1)[1])
    created = setup_api.get(f"/api/requisitions/{req_id}").json()
    assert created["procedure"] == procedure
    assert created["authority"]["service"] == "Commissariat de Tours"
    [sent] = created["items"]
    span = datetime.fromisoformat(sent["end"]) - datetime.fromisoformat(sent["start"])
    assert sent["camera"] == CAMERA and span == timedelta(minutes=2), sent
    # The form's Paris times were sent as the instants they mean: about now.
    assert abs(datetime.fromisoformat(sent["end"]) - datetime.now(UTC)) < timedelta(minutes=2)

    # The register lists it, filtered by its procedure number.
    p.goto(f"{console.base}/#/requisitions?procedure={procedure}")
    rows = p.get_by_test_id("requisition-row")
    expect(rows).to_have_count(1, timeout=WAIT)
    expect(rows).to_contain_text(created["number"])
    expect(rows).to_contain_text(CAMERA)
    expect(rows).to_contain_text("Claire Durand")
    expect(rows.get_by_test_id("requisition-state")).to_have_text("reçue")
    csv_link = p.get_by_role("link", name="Registre (CSV)")
    csv_href = f"/api/requisitions?procedure={procedure}&format=csv"
    expect(csv_link).to_have_attribute("href", csv_href)
    rows.get_by_role("link", name=created["number"]).click()

    # Its page: the footage the archive holds, the hold, then a package.
    expect(p.get_by_test_id("recorded-seconds")).not_to_have_text("0 s", timeout=WAIT)
    expect(p.get_by_test_id("holds")).to_contain_text(CAMERA)
    p.get_by_test_id("start-export").click()
    job = p.get_by_test_id("export-job").first
    expect(job).to_be_visible(timeout=WAIT)
    expect(_state(p)).to_have_text("extraction en cours", timeout=WAIT)
    expect(job).to_have_attribute("data-status", "done", timeout=120_000)
    expect(job.get_by_test_id("export-progress")).to_have_attribute("aria-valuenow", "100")
    expect(job.get_by_test_id("export-status")).to_have_text("prête")
    screenshot(p, "console-requisition")
    with p.expect_download() as download:
        job.get_by_test_id("export-download").click()
    package = download.value.path().read_bytes()
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        names = z.namelist()
        assert any(n.split("/")[-1] == "manifest.json" for n in names), names
        assert any(n.endswith(".mp4") for n in names), names

    # Delivery closes it, with who received it and who signed.
    p.get_by_role("button", name="Remettre le paquet").click()
    p.get_by_label("Remis à (nom)").fill("Brigadier Martin")
    p.get_by_label("Signataire du récépissé").fill("Claire Durand")
    p.get_by_role("button", name="Enregistrer la remise").click()
    expect(_state(p)).to_have_text("remise", timeout=WAIT)
    expect(p.get_by_test_id("delivery")).to_contain_text("Brigadier Martin")
    expect(p.get_by_test_id("close-actions")).to_have_count(0)
    assert setup_api.get(f"/api/requisitions/{req_id}").json()["state"] == "delivered"
    expect(p.get_by_test_id("history")).to_contain_text("extraction en cours → remise")


def test_refusing_needs_a_reason_and_closes_the_requisition(
    console: ConsoleServer, supervisor: ConsoleUser, setup_api: httpx.Client, page_as
) -> None:
    now = datetime.now(UTC)
    body = {
        "authority": {"name": "Paul Leroy", "service": "Gendarmerie de Ballan-Miré"},
        "legal_basis": "77-1-1",
        "procedure": f"PV-{uuid4().hex[:8].upper()}",
        "received_at": _iso(now),
        "items": [{"camera": "bmi-001", "start": _iso(now - timedelta(hours=1)), "end": _iso(now)}],
    }
    r = setup_api.post("/api/requisitions", json=body)
    assert r.status_code == 201, r.text
    req = r.json()

    p = page_as(supervisor).page
    p.goto(f"{console.base}/#/requisitions/{req['id']}")
    expect(_state(p)).to_have_text("reçue", timeout=WAIT)
    # Delivery follows an export: not offered yet.
    expect(p.get_by_role("button", name="Remettre le paquet")).to_be_disabled()
    p.get_by_role("button", name="Refuser").click()
    p.get_by_role("button", name="Enregistrer le refus").click()
    expect(p.get_by_test_id("close-actions").get_by_role("alert")).to_contain_text(
        "champs obligatoires"
    )
    assert setup_api.get(f"/api/requisitions/{req['id']}").json()["state"] == "received"
    p.get_by_label("Motif du refus").fill("Hors du champ de la réquisition : caméra privée.")
    p.get_by_role("button", name="Enregistrer le refus").click()
    expect(_state(p)).to_have_text("refusée", timeout=WAIT)
    expect(p.get_by_test_id("close-reason")).to_contain_text("caméra privée")
    expect(p.get_by_test_id("start-export")).to_have_count(0)
    assert setup_api.get(f"/api/requisitions/{req['id']}").json()["state"] == "refused"

    # The register's state filter finds it among the refused ones only.
    p.goto(f"{console.base}/#/requisitions?state=refused&procedure={body['procedure']}")
    expect(p.get_by_test_id("requisition-row")).to_have_count(1, timeout=WAIT)
    p.goto(f"{console.base}/#/requisitions?state=received&procedure={body['procedure']}")
    expect(p.get_by_text("Aucune réquisition ne correspond.")).to_be_visible(timeout=WAIT)
