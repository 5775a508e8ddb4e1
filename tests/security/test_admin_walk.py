"""Every admin and desk URL, walked as staff who must not reach campaign A's
private data: a staff user in no team, a volunteer of A, an organizer of
another campaign (B). A's organizer walks too, as the control that shows the
walk can see what it looks for.

The URLs are enumerated, not listed by hand: every registered ModelAdmin's own
URLs (changelist, add, change, history, delete, previews) for every object, the
changelists with lookups that would reveal a donor if the list filtered by them,
ordering and search, the autocomplete of every relation, the "view on site"
shortcut for every object, and every desk URL (donations/urls.py).

Run with ZBOR_WALK_REPORT=<file> to write there the table of what each role got
from each URL; `-s` prints it.
"""

from __future__ import annotations

import logging
import os
import re
from urllib.parse import unquote_plus, urlencode

from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.urls import URLPattern, reverse

from campaigns.models import Activity, Campaign, TeamMember
from donations import urls as donation_urls
from donations.models import Pledge
from donations.pledging import (
    Donor,
    pledge_cancel,
    pledge_set_message_hidden,
    pledge_set_note,
)
from tests.base import make_campaign
from tests.donations.base import pledge, receive
from tests.teams.base import TeamTestCase, donor_email

ANONYMOUS_NAME = "Zinaida Quietname"
ANONYMOUS_EMAIL = "quiet.donor@example.org"
HIDDEN_MESSAGE = "Words the organizers hid from the page"
NOTE = "Paid by cousin Ivanka from Grodno"
CANCEL_REASON = "Transfer bounced back to Ivanka"
TOKEN = "walk-submission-token-0123456789"
DRAFT_TITLE = "Unannounced draft for Mikhail"
DRAFT_SLUG = "draft-unannounced"

ROLES = {
    "stranger": "staff, in no team",
    "volunteer_a": "volunteer of A",
    "organizer_b": "organizer of B",
    "organizer_a": "organizer of A (control)",
}
# What each role must never get back, by name of secret (see secrets_of_a).
EVERYTHING = "everything"
FORBIDDEN = {
    "stranger": EVERYTHING,
    "organizer_b": EVERYTHING,
    "volunteer_a": {
        "donor email",
        "anonymous donor's name",
        "access key",
        "thank-you URL",
        "submission token",
    },
    "organizer_a": {"access key", "thank-you URL", "submission token"},
}
# What A's organizer must find somewhere: proof that the needles can be seen.
CONTROL_FINDS = {"donor email", "anonymous donor's name", "hidden message"}


def body_and_headers(response) -> str:
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    headers = "\n".join(f"{key}: {value}" for key, value in response.items())
    return headers + "\n" + body.decode(errors="replace")


