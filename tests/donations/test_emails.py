"""The emails a donor who gave an address gets, all through the outbox: the
reminder before a pledge expires, the receipt when money arrives, the note
when it expired, the team's updates (for those who asked) and their pledge's
page again. Each in the language they pledged in, sent once, with a "stop
emails" link every later email honours; none about a cancelled pledge."""

import re
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from campaigns import rules
from campaigns.models import Campaign
from donations.models import QUEUE_STATEMENT, Outbox, Pledge, Update
from donations.outbox import KEEP_FINISHED, prune_finished, send_due
from donations.pledging import (
    Donor,
    expire_pledges,
    gift_record,
    pledge_cancel,
    pledge_transfer_sent,
    queue_reminders,
)
from donations.updates import update_save
from tests.donations.base import DonationsTestCase, made_days_ago, pledge, receive
from tests.i18n.base import compile_catalogues

ALA = Donor(name="Ala", email="ala@example.org", language="en")
OLEH = Donor(name="Oleh", email="oleh@example.org", language="uk")


def sent_to(address: str) -> list:
    return [message for message in mail.outbox if message.to == [address]]


def stop_path(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S*stop-emails/\S+/)", message.body)[1]


class EmailTestCase(DonationsTestCase):
    @classmethod
    def setUpClass(cls):
        compile_catalogues()
        super().setUpClass()

    def deliver(self, **kwargs) -> list:
        """Send everything due; returns the messages sent now."""
        before = len(mail.outbox)
        send_due(limit=100, **kwargs)
        return mail.outbox[before:]


class QueueStatementTests(EmailTestCase):
    def test_it_inserts_every_column_of_an_entry(self):
        columns = re.search(
            r"INSERT INTO donations_outbox \(([^)]*)\)", QUEUE_STATEMENT
        )
        self.assertEqual(
            sorted(c.strip() for c in columns[1].split(",")),
            sorted(f.column for f in Outbox._meta.concrete_fields if not f.primary_key),
        )


class PledgeMadeTests(EmailTestCase):
    def test_a_pledge_cancelled_before_its_email_went_gets_none(self):
        made = pledge(self.campaign, "20", donor=ALA)
        pledge_cancel(pledge=made, reason="donor", by=None)
        self.assertEqual(self.deliver(), [])
        entry = Outbox.objects.get(pledge=made)
        self.assertIsNone(entry.next_attempt_at)
        self.assertEqual(entry.last_error, "dropped: no longer applies")

    def test_it_carries_the_stop_link(self):
        made = pledge(self.campaign, "20", donor=ALA)
        (message,) = self.deliver()
        self.assertIn(made.stop_emails_path(), message.body)
        self.assertEqual(
            message.extra_headers["List-Unsubscribe"],
            f"<{settings.SITE_URL}{made.stop_emails_path()}>",
        )


class ReceiptTests(EmailTestCase):
    def test_it_says_the_amount_that_arrived_once(self):
        made = pledge(self.campaign, "20", donor=ALA)
        self.deliver()
        receive(made, "19.50", confirmed=True)
        (message,) = self.deliver()
        self.assertEqual(message.to, ["ala@example.org"])
        self.assertIn(made.reference, message.subject)
        self.assertIn("€19.50", message.body)
        self.assertIn(made.stop_emails_path(), message.body)
        self.assertEqual(self.deliver(), [])
        self.assertEqual(
            Outbox.objects.filter(pledge=made, kind=Outbox.Kind.RECEIPT).count(), 1
        )

    def test_it_is_in_the_donors_language(self):
        made = pledge(self.campaign, "20", donor=OLEH)
        self.deliver()
        receive(made)
        (message,) = self.deliver()
        self.assertIn("Код внеску", message.body)
        self.assertIn(f"/uk/thanks/{made.access_key}/", message.body)
        self.assertIn("/uk/stop-emails/", message.body)

    def test_it_is_queued_with_the_receipt(self):
        made = pledge(self.campaign, "20", donor=ALA)
        with self.assertRaises(RuntimeError), transaction.atomic():
            receive(made)
            raise RuntimeError("the receipt is rolled back")
        self.assertFalse(Outbox.objects.filter(kind=Outbox.Kind.RECEIPT).exists())

    def test_a_gift_and_a_pledge_without_email_get_none(self):
        gift_record(
            campaign=self.campaign, amount=Decimal("30"), line=None, note="", by=None
        )
        receive(pledge(self.campaign, "20"))
        self.assertFalse(Outbox.objects.filter(kind=Outbox.Kind.RECEIPT).exists())

    def test_an_undone_receipt_is_not_sent(self):
        from donations.pledging import receipt_undo

        made = pledge(self.campaign, "20", donor=ALA)
        self.deliver()
        receive(made)
        receipt_undo(pledge=made, reason="typo", by=None)
        self.assertEqual(self.deliver(), [])


