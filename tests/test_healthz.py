from unittest import mock

from django.db import OperationalError
from django.test import TestCase


class HealthzTests(TestCase):
    def test_it_answers_200_when_the_database_answers(self):
        response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 200)

    def test_it_answers_503_when_the_database_does_not(self):
        with mock.patch("config.views.connection.cursor", side_effect=OperationalError):
            response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 503)