class WalkTestCase(TeamTestCase):
    """Campaign A (the seed campaign) with a received pledge, and an anonymous
    donor's cancelled pledge whose message is hidden and which has a team note;
    a draft of A's team; campaign B of another organizer (tests.teams.base)."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.organizer_b = cls.other_organizer
        first_a, _second_a = cls.pledges["own"]
        receive(first_a, by=cls.organizer)
        quiet = pledge(
            cls.campaign,
            "70",
            cls.rent,
            donor=Donor(
                name=ANONYMOUS_NAME,
                email=ANONYMOUS_EMAIL,
                message=HIDDEN_MESSAGE,
                is_anonymous=True,
            ),
            token=TOKEN,
        )
        pledge_set_message_hidden(pledge=quiet, hidden=True, by=cls.organizer)
        pledge_set_note(pledge=quiet, note=NOTE, by=cls.volunteer)
        pledge_cancel(pledge=quiet, reason=CANCEL_REASON, by=cls.volunteer)
        # Pledging keeps no name for an anonymous donor; older rows (and
        # imports) may have one, which the team's pages must still not show.
        Pledge.objects.filter(pk=quiet.pk).update(donor_name=ANONYMOUS_NAME)
        cls.quiet = Pledge.objects.get(pk=quiet.pk)
        cls.draft = make_campaign(slug=DRAFT_SLUG, title=DRAFT_TITLE, published=False)
        for user, role in (
            (cls.organizer, TeamMember.Role.ORGANIZER),
            (cls.volunteer, TeamMember.Role.VOLUNTEER),
        ):
            TeamMember.objects.create(campaign=cls.draft, user=user, role=role)


class AdminWalkTests(WalkTestCase):
    # -- what must not come back ------------------------------------------------

    def secrets_of_a(self) -> dict[str, list[str]]:
        pledges_a = list(Pledge.objects.filter(campaign=self.campaign))
        return {
            "donor email": [ANONYMOUS_EMAIL, donor_email("own")],
            "anonymous donor's name": [ANONYMOUS_NAME],
            "hidden message": [HIDDEN_MESSAGE],
            "team note": [NOTE],
            "cancel reason": [CANCEL_REASON],
            "access key": [p.access_key for p in pledges_a],
            "thank-you URL": [
                reverse("donations:thanks", args=[p.access_key]) for p in pledges_a
            ],
            "submission token": [TOKEN],
            "draft title": [DRAFT_TITLE],
            "draft address": [f"/c/{DRAFT_SLUG}/"],
            "campaign A": [self.campaign.title, f"/c/{self.campaign.slug}/"],
            "A's reference codes": [p.reference for p in pledges_a],
        }

    def forbidden_for(self, role: str) -> dict[str, list[str]]:
        secrets = self.secrets_of_a()
        names = FORBIDDEN[role]
        if names == EVERYTHING:
            return secrets
        return {name: secrets[name] for name in names}

    # -- the URLs ---------------------------------------------------------------

    def registered(self) -> list[tuple[type, admin.ModelAdmin]]:
        return [
            (model, admin.site.get_model_admin(model))
            for model in apps.get_models()
            if admin.site.is_registered(model)
        ]

    def objects_of(self, model) -> list:
        """The objects whose pages are walked: campaign A's (and its team's
        draft), and B's as a contrast; every object of other models."""
        campaigns = [self.campaign, self.draft, self.other]
        if model is Campaign:
            return campaigns
        if model in (Pledge, Activity):
            return list(model.objects.filter(campaign__in=campaigns))
        return list(model.objects.all())

    def model_admin_urls(self) -> list[str]:
        urls = []
        for model, model_admin in self.registered():
            for pattern in model_admin.get_urls():
                if not isinstance(pattern, URLPattern) or not pattern.name:
                    continue
                name = f"admin:{pattern.name}"
                # Object pages take the object's id (object_id, or id for a
                # user's password page); the others take nothing.
                for key in pattern.pattern.converters:
                    urls += [
                        reverse(name, kwargs={key: obj.pk})
                        for obj in self.objects_of(model)
                    ]
                if not pattern.pattern.converters:
                    urls.append(reverse(name))
            # The catch-all /admin/<app>/<model>/<pk>/ leads to the change page.
            changelist = reverse(
                f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
            )
            urls += [f"{changelist}{obj.pk}/" for obj in self.objects_of(model)[:3]]
        return urls

    def site_urls(self) -> list[str]:
        urls = [
            reverse("admin:index"),
            reverse("admin:password_change"),
            reverse("admin:jsi18n"),
        ]
        labels = sorted({model._meta.app_label for model, _ in self.registered()})
        urls += [reverse("admin:app_list", args=[label]) for label in labels]
        return urls

    def view_on_site_urls(self) -> list[str]:
        urls = []
        for model in apps.get_models():
            if model._meta.app_label not in ("campaigns", "donations", "auth"):
                continue
            content_type = ContentType.objects.get_for_model(model)
            urls += [
                reverse("admin:view_on_site", args=[content_type.pk, pk])
                for pk in model.objects.values_list("pk", flat=True)
            ]
        return urls

    def autocomplete_urls(self) -> list[str]:
        urls = []
        for model, _model_admin in self.registered():
            for field in model._meta.get_fields():
                if not (field.is_relation and field.concrete):
                    continue
                for term in ("", "Konstantin", "quiet", DRAFT_TITLE[:10]):
                    query = urlencode(
                        {
                            "app_label": model._meta.app_label,
                            "model_name": model._meta.model_name,
                            "field_name": field.name,
                            "term": term,
                        }
                    )
                    urls.append(f"{reverse('admin:autocomplete')}?{query}")
        return urls

    def desk_urls(self) -> list[str]:
        references = list(
            Pledge.objects.filter(campaign__in=[self.campaign, self.other]).values_list(
                "reference", flat=True
            )
        )
        urls = [reverse("donations:desk")]
        urls += [f"{reverse('donations:desk')}?reference={ref}" for ref in references]
        for pattern in donation_urls.urlpatterns:
            if not pattern.name.startswith("desk_"):
                continue
            name = f"donations:{pattern.name}"
            converters = pattern.pattern.converters
            if "reference" in converters:
                urls += [reverse(name, args=[ref]) for ref in references]
            elif "campaign_id" in converters:
                urls += [
                    reverse(name, args=[campaign.pk])
                    for campaign in (self.campaign, self.draft, self.other)
                ]
        return urls

    # -- lookups that would reveal a donor if a list filtered by them ----------

    def lookup_probes(self, model) -> list[tuple[str, str]]:
        """(probe, control) query strings for this model's changelist: a list
        that filtered by the probe would answer differently from the control,
        which matches nothing. A safe list refuses both (400) or ignores both.
        Only lookups that start from one of the model's fields (others the
        admin refuses as unknown anyway)."""
        quiet = self.quiet
        private = {
            "email": quiet.email,
            "donor_name": quiet.donor_name,
            "message": quiet.message,
            "note": quiet.note,
            "cancel_reason": quiet.cancel_reason,
            "access_key": quiet.access_key,
            "submission_token": quiet.submission_token,
        }
        password = self.organizer.password
        pairs: list[tuple[dict, dict]] = []
        for field, value in private.items():
            first = value[0]
            pairs += [
                ({field: value}, {field: "nothing@matches.invalid"}),
                ({f"{field}__startswith": first}, {f"{field}__startswith": "~"}),
                ({f"{field}__istartswith": first}, {f"{field}__istartswith": "~"}),
                ({f"{field}__icontains": value[2:6]}, {f"{field}__icontains": "~~"}),
                (
                    {f"{field}__regex": "^" + re.escape(first)},
                    {f"{field}__regex": "^~"},
                ),
                (
                    {"id": quiet.pk, f"{field}__startswith": first},
                    {"id": quiet.pk, f"{field}__startswith": "~"},
                ),
                ({f"{field}__gte": first}, {f"{field}__gte": "~~~"}),
            ]
        through = {
            "campaign__pledges__email__startswith": "q",
            "line__pledges__email__startswith": "q",
            "pledges__email__startswith": "q",
            "lines__pledges__email__startswith": "q",
            "pledges__donor_name__startswith": "Z",
            "campaign__pledges__access_key__startswith": quiet.access_key[0],
            "received_by__email__startswith": "o",
            "received_by__password__startswith": password[:4],
            "cancelled_by__email__startswith": "v",
            "actor__password__startswith": password[:4],
            "actor__email__startswith": "o",
            "team__user__password__startswith": password[:4],
            "teams__campaign__pledges__email__startswith": "q",
            "password__startswith": password[:4],
            "user__password__startswith": password[:4],
            "details__icontains": "Ivanka",
            "pledge__email__startswith": "q",
        }
        pairs += [({key: value}, {key: "~"}) for key, value in through.items()]
        pairs = [
            (probe, control)
            for probe, control in pairs
            if all(starts_from_a_field(model, key) for key in probe)
        ]
        # Search: the control is a reference code that matches nothing.
        nothing = "ZZZZ2222"
        pairs += [
            ({"q": ANONYMOUS_EMAIL}, {"q": nothing}),
            ({"q": ANONYMOUS_NAME}, {"q": nothing}),
            ({"q": HIDDEN_MESSAGE[:12]}, {"q": nothing}),
            ({"q": NOTE[:12]}, {"q": nothing}),
            ({"q": ANONYMOUS_EMAIL[:5]}, {"q": nothing}),
        ]
        return [(urlencode(probe), urlencode(control)) for probe, control in pairs]

    def odd_queries(self) -> list[str]:
        """Query strings that only have to answer without leaking or crashing
        (ordering by position or name, to-field, huge or foreign ids, dates)."""
        return [
            f"campaign={self.campaign.pk}",
            f"campaign={self.draft.pk}",
            "o=email",
            "o=-email",
            "o=1",
            "o=-2.1",
            "o=99",
            "o=0.0.0.0",
            "_to_field=email",
            "_to_field=access_key",
            "_popup=1&_to_field=id",
            "campaign=99999999999999999999999",
            "campaign=-1",
            "created_at__year=99999999999",
            "created_at__year=2024&created_at__month=99",
            "all=",
            "p=99999",
        ]

    def rows_shown(self, text: str) -> frozenset[str]:
        """Which pledges, campaigns and users a list shows (by reference, title
        or username: what its rows print)."""
        if not hasattr(self, "row_markers"):
            self.row_markers = [
                *Pledge.objects.values_list("reference", flat=True),
                *Campaign.objects.values_list("title", flat=True),
                *User.objects.values_list("username", flat=True),
            ]
        return frozenset(m for m in self.row_markers if f">{m}<" in text)

    # -- the walk ---------------------------------------------------------------

    def walk(self, role: str, user) -> tuple[dict[str, int], list[str], set[str]]:
        """Every URL as this user: (URL -> status, failures, secrets seen)."""
        self.client.force_login(user)
        # A crash is an answer (500) to record, not the end of the walk.
        self.client.raise_request_exception = False
        # Hundreds of refusals (403, 404, 400) would each log a warning.
        for name in ("django.request", "django.security"):
            logger = logging.getLogger(name)
            self.addCleanup(logger.setLevel, logger.level)
            logger.setLevel(logging.CRITICAL)
        forbidden = self.forbidden_for(role)
        secrets = self.secrets_of_a()
        answers: dict[str, int] = {}
        failures: list[str] = []
        seen: set[str] = set()

        def get(url: str) -> str:
            response = self.client.get(url)
            answers[url] = response.status_code
            text = body_and_headers(response)
            asked = unquote_plus(url)
            if response.status_code >= 500:
                failures.append(f"{role}: {url} answered {response.status_code}")
            for name, needles in secrets.items():
                # A value the URL itself carries may be echoed back (a search box).
                if any(n in text and n not in asked for n in needles):
                    seen.add(name)
                    if name in forbidden:
                        failures.append(f"{role}: {url} shows the {name}")
            return text

        plain = (
            self.site_urls()
            + self.model_admin_urls()
            + self.autocomplete_urls()
            + self.view_on_site_urls()
            + self.desk_urls()
        )
        for url in plain:
            get(url)
        for model, _model_admin in self.registered():
            changelist = reverse(
                f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
            )
            for probe, control in self.lookup_probes(model):
                shown = self.rows_shown(get(f"{changelist}?{probe}"))
                hidden = self.rows_shown(get(f"{changelist}?{control}"))
                if (answers[f"{changelist}?{probe}"], shown) != (
                    answers[f"{changelist}?{control}"],
                    hidden,
                ):
                    failures.append(
                        f"{role}: {changelist}?{probe} filtered the list "
                        f"(shows {sorted(shown)}, the control {sorted(hidden)})"
                    )
            for query in self.odd_queries():
                get(f"{changelist}?{query}")
        self.client.logout()
        return answers, failures, seen

    def test_no_role_reaches_what_it_must_not(self):
        users = {
            "stranger": self.stranger,
            "volunteer_a": self.volunteer,
            "organizer_b": self.organizer_b,
            "organizer_a": self.organizer,
        }
        before = self.state()
        answers, failures = {}, []
        for role, user in users.items():
            answers[role], role_failures, seen = self.walk(role, user)
            failures += role_failures
            if role == "organizer_a":
                for name in sorted(CONTROL_FINDS - seen):
                    failures.append(f"control: A's organizer never saw the {name}")
        table = walk_table(answers)
        print(table)
        if os.environ.get("ZBOR_WALK_REPORT"):
            with open(os.environ["ZBOR_WALK_REPORT"], "w", encoding="utf-8") as out:
                out.write(table)
        self.assertEqual(self.state(), before, "a GET changed the database")
        if failures:
            self.fail("\n".join(failures) + "\n\n" + table)

    def state(self) -> list:
        return [
            list(Pledge.objects.order_by("pk").values()),
            list(Campaign.objects.order_by("pk").values_list("pk", "closed_at")),
            list(TeamMember.objects.order_by("pk").values()),
        ]


