from django.test import SimpleTestCase


class RobotsTests(SimpleTestCase):
    def test_it_keeps_crawlers_out_of_staff_and_thank_you_pages(self):
        response = self.client.get("/robots.txt")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "text/plain")
        body = response.content.decode()
        for path in ("/admin/", "/desk/", "/thanks/", "/*/thanks/"):
            self.assertIn(f"Disallow: {path}\n", body)
        self.assertNotIn("Disallow: /\n", body)
