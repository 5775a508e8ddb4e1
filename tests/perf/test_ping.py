from django.test import TestCase


class PingTests(TestCase):
    def test_it_answers_pong_without_touching_the_database(self):
        with self.assertNumQueries(0):
            response = self.client.get("/ping")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, b"pong\n")

    def test_it_refuses_post(self):
        self.assertEqual(self.client.post("/ping").status_code, 405)
