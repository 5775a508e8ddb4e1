app_name = "donations"

urlpatterns: list = []