class ReminderTests(EmailTestCase):
    def test_it_reminds_two_days_before_expiry_once(self):
        made = pledge(self.campaign, "20", donor=ALA)
        self.deliver()
        made_days_ago(made, 11.9)  # expires in 2.1 days: not yet
        self.assertEqual(queue_reminders(), 0)
        made_days_ago(made, 12.1)
        self.assertEqual(queue_reminders(), 1)
        self.assertEqual(queue_reminders(), 0)  # once
        (message,) = self.deliver()
        self.assertIn(made.reference, message.subject)
        self.assertIn("€20", message.body)
        self.assertIn(made.stop_emails_path(), message.body)
        self.assertEqual(self.deliver(), [])

    def test_it_follows_the_organizers_setting(self):
        Campaign.objects.filter(pk=self.campaign.pk).update(reminder_days=5)
        made = pledge(self.campaign, "20", donor=ALA)
        made_days_ago(made, 9.5)
        self.assertEqual(queue_reminders(), 1)
        Campaign.objects.filter(pk=self.campaign.pk).update(reminder_days=0)
        other = pledge(self.campaign, "20", donor=OLEH)
        made_days_ago(other, 13)
        self.assertEqual(queue_reminders(), 0)

    def test_a_pledge_marked_sent_is_reminded_before_its_later_expiry(self):
        made = pledge(self.campaign, "20", donor=ALA)
        made_days_ago(made, 12.5)
        pledge_transfer_sent(pledge=made)
        self.assertEqual(queue_reminders(), 0)  # it now expires 7 days later
        now = timezone.now() + timedelta(days=7)
        self.assertEqual(queue_reminders(now=now), 1)

    def test_none_for_paid_cancelled_or_expired_pledges(self):
        paid = pledge(self.campaign, "20", donor=ALA)
        cancelled = pledge(self.campaign, "20", donor=OLEH)
        for made in (paid, cancelled):
            made_days_ago(made, 12.5)
        queue_reminders()
        receive(paid)
        pledge_cancel(pledge=cancelled, reason="donor", by=None)
        sent = self.deliver()
        self.assertEqual(
            sorted(m.subject for m in sent if "expires" in m.subject.lower()), []
        )
        late = pledge(self.campaign, "20", donor=Donor(email="late@example.org"))
        made_days_ago(late, 20)
        self.assertEqual(queue_reminders(), 0)  # past expiry: the expiry note instead

    def test_it_is_in_the_donors_language(self):
        made = pledge(self.campaign, "20", donor=OLEH)
        self.deliver()
        made_days_ago(made, 12.5)
        queue_reminders()
        (message,) = self.deliver()
        self.assertIn("Код внеску", message.body)
        self.assertIn("Сума", message.body)


