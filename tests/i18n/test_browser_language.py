from tests.base import ZborTestCase


class BrowserLanguageTests(ZborTestCase):
    url = "/c/konstantin/"

    def test_a_donor_arriving_from_outside_gets_their_browsers_language(self):
        response = self.client.get(
            self.url, HTTP_ACCEPT_LANGUAGE="be,ru;q=0.8,en;q=0.5"
        )
        self.assertRedirects(
            response, "/be/c/konstantin/", fetch_redirect_response=False
        )
        self.assertIn("Accept-Language", response["Vary"])

    def test_the_query_string_survives_the_redirect(self):
        response = self.client.get("/?utm=chat", HTTP_ACCEPT_LANGUAGE="uk")
        self.assertEqual(response["Location"], "/uk/?utm=chat")

    def test_english_or_an_unknown_language_stays_in_english(self):
        for header in ("en-US,en;q=0.9", "de-DE,de;q=0.9", ""):
            with self.subTest(header=header):
                response = self.client.get(self.url, HTTP_ACCEPT_LANGUAGE=header)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, '<html lang="en"')

    def test_choosing_english_on_the_site_sticks(self):
        response = self.client.get(
            self.url,
            HTTP_ACCEPT_LANGUAGE="pl",
            HTTP_REFERER="http://testserver/pl/c/konstantin/",
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, '<html lang="en"')

    def test_a_referer_from_another_site_does_not_count_as_a_choice(self):
        response = self.client.get(
            self.url,
            HTTP_ACCEPT_LANGUAGE="pl",
            HTTP_REFERER="https://t.me/some-channel",
        )
        self.assertRedirects(
            response, "/pl/c/konstantin/", fetch_redirect_response=False
        )

    def test_the_address_wins_over_the_browser(self):
        response = self.client.get("/ru/c/konstantin/", HTTP_ACCEPT_LANGUAGE="pl")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, '<html lang="ru"')

    def test_posts_and_staff_pages_are_never_redirected(self):
        response = self.client.post(
            "/c/konstantin/give/", {"amount": "abc"}, HTTP_ACCEPT_LANGUAGE="pl"
        )
        self.assertNotEqual(response.status_code, 302)
        response = self.client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="pl")
        self.assertEqual(response.status_code, 200)

    def test_unknown_pages_stay_404(self):
        response = self.client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="pl")
        self.assertEqual(response.status_code, 404)
