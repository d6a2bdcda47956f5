"""Tag × hour aggregates kept as notes change agree with the same aggregates rebuilt."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app import incidents, notes, tag_hours, tags
from app.extensions import db
from app.intake import notes_jsonl
from app.models import TagHour

T0 = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)


def table() -> list[tuple]:
    rows = db.session.execute(
        select(TagHour.tag_id, TagHour.hour, TagHour.author_id, TagHour.incident_id, TagHour.notes)
    )
    return sorted(tuple(r) for r in rows)


def test_upkeep_through_every_kind_of_change_agrees_with_a_rebuild(ctx, make_user, post, tmp_path):
    sam, lee, ada = make_user("sam"), make_user("lee"), make_user("ada", role="admin")
    secret = incidents.register(lee, title="Intrusion", restricted=True)
    post(sam, "tunnel resets #vpn #pwreset", occurred_at=T0)
    post(sam, "again #vpn", occurred_at=T0 + timedelta(minutes=10))
    post(lee, "on it #VPN #password_reset", occurred_at=T0 + timedelta(hours=1))
    post(lee, "exfil #vpn", incident=secret, occurred_at=T0)
    edited = post(sam, "typo #vpm", occurred_at=T0)
    notes.edit_note(sam, edited, "typo fixed #vpn #dns")
    gone = post(lee, "wrong #dns", occurred_at=T0)
    notes.retract_note(lee, gone)
    back = post(lee, "right after all #dns #vpn", occurred_at=T0)
    notes.retract_note(lee, back)
    notes.restore_note(lee, back)  # undone: counted again
    source = tmp_path / "notes.jsonl"
    lines = [
        {
            "id": f"chat-{n}",
            "author": "kim",
            "posted_at": (T0 + timedelta(hours=n)).isoformat(),
            "text": f"imported {n} #vpn #dns",
        }
        for n in range(5)
    ]
    source.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    assert notes_jsonl.import_notes(source).created == 5
    tags.make_alias(ada, "pwreset", "password_reset")
    db.session.commit()

    kept = table()
    vpn = tags.find_tag("vpn").id
    hour = tag_hours.hour_of(T0)
    assert (vpn, hour, sam.id, 0, 3) in kept  # two notes and the edited one, one person
    assert (vpn, hour, lee.id, secret.id, 1) in kept  # counted under its incident
    assert (vpn, hour, lee.id, 0, 1) in kept  # the retraction undone
    assert not [r for r in kept if r[0] == tags.find_tag("vpm").id]  # edited away
    assert sum(r[4] for r in kept if r[0] == tags.find_tag("password_reset").id) == 2
    tag_hours.recount()
    db.session.commit()
    assert table() == kept
