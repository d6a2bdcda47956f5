"""Tag pages: the tag's feed and story, following it, describing it, aliasing it."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user, login_required

from app import analysis, charts, follows, tags
from app.errors import Refused
from app.feeds import Feed
from app.web.feed import show_feed
from app.web.forms import AliasForm, DescriptionForm, EmptyForm, require_valid
from app.web.pages import render
from app.web.params import page_number

bp = Blueprint("tags", __name__, url_prefix="/tags")

STORY_WINDOWS = {
    "30d": ("30 days", timedelta(days=30)),
    "90d": ("90 days", timedelta(days=90)),
    "365d": ("a year", timedelta(days=365)),
}


@bp.get("")
@login_required
def index():
    """The tags directory: every tag in use, by use, name or first use, or those followed."""
    order = request.args.get("order") or "use"
    followed_only = request.args.get("show") == "followed"
    prefix = (request.args.get("q") or "")[:100]
    page = page_number(request.args.get("page"))
    entries, more = tags.directory(
        current_user, order=order, followed_only=followed_only, prefix=prefix, page=page
    )
    return render(
        "tags/index.html",
        entries=entries,
        more=more,
        order=order,
        followed_only=followed_only,
        prefix=prefix,
        page=page,
        title="Tags",
    )


@bp.get("/<name>")
@login_required
def show(name: str):
    tag = tags.get_visible_tag(name, current_user)
    target = tags.canonical(tag)
    if target.id != tag.id:  # an alias: its notes are listed under the canonical tag
        return redirect(url_for("tags.show", name=target.key, alias=tag.key, **_feed_args()))
    alias = tags.alias_named(tag, request.args.get("alias", "")[:200])
    profile = tags.tag_profile(tag, current_user)
    return show_feed(
        Feed("tag", tag.id),
        "tags/show.html",
        tag=tag,
        came_from=alias,
        title=f"#{tag.display}",
        profile=profile,
        story_window=_story_window(),
        story_windows=STORY_WINDOWS,
        following=profile.following,
        action_form=EmptyForm(),
        alias_form=AliasForm(),
        description_form=DescriptionForm(description=tag.description or ""),
    )


@bp.get("/<name>/story")
@login_required
def story(name: str):
    """The tag's story: loaded into the tag page by htmx, or a page of its own."""
    tag = tags.canonical(tags.get_visible_tag(name, current_user))
    window = _story_window()
    found = analysis.story_of(current_user, tag, STORY_WINDOWS[window][1])
    shown = {
        "volume": charts.volume("volume", tag.key, found["volume"], found["bucket_hours"]),
        "services": charts.shares(
            "services", f"Services of incidents with #{tag.key}", "Service", found["services"]
        ),
    }
    return render(
        "tags/story_page.html",
        "tags/_story.html",
        tag=tag,
        story=found,
        shown=shown,
        story_window=window,
        story_windows=STORY_WINDOWS,
        title=f"#{tag.display}: its story",
    )


def _story_window() -> str:
    window = request.args.get("story") or "90d"
    if window not in STORY_WINDOWS:
        raise Refused("Choose a story of 30 days, 90 days or a year.")
    return window


def _feed_args() -> dict[str, str]:
    return {k: v for k, v in request.args.items() if k in {"before", "after", "poll"}}


@bp.post("/<name>/follow")
@login_required
def follow(name: str):
    tag = tags.canonical(tags.get_visible_tag(name, current_user))
    follows.set_following(current_user, "tag", tag.id, request.form.get("action") != "unfollow")
    return redirect(url_for("tags.show", name=tag.key))


@bp.post("/<name>/alias")
@login_required
def alias(name: str):
    form = require_valid(AliasForm(), "Name the tag that this one should lead to.")
    alias = tags.make_alias(current_user, name, form.target.data)
    flash(f"#{alias.display} is now an alias of #{alias.canonical.display}.", "info")
    return redirect(url_for("tags.show", name=alias.canonical.key))


@bp.post("/<name>/description")
@login_required
def describe(name: str):
    form = require_valid(DescriptionForm(), "A tag description is at most 1,000 characters.")
    tag = tags.get_visible_tag(name, current_user)
    tags.set_description(current_user, tag, form.description.data or "")
    return redirect(url_for("tags.show", name=tags.canonical(tag).key))