def starts_from_a_field(model, lookup: str) -> bool:
    try:
        model._meta.get_field(lookup.split("__")[0])
    except FieldDoesNotExist:
        return False
    return True


def walk_table(answers: dict[str, dict[str, int]]) -> str:
    """One row per URL, one column per role: the status each answered, then
    per role how many URLs answered each status."""
    roles = list(answers)
    urls = list(dict.fromkeys(url for role in roles for url in answers[role]))
    lines = ["Admin and desk walk: status per role", ""]
    for role in roles:
        counts: dict[int, int] = {}
        for status in answers[role].values():
            counts[status] = counts.get(status, 0) + 1
        summary = ", ".join(f"{s}: {n}" for s, n in sorted(counts.items()))
        lines.append(f"{ROLES[role]:<26} {len(answers[role])} URLs ({summary})")
    lines += ["", " | ".join(f"{role:<11}" for role in roles) + " | URL"]
    for url in urls:
        statuses = " | ".join(f"{answers[role].get(url, '-'):<11}" for role in roles)
        lines.append(f"{statuses} | {url}")
    return "\n".join(lines) + "\n"


PLEDGES = "/admin/donations/pledge/"
# What a donor or the team wrote, and the pledge's secrets.
PRIVATE_FIELDS = {
    "email",
    "donor_name",
    "message",
    "note",
    "cancel_reason",
    "access_key",
    "submission_token",
    "details",
    "password",
}


