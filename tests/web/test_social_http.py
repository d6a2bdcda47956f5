"""Following people and tags, tag pages, aliases and notifications over HTTP."""

from __future__ import annotations

from app import tags
from app.extensions import db
from app.models import Follow


def test_follow_a_tag_from_its_page_and_its_notes_reach_home(client, make_user, post):
    make_user("sam")
    lee = make_user("lee")
    post(lee, "dns flapping #DNS")
    client.login("sam")
    assert "dns flapping" not in client.get("/").get_data(as_text=True)
    page = client.get("/tags/dns").get_data(as_text=True)
    assert "#DNS" in page and "Follow #DNS" in page
    client.post("/tags/dns/follow", {"action": "follow"})
    assert "dns flapping" in client.get("/").get_data(as_text=True)
    client.post("/tags/dns/follow", {"action": "unfollow"})
    assert db.session.query(Follow).count() == 0


def test_follow_a_person_from_their_profile(client, make_user, post):
    make_user("sam")
    lee = make_user("lee", display_name="Lee Laurent")
    post(lee, "rotating certs")
    client.login("sam")
    assert "Lee Laurent" in client.get("/u/lee").get_data(as_text=True)
    client.post("/u/lee/follow", {"action": "follow"})
    assert "rotating certs" in client.get("/").get_data(as_text=True)


def test_following_oneself_is_refused(client, make_user):
    make_user("sam")
    client.login("sam")
    response = client.post("/u/sam/follow", {"action": "follow"})
    assert response.status_code == 400


def test_tag_page_shows_first_use_variants_and_alias_history(client, make_user, post):
    make_user("ada", role="admin")
    sam = make_user("sam")
    post(sam, "#PwReset storm")
    post(sam, "#pwreset again")
    post(sam, "#password_reset is the name")
    client.login("ada")
    response = client.post("/tags/pwreset/alias", {"target": "#password_reset"})
    assert response.status_code == 302
    redirect = client.get("/tags/pwreset")
    assert redirect.status_code == 302 and "alias=pwreset" in redirect.location
    page = client.get(redirect.location).get_data(as_text=True)
    assert "is an alias of #password_reset" in page
    assert "#PwReset" in page and "#pwreset" in page and "storm" in page
    assert "Aliases" in page


def test_non_admin_alias_attempt_is_403_and_changes_nothing(client, make_user, post):
    sam = make_user("sam")
    post(sam, "#pwreset #password_reset")
    client.login("sam")
    assert client.post("/tags/pwreset/alias", {"target": "password_reset"}).status_code == 403
    assert tags.get_tag("pwreset").canonical_id is None


def test_designer_describes_a_tag_and_responder_cannot(client, make_user, post):
    make_user("dina", role="designer")
    sam = make_user("sam")
    post(sam, "#sso")
    client.login("sam")
    assert client.post("/tags/sso/description", {"description": "x"}).status_code == 403
    client.post("/logout")
    client.login("dina")
    client.post("/tags/sso/description", {"description": "Single sign-on <b>trouble</b>"})
    page = client.get("/tags/sso").get_data(as_text=True)
    assert "Single sign-on &lt;b&gt;trouble&lt;/b&gt;" in page


def test_mentions_and_replies_notify_with_a_count_and_can_be_marked_read(client, make_user, post):
    sam, lee = make_user("sam"), make_user("lee")
    mine = post(sam, "need eyes on the LB")
    post(lee, "on it @sam")
    post(lee, "done", reply_to=mine)
    client.login("sam")
    home = client.get("/").get_data(as_text=True)
    assert '<span class="visually-hidden">, </span>2<span class="visually-hidden"> unread' in home
    inbox = client.get("/notifications").get_data(as_text=True)
    assert "mentioned you" in inbox and "replied to your note" in inbox
    client.post("/notifications/read")
    assert 'class="badge hidden"' in client.get("/").get_data(as_text=True)


def test_mention_of_unknown_name_stays_plain_text(client, make_user, post):
    sam = make_user("sam")
    post(sam, "ask @ghost and @sam")
    client.login("sam")
    page = client.get("/").get_data(as_text=True)
    assert 'href="/u/sam"' in page and 'href="/u/ghost"' not in page and "@ghost" in page
