"""Alertmanager's webhook (version 4): firing, repeat, resolved, malformed, wrong token."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import func, select

from app import incidents
from app.extensions import db
from app.models import Incident, Note

TOKEN = "s3cret-token"

FIRING = {
    "version": "4",
    "groupKey": '{}:{alertname="EPRLatencyHigh"}',
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "i2i",
    "groupLabels": {"alertname": "EPRLatencyHigh"},
    "commonLabels": {"alertname": "EPRLatencyHigh", "job": "epr-api", "severity": "critical"},
    "commonAnnotations": {
        "summary": "Patient records API p99 above 2s",
        "description": "p99 latency 2.7s for 10 minutes",
    },
    "externalURL": "http://alertmanager.internal:9093",
    "alerts": [
        {
            "status": "firing",
            "labels": {
                "alertname": "EPRLatencyHigh",
                "job": "epr-api",
                "instance": "epr-1:8080",
                "severity": "critical",
            },
            "annotations": {"summary": "Patient records API p99 above 2s"},
            "startsAt": "2026-03-02T06:58:00.000Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.internal/graph?g0.expr=...",
            "fingerprint": "a1b2c3d4e5f60718",
        },
    ],
}


def with_second_alert(body, status="firing"):
    body = copy.deepcopy(body)
    second = copy.deepcopy(body["alerts"][0])
    second["labels"]["instance"] = "epr-2:8080"
    second["fingerprint"] = "ffee00112233"
    second["status"] = status
    body["alerts"].append(second)
    return body


def resolved(body):
    body = copy.deepcopy(body)
    body["status"] = "resolved"
    for alert in body["alerts"]:
        alert["status"] = "resolved"
        alert["endsAt"] = "2026-03-02T07:40:00.000Z"
    return body


@pytest.fixture
def hook(client, app):
    app.config["I2I_ALERTMANAGER_TOKEN"] = TOKEN
    yield lambda body, token=TOKEN: client.open(
        "/hooks/alertmanager",
        method="POST",
        json=body,
        headers={"Authorization": f"Bearer {token}"} if token else {},
    )
    app.config["I2I_ALERTMANAGER_TOKEN"] = None


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_firing_group_registers_one_incident_mapped_from_labels(hook):
    response = hook(FIRING)
    assert response.status_code == 200 and response.get_json()["incident"] == "INC0000001"
    incident = db.session.scalar(select(Incident))
    assert (incident.source, incident.service, incident.impact, incident.priority) == (
        "alert",
        "epr-api",
        1,
        2,
    )
    assert incident.title == "Patient records API p99 above 2s"
    assert "Alert firing: EPRLatencyHigh" in db.session.scalar(select(Note.text))


def _group(key: str, **labels) -> dict:
    body = copy.deepcopy(FIRING)
    body["groupKey"], body["commonLabels"] = key, labels
    body["alerts"][0]["labels"] = labels
    body["alerts"][0]["fingerprint"] = key
    return body


def test_severity_and_service_labels_map_as_configured(hook, app, monkeypatch):
    cases = [
        (_group("w", severity="warning", job="mail", service="Mail"), "Mail", 2),
        (_group("i", severity="info", job="ldap"), "ldap", 3),
        (_group("u", severity="page-me", job="dns"), "dns", 2),  # unknown severity
        (_group("n", severity="critical"), None, 1),  # no label names a service
    ]
    for body, service, impact in cases:
        number = hook(body).get_json()["incident"]
        incident = db.session.scalar(select(Incident).where(Incident.number == number))
        assert (incident.service, incident.impact) == (service, impact), body["groupKey"]
    monkeypatch.setitem(app.config, "I2I_ALERT_SEVERITY_IMPACT", {"page-me": 1, "warning": 3})
    monkeypatch.setitem(app.config, "I2I_ALERT_SERVICE_LABELS", ("team", "job"))
    number = hook(_group("c", severity="page-me", team="Payments", job="pay-api")).get_json()
    incident = db.session.scalar(select(Incident).where(Incident.number == number["incident"]))
    assert (incident.service, incident.impact, incident.priority) == ("Payments", 1, 2)


def test_a_resolved_group_with_no_incident_is_409_and_writes_nothing(hook):
    from app.models import User

    response = hook(resolved(FIRING))
    assert response.status_code == 409 and "nothing to resolve" in response.get_json()["error"]
    assert count(Incident) == count(Note) == count(User) == 0


def test_one_alert_resolving_while_the_group_fires_adds_a_note_only(hook):
    hook(with_second_alert(FIRING))
    body = with_second_alert(FIRING)
    body["alerts"][1]["status"] = "resolved"
    body["alerts"][1]["endsAt"] = "2026-03-02T07:10:00.000Z"
    assert hook(body).status_code == 200
    incident = db.session.scalar(select(Incident))
    texts = list(db.session.scalars(select(Note.text).order_by(Note.id)))
    assert len(texts) == 3 and texts[-1].startswith("Alert resolved: EPRLatencyHigh")
    assert incident.status == "new" and count(Incident) == 1


def test_repeats_are_deduplicated_and_new_alerts_get_a_note(hook):
    hook(FIRING)
    hook(FIRING)
    assert (count(Incident), count(Note)) == (1, 1)
    hook(with_second_alert(FIRING))
    assert (count(Incident), count(Note)) == (1, 2)


def test_resolved_group_resolves_the_incident_with_a_note(hook):
    hook(FIRING)
    response = hook(resolved(FIRING))
    assert response.get_json()["status"] == "resolved"
    incident = db.session.scalar(select(Incident))
    db.session.refresh(incident)
    assert incident.status == "resolved" and count(Note) == 2


def test_resolved_group_leaves_an_incident_a_person_has_taken_over(hook, make_user):
    hook(FIRING)
    sam = make_user("sam")
    incident = db.session.scalar(select(Incident))
    incidents.assign(sam, incident, sam)
    hook(resolved(FIRING))
    db.session.refresh(incident)
    assert incident.status == "in_progress" or incident.status == "new"
    assert "the owner decides" in " ".join(db.session.scalars(select(Note.text)))


def test_firing_again_after_resolution_reopens_the_same_incident(hook):
    hook(FIRING)
    hook(resolved(FIRING))
    hook(FIRING)
    incident = db.session.scalar(select(Incident))
    db.session.refresh(incident)
    assert count(Incident) == 1 and incident.status == "in_progress"


@pytest.mark.parametrize(
    "mutate,message",
    [
        (lambda b: b.pop("groupKey"), "groupKey"),
        (lambda b: b.update(version="3"), "version 4"),
        (lambda b: b.update(status="maybe"), "status"),
        (lambda b: b.update(alerts=[]), "non-empty"),
        (lambda b: b["alerts"][0].pop("fingerprint"), "fingerprint"),
        (lambda b: b["alerts"][0].update(startsAt="yesterday"), "ISO 8601"),
        (lambda b: b["alerts"][0].update(labels=["x"]), "labels"),
    ],
)
def test_malformed_bodies_get_400_with_the_reason_and_write_nothing(hook, mutate, message):
    body = copy.deepcopy(FIRING)
    mutate(body)
    response = hook(body)
    assert response.status_code == 400 and message in response.get_json()["error"]
    assert count(Incident) == 0 and count(Note) == 0


def test_non_json_body_is_400(client, hook):
    response = client.open(
        "/hooks/alertmanager",
        method="POST",
        data="not json",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code == 400


def test_wrong_or_missing_token_is_401(hook):
    assert hook(FIRING, token="nope").status_code == 401
    assert hook(FIRING, token=None).status_code == 401
    assert count(Incident) == 0


def test_webhook_is_off_without_a_configured_token(client):
    response = client.open(
        "/hooks/alertmanager",
        method="POST",
        json=FIRING,
        headers={"Authorization": "Bearer anything"},
    )
    assert response.status_code == 404
