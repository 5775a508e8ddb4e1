"""After login a volunteer lands on the desk; the admin home links to it."""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation

from tests.teams.base import TeamTestCase

LOGIN = "/admin/login/"


class LoginLandingTests(TeamTestCase):
    def log_in(self, user, **data):
        return self.client.post(
            LOGIN, {"username": user.username, "password": "pw", **data}
        )

    def test_a_volunteer_lands_on_the_desk(self):
        response = self.log_in(self.volunteer)
        self.assertRedirects(response, reverse("donations:desk"))
        # The admin puts its home in the form when nothing was asked for.
        self.client.logout()
        response = self.log_in(self.volunteer, next=reverse("admin:index"))
        self.assertRedirects(response, reverse("donations:desk"))

    def test_a_volunteer_who_asked_for_a_page_gets_it(self):
        wanted = reverse("admin:donations_pledge_changelist")
        response = self.log_in(self.volunteer, next=wanted)
        self.assertRedirects(response, wanted)

    def test_a_polish_volunteer_lands_on_the_polish_desk(self):
        response = self.client.post(
            LOGIN,
            {"username": "viktor", "password": "pw"},
            HTTP_ACCEPT_LANGUAGE="pl",
        )
        with translation.override("pl"):
            self.assertRedirects(response, reverse("donations:desk"))

    def test_organizers_superusers_and_strangers_land_on_the_admin_home(self):
        for user in (self.organizer, self.superuser, self.stranger):
            with self.subTest(user=user.username):
                response = self.log_in(user)
                self.assertRedirects(response, reverse("admin:index"))
                self.client.logout()

    def test_a_wrong_password_shows_the_form_again(self):
        response = self.client.post(LOGIN, {"username": "viktor", "password": "no"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Please enter the correct username")
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_the_login_page_is_the_admins_own(self):
        response = self.client.get(LOGIN)
        self.assertContains(response, 'name="username"')
        self.assertTemplateUsed(response, "admin/login.html")


class AdminHomeTests(TeamTestCase):
    def test_everyone_in_a_team_sees_a_prominent_link_to_the_desk(self):
        for user in (self.volunteer, self.organizer, self.superuser):
            with self.subTest(user=user.username):
                self.client.force_login(user)
                response = self.client.get(reverse("admin:index"))
                self.assertContains(
                    response,
                    f'class="button default" href="{reverse("donations:desk")}"',
                )

    def test_staff_outside_every_team_see_no_desk_link(self):
        self.client.force_login(self.stranger)
        response = self.client.get(reverse("admin:index"))
        self.assertNotContains(response, reverse("donations:desk"))