class QuietLogsMixin:
    def setUp(self):
        super().setUp()
        # Each refused lookup logs an error (django.security.*): expected here.
        for name in ("django.request", "django.security"):
            logger = logging.getLogger(name)
            self.addCleanup(logger.setLevel, logger.level)
            logger.setLevel(logging.CRITICAL)


class AdminLookupTests(QuietLogsMixin, WalkTestCase):
    """A list takes only its declared filters; anything else answers 400, for
    every role, A's organizer (who may see emails) and superusers included."""

    def test_a_pledge_list_refuses_every_lookup_on_a_donor_or_a_secret(self):
        quiet = self.quiet
        queries = [
            urlencode({"email": quiet.email}),
            "email__startswith=q",
            "email__icontains=donor",
            "email__regex=%5Eq",
            f"id={quiet.pk}&email__startswith=q",
            f"id={quiet.pk}",
            "donor_name__startswith=Z",
            "message__icontains=hid",
            "note__icontains=Ivanka",
            "cancel_reason__icontains=Ivanka",
            f"access_key={quiet.access_key}",
            f"submission_token={TOKEN}",
            f"reference={quiet.reference}",
            "campaign__pledges__email__startswith=q",
            "line__pledges__email__startswith=q",
            "received_by__email__startswith=o",
            "received_by__password__startswith=md5",
            "status__exact=cancelled&email__startswith=q",
        ]
        for user in (
            self.volunteer,
            self.organizer,
            self.other_organizer,
            self.superuser,
        ):
            self.client.force_login(user)
            for query in queries:
                with self.subTest(user=user.username, query=query):
                    response = self.client.get(f"{PLEDGES}?{query}")
                    self.assertEqual(response.status_code, 400)
                    self.assertNotIn(quiet.reference, response.content.decode())

    def test_the_record_and_campaign_lists_refuse_undeclared_lookups(self):
        self.client.force_login(self.organizer)
        for url in (
            "/admin/campaigns/activity/?details__icontains=Ivanka",
            "/admin/campaigns/activity/?actor__password__startswith=md5",
            "/admin/campaigns/activity/?campaign__pledges__email__startswith=q",
            f"/admin/campaigns/activity/?reference={self.quiet.reference}",
            "/admin/campaigns/campaign/?iban__startswith=PL",
            "/admin/campaigns/campaign/?title__startswith=Un",
            "/admin/campaigns/campaign/?pledges__email__startswith=q",
            "/admin/campaigns/campaign/?published__exact=yes",
            "/admin/donations/pledge/?status__exact=paid",
        ):
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 400)

    def test_a_date_out_of_range_answers_400_not_500(self):
        self.client.force_login(self.organizer)
        self.client.raise_request_exception = False
        for query in (
            "created_at__year=99999999999",
            "created_at__year=2026&created_at__month=99999999999999999",
            "created_at__year=%D9%A2%D9%A0%D9%A2%D9%A6",  # Arabic-Indic digits
        ):
            for url in (PLEDGES, "/admin/campaigns/activity/"):
                with self.subTest(url=url, query=query):
                    self.assertEqual(self.client.get(f"{url}?{query}").status_code, 400)

    def test_every_filter_and_column_link_a_list_offers_still_works(self):
        """The declared parameters, with the values the sidebar, the date
        hierarchy and the column headers offer, all answer 200."""
        for user in (self.organizer, self.volunteer, self.superuser):
            self.client.force_login(user)
            for url in (
                PLEDGES,
                "/admin/campaigns/campaign/",
                "/admin/campaigns/activity/",
            ):
                response = self.client.get(url)
                if response.status_code == 403:
                    continue  # a volunteer does not read the record
                links = set(re.findall(r'href="(\?[^"]*)"', response.content.decode()))
                self.assertTrue(links, url)
                for link in links:
                    link = link.replace("&amp;", "&")
                    with self.subTest(user=user.username, link=url + link):
                        self.assertEqual(self.client.get(url + link).status_code, 200)

    def test_search_finds_pledges_by_reference_only(self):
        self.client.force_login(self.organizer)
        found = self.client.get(PLEDGES, {"q": self.quiet.reference.lower()})
        self.assertContains(found, f">{self.quiet.reference}<")
        for term in (ANONYMOUS_EMAIL, ANONYMOUS_NAME, HIDDEN_MESSAGE, NOTE, "quiet"):
            with self.subTest(term=term):
                response = self.client.get(PLEDGES, {"q": term})
                self.assertEqual(response.status_code, 200)
                self.assertNotContains(response, f">{self.quiet.reference}<")

    def test_ordering_is_by_listed_columns_only(self):
        self.client.force_login(self.organizer)
        for order in ("email", "-email", "access_key", "99", "-99", "1.email"):
            with self.subTest(order=order):
                response = self.client.get(PLEDGES, {"o": order})
                self.assertIn(response.status_code, (200, 302))
                self.assertNotIn(ANONYMOUS_EMAIL, response.content.decode())

    def test_no_admin_declares_a_private_field_to_filter_search_or_sort(self):
        for model in apps.get_models():
            if model._meta.app_label not in ("campaigns", "donations"):
                continue
            if not admin.site.is_registered(model):
                continue
            model_admin = admin.site.get_model_admin(model)
            declared = [
                item[0] if isinstance(item, (list, tuple)) else item
                for item in model_admin.list_filter
                if not isinstance(item, type)
            ]
            declared += [name.lstrip("^=@") for name in model_admin.search_fields]
            declared += [
                name for name in model_admin.list_display if isinstance(name, str)
            ]
            declared += [model_admin.date_hierarchy or ""]
            for name in declared:
                with self.subTest(model=model.__name__, name=name):
                    self.assertFalse(set(name.split("__")) & PRIVATE_FIELDS)


