"""bench/serve.py's donor behaves like a browser on the pledge form: it carries
the CSRF cookie back (Secure too, over loopback HTTP), sends the form's
one-time token once and a fresh one after, and keeps the 303 it is answered."""

import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.test import SimpleTestCase

from bench.serve import Donor, free_port

FORM = """<form method="post">
<input type="hidden" name="csrfmiddlewaretoken" value="csrf-in-form">
<input type="hidden" name="token" value="form-token-1">
<input type="radio" name="line" value="7"><input type="radio" name="line" value="9">
</form>"""


class FakeApp(BaseHTTPRequestHandler):
    posts: list[tuple[dict, str]] = []

    def do_GET(self):
        self.send_response(200)
        self.send_header(
            "Set-Cookie", "csrftoken=cookie-1; Path=/; Secure; SameSite=Lax"
        )
        self.end_headers()
        self.wfile.write(FORM.encode())

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        fields = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
        self.posts.append((fields, self.headers.get("Cookie", "")))
        self.send_response(303)
        self.send_header("Location", "/thanks/key-1/")
        self.end_headers()

    def log_message(self, *args):
        pass


class DonorTests(SimpleTestCase):
    def setUp(self):
        FakeApp.posts = []
        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), FakeApp)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def test_a_pledge_loads_the_form_and_posts_it_with_its_cookie(self):
        donor = Donor(self.base)
        status, _body = donor.pledge("x", "12.50", line=9, name="Ala")
        self.assertEqual((status, donor.location), (303, "/thanks/key-1/"))
        fields, cookie = FakeApp.posts[0]
        self.assertEqual(cookie, "csrftoken=cookie-1")
        self.assertEqual(fields["csrfmiddlewaretoken"], "csrf-in-form")
        self.assertEqual(fields["token"], "form-token-1")
        self.assertEqual(
            (fields["amount"], fields["other_amount"], fields["line"]),
            ("other", "12.50", "9"),
        )
        self.assertEqual(fields["donor_name"], "Ala")
        self.assertEqual(donor.lines["x"], [7, 9])

    def test_each_later_pledge_has_a_new_token_unless_resent(self):
        donor = Donor(self.base)
        donor.pledge("x", "5")
        donor.pledge("x", "5")
        donor.pledge("x", "5", token=donor.last_token)  # a double click
        tokens = [fields["token"] for fields, _cookie in FakeApp.posts]
        self.assertEqual(tokens[0], "form-token-1")
        self.assertNotEqual(tokens[1], tokens[0])
        self.assertEqual(tokens[2], tokens[1])
        self.assertEqual(fields_line(FakeApp.posts[0]), "")


def fields_line(post: tuple[dict, str]) -> str:
    return post[0]["line"]