class ExpiredTests(EmailTestCase):
    def test_each_expired_pledge_with_an_email_gets_one_note(self):
        made = [
            pledge(self.campaign, "20", donor=Donor(email=f"d{n}@example.org"))
            for n in range(3)
        ]
        anonymous = pledge(self.campaign, "20")
        for each in [*made, anonymous]:
            made_days_ago(each, 15)
        self.deliver()
        self.assertEqual(expire_pledges(batch_size=2), 4)
        sent = self.deliver()
        self.assertEqual(
            sorted(m.to[0] for m in sent), [f"d{n}@example.org" for n in range(3)]
        )
        for message, each in zip(
            sorted(sent, key=lambda m: m.to[0]), made, strict=True
        ):
            self.assertIn(each.reference, message.subject)
            self.assertIn(each.stop_emails_path(), message.body)
        expire_pledges()
        self.assertEqual(self.deliver(), [])

    def test_it_is_in_the_donors_language(self):
        made = pledge(self.campaign, "20", donor=OLEH)
        made_days_ago(made, 15)
        self.deliver()
        expire_pledges()
        (message,) = self.deliver()
        self.assertIn("Код внеску", message.body)

    def test_money_arriving_before_the_note_went_drops_it(self):
        made = pledge(self.campaign, "20", donor=ALA)
        made_days_ago(made, 15)
        self.deliver()
        expire_pledges()
        receive(made)
        sent = self.deliver()
        self.assertEqual(len(sent), 1)  # the receipt, not the expiry note
        self.assertIn("€20", sent[0].body)


class UpdateEmailTests(EmailTestCase):
    def publish(self, **fields) -> Update:
        update = Update(
            campaign=self.campaign,
            title="The flat is rented",
            body="We **signed** it.",
            published=True,
            **fields,
        )
        update_save(update=update)
        return update

    def test_it_goes_once_to_each_address_that_asked(self):
        asked = Donor(email="ala@example.org", language="en", wants_updates=True)
        pledge(self.campaign, "10", donor=asked)
        pledge(self.campaign, "15", donor=asked)  # one address, two pledges
        pledge(self.campaign, "10", donor=ALA)  # did not ask
        pledge(
            self.campaign, "10", donor=Donor(email="o@example.org", wants_updates=True)
        )
        cancelled = pledge(
            self.campaign, "10", donor=Donor(email="c@example.org", wants_updates=True)
        )
        pledge_cancel(pledge=cancelled, reason="donor", by=None)
        self.deliver()
        update = self.publish()
        sent = self.deliver()
        self.assertEqual(
            sorted(m.to[0] for m in sent), ["ala@example.org", "o@example.org"]
        )
        self.assertIn("The flat is rented", sent[0].subject)
        self.assertIn("We **signed** it.", sent[0].body)
        # Saved again, unpublished and published again: no second email.
        update.published = False
        update_save(update=update)
        update.published = True
        update_save(update=update)
        self.assertEqual(self.deliver(), [])

    def test_a_draft_is_not_sent(self):
        pledge(
            self.campaign, "10", donor=Donor(email="o@example.org", wants_updates=True)
        )
        self.deliver()
        draft = Update(campaign=self.campaign, title="Draft", published=False)
        self.assertEqual(update_save(update=draft), 0)
        self.assertEqual(self.deliver(), [])

    def test_an_update_in_the_donors_language(self):
        pledge(
            self.campaign,
            "10",
            donor=Donor(email="o@example.org", language="uk", wants_updates=True),
        )
        self.deliver()
        self.publish(title_uk="Квартиру знайдено")
        (message,) = self.deliver()
        self.assertIn("Квартиру знайдено", message.subject)

    def test_it_needs_an_email_to_ask(self):
        made = pledge(self.campaign, "10", donor=Donor(wants_updates=True))
        self.assertFalse(Pledge.objects.get(pk=made.pk).wants_updates)


