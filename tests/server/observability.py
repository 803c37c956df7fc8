"""Helpers of the metrics and log tests: scrape /metrics, and scenario files full of distinctive personal values."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.server.live import API_KEY, ROOT, Server

SampleKey = tuple[str, tuple[tuple[str, str], ...]]
FILE_PREFIX = "quaxworthy_"
KYC_PERSONAL = {"first_name": "Zephyrine", "last_name": "Quaxworthy", "date_of_birth": "1961-07-23",
                "nationality": "US", "email": "zephyrine.quaxworthy@example.org", "pep": "no"}
KYC_ADDRESS = {"line1": "77 Quillfeather Lane", "city": "Vortenbury", "postal_code": "77058", "country": "US"}
KYB_COMPANY = {"legal_name": "Zindelfrost Orrery Works Ltd", "country": "GB", "registration_number": "QZ80417263",
               "legal_form": "limited", "incorporation_date": "2009-10-27"}
KYB_OWNERS = [{"first_name": "Bartholomew", "last_name": "Zindelfrost", "date_of_birth": "1972-04-08",
               "nationality": "GB", "share": 60, "is_director": True},
              {"first_name": "Ottoline", "last_name": "Vexbridge", "date_of_birth": "1968-02-14",
               "nationality": "GB", "share": 40}]
PERSONAL_VALUES = ["Zephyrine", "Quaxworthy", "1961-07-23", "zephyrine.quaxworthy@example.org",
                   "zephyrine.quaxworthy", "Quillfeather", "Vortenbury", "Zindelfrost", "Orrery", "QZ80417263",
                   "2009-10-27", "Bartholomew", "Ottoline", "Vexbridge", "1972-04-08", "1968-02-14", FILE_PREFIX]
"""what the scenarios below enter, each distinctive enough that finding it anywhere means it leaked"""


def scrape(server: Server) -> dict[SampleKey, float]:
    """Every sample of /metrics by (name, sorted labels)."""
    response = httpx.get(f"{server.url}/metrics", timeout=30.0)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text) for sample in family.samples}


def families(server: Server) -> set[str]:
    text = httpx.get(f"{server.url}/metrics", timeout=30.0).text
    return {family.name for family in text_string_to_metric_families(text)}


def total(samples: dict[SampleKey, float], name: str, **labels: str) -> float:
    """The sum of `name`'s samples whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(value for (sample, found), value in samples.items() if sample == name and wanted <= set(found))


def personal_scenarios(folder: Path, images: dict[str, Path]) -> Path:
    """Scenario files (and their images, renamed) for kyc_individual and kyb_business that enter the values
    above; returns the folder of images. The scenarios go to folder/scenarios."""
    pictures = folder / "images"
    pictures.mkdir(parents=True)
    for name, path in images.items():
        shutil.copy(path, pictures / f"{FILE_PREFIX}{name}{path.suffix}")
    scenarios = folder / "scenarios"
    scenarios.mkdir()
    for journey in ("kyc_individual", "kyb_business"):
        raw = yaml.safe_load((ROOT / "demo_client" / "scenarios" / f"{journey}.yaml").read_text())
        base = _renamed(raw["base"])
        if journey == "kyc_individual":
            base.update(personal=KYC_PERSONAL, address=KYC_ADDRESS)
        else:
            base.update(company=KYB_COMPANY, owners={"owners": KYB_OWNERS}, owners_over_100={"owners": KYB_OWNERS})
        raw["base"] = base
        raw["scenarios"] = _renamed(raw["scenarios"])
        (scenarios / f"{journey}.yaml").write_text(yaml.safe_dump(raw))
    return pictures


def _renamed(value: object) -> dict[str, object]:
    def walk(item: object) -> object:
        if isinstance(item, str) and item.startswith("@"):
            return f"@{FILE_PREFIX}{item[1:]}"
        if isinstance(item, list):
            return [walk(i) for i in item]
        if isinstance(item, dict):
            return {k: walk(v) for k, v in item.items()}
        return item

    renamed = walk(value)
    assert isinstance(renamed, dict)
    return renamed


def run_demo(server: Server, journey: str, scenario: str = "approve", *extra: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "demo_client", "run", "--server", server.url, "--api-key", API_KEY,
                           "--journey", journey, "--scenario", scenario, "--timeout", "90", *extra],
                          capture_output=True, text=True, timeout=150, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def session_of(done: subprocess.CompletedProcess[str]) -> str:
    return next(line.split()[1] for line in done.stdout.splitlines() if line.startswith("session s_"))


__all__ = ["FILE_PREFIX", "PERSONAL_VALUES", "families", "personal_scenarios", "run_demo", "scrape", "session_of",
           "total"]