class ViewOnSiteTests(QuietLogsMixin, WalkTestCase):
    def test_the_shortcut_answers_404_to_everyone(self):
        pledge_type = ContentType.objects.get_for_model(Pledge)
        campaign_type = ContentType.objects.get_for_model(Campaign)
        targets = [
            (pledge_type, self.quiet.pk),
            (campaign_type, self.draft.pk),
            (campaign_type, self.campaign.pk),
        ]
        for user in (
            self.stranger,
            self.volunteer,
            self.other_organizer,
            self.organizer,
            self.superuser,
        ):
            self.client.force_login(user)
            for content_type, pk in targets:
                url = reverse("admin:view_on_site", args=[content_type.pk, pk])
                with self.subTest(user=user.username, url=url):
                    response = self.client.get(url)
                    self.assertEqual(response.status_code, 404)
                    self.assertNotIn("Location", response.headers)
                    self.assertNotContains(
                        response, self.quiet.access_key, status_code=404
                    )

    def test_a_pledge_has_no_address_for_generic_code_to_follow(self):
        self.assertFalse(hasattr(Pledge, "get_absolute_url"))
        self.client.force_login(self.organizer)
        response = self.client.get(
            reverse("admin:donations_pledge_change", args=[self.quiet.pk])
        )
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "viewsitelink")
        self.assertNotContains(response, self.quiet.access_key)

    def test_a_campaigns_view_on_site_is_its_team_preview(self):
        preview = reverse("admin:campaigns_campaign_preview", args=[self.draft.pk])
        self.client.force_login(self.organizer)
        page = self.client.get(
            reverse("admin:campaigns_campaign_change", args=[self.draft.pk])
        )
        self.assertContains(page, f'href="{preview}" class="viewsitelink"')
        self.assertNotContains(page, "/admin/r/")
        self.assertContains(self.client.get(preview), DRAFT_TITLE)
        for user in (self.stranger, self.other_organizer):
            self.client.force_login(user)
            with self.subTest(user=user.username):
                response = self.client.get(preview)
                self.assertEqual(response.status_code, 404)
                self.assertNotContains(response, DRAFT_TITLE, status_code=404)


class AnonymousDonorTests(WalkTestCase):
    def test_a_volunteer_sees_neither_the_email_nor_an_anonymous_donors_name(self):
        url = reverse("admin:donations_pledge_change", args=[self.quiet.pk])
        self.client.force_login(self.volunteer)
        response = self.client.get(url)
        self.assertContains(response, self.quiet.reference)
        self.assertNotContains(response, ANONYMOUS_NAME)
        self.assertNotContains(response, ANONYMOUS_EMAIL)
        # Whoever may see donors' emails sees the name too.
        self.client.force_login(self.organizer)
        response = self.client.get(url)
        self.assertContains(response, ANONYMOUS_NAME)
        self.assertContains(response, ANONYMOUS_EMAIL)