class StopEmailsTests(EmailTestCase):
    def test_the_link_asks_first_then_stops_every_later_email(self):
        made = pledge(
            self.campaign,
            "20",
            donor=Donor(email="ala@example.org", wants_updates=True),
        )
        (message,) = self.deliver()
        path = stop_path(message)
        # A GET (a mail scanner opening the link) changes nothing.
        response = self.client.get(path)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, '<form method="post"')
        self.assertIsNone(Pledge.objects.get(pk=made.pk).emails_stopped_at)
        response = self.client.post(path)
        self.assertEqual(response.status_code, 303)
        stopped = Pledge.objects.get(pk=made.pk)
        self.assertIsNotNone(stopped.emails_stopped_at)
        self.assertFalse(stopped.wants_updates)
        self.assertContains(self.client.get(path), "No more emails")
        # Reminder, receipt, update: nothing more goes out.
        made_days_ago(made, 12.5)
        queue_reminders()
        update_save(update=Update(campaign=self.campaign, title="News", published=True))
        receive(made)
        self.assertEqual(self.deliver(), [])

    def test_entries_queued_before_the_stop_are_dropped(self):
        made = pledge(self.campaign, "20", donor=ALA)
        self.client.post(made.stop_emails_path())
        self.assertEqual(self.deliver(), [])
        self.assertEqual(
            Outbox.objects.get(pledge=made).last_error, "dropped: emails stopped"
        )

    def test_it_works_in_the_donors_language_without_an_account(self):
        pledge(self.campaign, "20", donor=OLEH)
        (message,) = self.deliver()
        response = self.client.get(stop_path(message))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'lang="uk"')

    def test_a_forged_token_is_not_found(self):
        made = pledge(self.campaign, "20", donor=ALA)
        for token in (made.reference, f"{made.reference}:forged", "nothing"):
            with self.subTest(token):
                self.assertEqual(
                    self.client.get(f"/stop-emails/{token}/").status_code, 404
                )
                self.assertEqual(
                    self.client.post(f"/stop-emails/{token}/").status_code, 404
                )
        self.assertIsNone(Pledge.objects.get(pk=made.pk).emails_stopped_at)

    @override_settings(CSRF_COOKIE_SECURE=False)
    def test_the_post_needs_the_pages_csrf_token(self):
        from django.test import Client

        made = pledge(self.campaign, "20", donor=ALA)
        client = Client(enforce_csrf_checks=True)
        self.assertEqual(client.post(made.stop_emails_path()).status_code, 403)
        self.assertIsNone(Pledge.objects.get(pk=made.pk).emails_stopped_at)


class PruneTests(EmailTestCase):
    def test_entries_done_with_go_after_a_while_the_waiting_stay(self):
        pledge(self.campaign, "20", donor=ALA)
        self.deliver()
        waiting = pledge(self.campaign, "20", donor=OLEH)
        Outbox.objects.filter(pledge=waiting).update(
            created_at=timezone.now() - KEEP_FINISHED * 2
        )
        self.assertEqual(prune_finished(), 0)
        later = timezone.now() + KEEP_FINISHED + timedelta(days=1)
        self.assertEqual(prune_finished(now=later), 1)
        self.assertEqual(
            list(Outbox.objects.values_list("pledge", flat=True)), [waiting.pk]
        )

    def test_a_pending_pledges_reminder_stays_so_it_is_not_sent_twice(self):
        made = pledge(self.campaign, "20", donor=ALA)
        made_days_ago(made, 12.5)
        queue_reminders()
        self.deliver()
        later = timezone.now() + KEEP_FINISHED + timedelta(days=1)
        prune_finished(now=later)
        self.assertEqual(
            list(Outbox.objects.values_list("kind", flat=True)), [Outbox.Kind.REMINDER]
        )
        self.assertEqual(queue_reminders(), 0)


class ExpiryRuleTests(EmailTestCase):
    def test_expires_at_and_the_job_agree(self):
        made = pledge(self.campaign, "20", donor=ALA)
        made = Pledge.objects.select_related("campaign").get(pk=made.pk)
        self.assertEqual(made.expires_at, made.created_at + timedelta(days=14))
        self.assertEqual(expire_pledges(now=made.expires_at - timedelta(seconds=1)), 0)
        pledge_transfer_sent(pledge=made)
        made = Pledge.objects.select_related("campaign").get(pk=made.pk)
        self.assertEqual(made.expires_at, made.created_at + timedelta(days=21))
        self.assertEqual(expire_pledges(now=made.created_at + timedelta(days=20)), 0)
        self.assertEqual(expire_pledges(now=made.expires_at + timedelta(seconds=1)), 1)
        self.assertEqual(rules.expiry_cutoff(made.expires_at, 14, 7), made.created_at)
